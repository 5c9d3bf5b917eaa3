"""Simkl (api.simkl.com): PIN authorization, /sync/activities and /sync/all-items.

Behaviour follows /work/shared/reference/providers.md section 1: every request carries client_id,
app-name and app-version in the query and a User-Agent; /sync/* wants a Bearer token that never
expires (401 once revoked); PIN polling answers 200 whatever the state, and a code that is gone
falls through to "here is a new code". A client that reads /sync/all-items again without asking
/sync/activities in between is suspended, as Simkl threatens.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .responses import Request, Response, cloudflare_block, json_response, raw_json_response
from .state import FakeState

BUCKETS = (("shows", "tv_shows"), ("anime", "anime"), ("movies", "movies"))


def _error(status: int, error: str, message: str) -> Response:
    return json_response(status, {"error": error, "code": status, "message": message})


def _guard(state: FakeState, request: Request, *, sync: bool) -> Response | None:
    """The checks every api.simkl.com request gets: User-Agent, client_id, app name and version, token."""
    scenario = state.scenario.get()
    if not (request.header("User-Agent") or "").strip():
        return cloudflare_block()
    if request.params.get("client_id") != scenario.simkl_client_id or state.simkl.suspended:
        return raw_json_response(412, state.fixtures.raw("simkl-error-412.json"))
    if not request.params.get("app-name") or not request.params.get("app-version"):
        return _error(400, "app_name_required", "app-name and app-version are required")
    if sync:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != scenario.simkl_access_token or scenario.simkl_revoked:
            return _error(401, "user_token_failed", "Authorization token is wrong or revoked")
    return None


def _pin_body(state: FakeState) -> dict[str, Any]:
    scenario = state.scenario.get()
    body = state.fixtures.load("simkl-oauth-pin.json")
    body.update(user_code=state.simkl.new_pin(), expires_in=scenario.simkl_pin_expires_in,
                interval=scenario.simkl_pin_interval)
    return body


def pin(state: FakeState, request: Request) -> Response:
    return _guard(state, request, sync=False) or json_response(200, _pin_body(state))


def pin_poll(state: FakeState, request: Request, user_code: str) -> Response:
    refused = _guard(state, request, sync=False)
    if refused:
        return refused
    outcome = state.simkl.poll(user_code, state.scenario.get().simkl_pin_expires_in)
    if outcome == "gone":
        return json_response(200, _pin_body(state))
    if outcome == "pending":
        return raw_json_response(200, state.fixtures.raw("simkl-oauth-pin-poll-pending.json"))
    if outcome == "slow_down":
        return json_response(200, {"result": "KO", "message": "Slow down"})
    return json_response(200, {"result": "OK", "access_token": state.scenario.get().simkl_access_token})


def library(state: FakeState) -> dict[str, Any]:
    configured = state.scenario.get().simkl_library
    return configured if configured is not None else state.fixtures.load("simkl-sync-all-items.json")


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _newest(stamps: list[Any]) -> str | None:
    dated = [(when, text) for text in stamps if (when := _instant(text)) is not None]
    return max(dated)[1] if dated else None


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def current_activities(state: FakeState) -> dict[str, Any]:
    """The recorded activities, with each bucket's `all` moved to its newest watch, as Simkl does."""
    body = state.fixtures.load("simkl-sync-activities.json")
    lib = library(state)
    for key, section in BUCKETS:
        newest = _newest([entry.get("last_watched_at") for entry in (lib.get(key) or []) if isinstance(entry, dict)])
        if newest and (_instant(newest) or datetime.min) > (_instant(body[section]["all"]) or datetime.min.replace(tzinfo=None)):
            body[section]["all"] = newest
    body = _deep_merge(body, state.scenario.get().simkl_activities)
    body["all"] = _newest([body.get("all"), *(body.get(section, {}).get("all") for _, section in BUCKETS)])
    return body


def activities(state: FakeState, request: Request) -> Response:
    refused = _guard(state, request, sync=True)
    if refused:
        return refused
    body = current_activities(state)
    state.simkl.saw_activities(body)
    return json_response(200, body)


def all_items(state: FakeState, request: Request, kind: str | None = None, status: str | None = None) -> Response:
    refused = _guard(state, request, sync=True)
    if refused:
        return refused
    if not state.simkl.saw_all_items():
        return raw_json_response(412, state.fixtures.raw("simkl-error-412.json"))
    since = _instant(request.params.get("date_from"))
    lib = library(state)
    answer: dict[str, Any] = {}
    for key, _ in BUCKETS:
        if kind and kind != key:
            continue
        entries = [
            entry for entry in (lib.get(key) or [])
            if isinstance(entry, dict)
            and (status in (None, "all") or entry.get("status") == status)
            and (since is None or ((when := _instant(entry.get("last_watched_at"))) is not None and when > since))
        ]
        if entries:
            answer[key] = entries
    if answer:
        return json_response(200, answer)
    empty = {"empty": b"", "null": b"null", "{}": b"{}"}.get(state.scenario.get().simkl_empty_as, b"")
    return raw_json_response(200, empty)


def control(state: FakeState, request: Request) -> Any:
    """GET: the PIN and politeness record. POST {"outcomes": [...]}: the PIN polling script."""
    if request.method == "POST":
        payload = json.loads(request.body or b"{}")
        unknown = sorted(set(payload) - {"outcomes"})
        if unknown:
            raise ValueError(f"unknown simkl fields: {', '.join(unknown)}")
        if "outcomes" in payload:
            state.simkl.set_script(payload["outcomes"])
    return state.simkl.snapshot()
