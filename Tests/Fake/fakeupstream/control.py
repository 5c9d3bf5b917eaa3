"""The /_fake/ control API that tests use to steer and inspect the fake (documented in README.md)."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from . import simkl
from .responses import Request, Response, json_response
from .state import FakeState

PREFIX = "/_fake"


def _payload(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        payload = json.loads(request.body)
    except ValueError as exc:
        raise ValueError("control API bodies must be JSON") from exc
    if not isinstance(payload, dict):
        raise ValueError("control API bodies must be JSON objects")
    return payload


def _health(state: FakeState, request: Request) -> Any:
    return {"ok": True, "demo": state.demo, "uptime_s": round(time.time() - state.started, 3)}


def _reset(state: FakeState, request: Request) -> Any:
    state.reset()
    return {"ok": True}


def _get_scenario(state: FakeState, request: Request) -> Any:
    return state.scenario.get().to_json()


def _set_scenario(state: FakeState, request: Request) -> Any:
    return state.scenario.update(_payload(request)).to_json()


def _list_faults(state: FakeState, request: Request) -> Any:
    return {"faults": state.faults.list()}


def _add_fault(state: FakeState, request: Request) -> Any:
    fault = state.faults.add(_payload(request))
    return {"id": fault.id, "fault": fault.to_json()}


def _clear_faults(state: FakeState, request: Request) -> Any:
    raw_id = request.params.get("id")
    fault_id = int(raw_id) if raw_id else None
    return {"removed": state.clear_faults(fault_id)}


def _get_tokens(state: FakeState, request: Request) -> Any:
    return state.tokens.snapshot()


def _set_tokens(state: FakeState, request: Request) -> Any:
    state.tokens.set(_payload(request))
    return state.tokens.snapshot()


def _get_device(state: FakeState, request: Request) -> Any:
    return state.device.snapshot()


def _set_device(state: FakeState, request: Request) -> Any:
    payload = _payload(request)
    unknown = sorted(set(payload) - {"outcomes", "interval", "expires_in"})
    if unknown:
        raise ValueError(f"unknown device fields: {', '.join(unknown)}")
    timing = {f"device_{k}": payload[k] for k in ("interval", "expires_in") if k in payload}
    if timing:
        state.scenario.update(timing)
    if "outcomes" in payload:
        if not isinstance(payload["outcomes"], list):
            raise ValueError("outcomes must be a list")
        state.device.set_script(payload["outcomes"])
    return state.device.snapshot()


def _counters(state: FakeState, request: Request) -> Any:
    counts = state.log.counts()
    return {"counts": counts, "total": sum(counts.values())}


def _requests(state: FakeState, request: Request) -> Any:
    return {"requests": state.log.entries(path=request.params.get("path"), prefix=request.params.get("prefix"))}


_ROUTES: dict[tuple[str, str], Callable[[FakeState, Request], Any]] = {
    ("GET", "/health"): _health,
    ("POST", "/reset"): _reset,
    ("GET", "/scenario"): _get_scenario,
    ("POST", "/scenario"): _set_scenario,
    ("GET", "/faults"): _list_faults,
    ("POST", "/faults"): _add_fault,
    ("DELETE", "/faults"): _clear_faults,
    ("GET", "/tokens"): _get_tokens,
    ("POST", "/tokens"): _set_tokens,
    ("GET", "/device"): _get_device,
    ("POST", "/device"): _set_device,
    ("GET", "/counters"): _counters,
    ("GET", "/requests"): _requests,
    ("GET", "/simkl"): simkl.control,
    ("POST", "/simkl"): simkl.control,
}
# Singular spelling accepted too: POST /_fake/fault reads naturally for "add one fault".
_ALIASES = {"/fault": "/faults"}


def is_control(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def dispatch(state: FakeState, request: Request) -> Response:
    sub = request.path[len(PREFIX):].rstrip("/") or "/"
    sub = _ALIASES.get(sub, sub)
    handler = _ROUTES.get((request.method, sub))
    if handler is None:
        known = any(path == sub for _, path in _ROUTES)
        return json_response(405 if known else 404, {"error": f"no control endpoint {request.method} {request.path}"})
    try:
        return json_response(200, handler(state, request))
    except (ValueError, TypeError) as exc:  # bad input from a test, reported back to it
        return json_response(400, {"error": str(exc)})
