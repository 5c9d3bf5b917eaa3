"""Faults injected on demand, each scoped to a path prefix and optionally to a number of requests."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .interrupter import Interrupter
from .responses import (
    Request,
    Response,
    cloudflare_block,
    dropped,
    empty_response,
    json_response,
    raw_json_response,
)

KINDS = ("status", "hang", "rate_limit", "malformed", "odd_body", "late", "html403", "vip", "drop", "latency")
ALIASES = {
    "429": "rate_limit",
    "426": "vip",
    "cloudflare": "html403",
    "reset": "drop",
    "tmdb_down": "drop",
    "timeout": "hang",
}
# What "odd_body" merges over a real JSON answer: odd but harmless to a lenient client.
ODD_FIELDS = {"expires_in": "7200", "created_at": "yesterday", "token_type": None, "scope": ["public"],
              "unexpected": {"nested": True}}
# Where a fault applies when the test gives no prefix.
DEFAULT_PREFIX = {"tmdb_down": "/3"}


@dataclass
class Fault:
    id: int
    kind: str
    prefix: str = "/"
    count: int | None = None  # requests left to affect; None = until cleared
    status: int | None = None  # "status": required; "malformed": optional override of the real status
    body: str | None = None  # "status": raw body (text) ...
    json: Any = None  # ... or a JSON body; neither means an empty body
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 30.0  # "hang"; "late": how long the committed answer is held back
    retry_after: int = 1  # "rate_limit"
    ratelimit: str | None = None  # "rate_limit": X-Ratelimit value; default is the recorded fixture
    ms: int = 0  # "latency"
    rst: bool = True  # "drop": TCP RST (connection reset) rather than a clean close

    def matches(self, path: str) -> bool:
        # Segment-aware so "/3" covers "/3/movie/1" but not "/30".
        prefix = self.prefix.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(spec: dict[str, Any], fault_id: int) -> Fault:
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError("a fault needs a 'kind'")
    spec = dict(spec)
    raw_kind = str(spec.pop("kind"))
    kind = ALIASES.get(raw_kind, raw_kind)
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {raw_kind!r}; use one of {list(KINDS) + sorted(ALIASES)}")
    spec.setdefault("prefix", DEFAULT_PREFIX.get(raw_kind, "/"))
    known = set(Fault.__dataclass_fields__) - {"id", "kind"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
    fault = Fault(id=fault_id, kind=kind, **spec)
    if not fault.prefix.startswith("/") or fault.prefix.startswith("/_fake"):
        raise ValueError("prefix must start with '/' and cannot cover the control API")
    if fault.count is not None and (not isinstance(fault.count, int) or fault.count < 1):
        raise ValueError("count must be a positive integer")
    if kind == "status" and not (isinstance(fault.status, int) and 100 <= fault.status <= 599):
        raise ValueError("a 'status' fault needs an integer status between 100 and 599")
    if kind == "latency" and fault.ms <= 0:
        raise ValueError("a 'latency' fault needs ms > 0")
    return fault


class FaultList:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> Fault:
        with self._lock:
            fault = parse_fault(spec, self._next_id)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self, fault_id: int | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            return before - len(self._faults)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def take(self, path: str) -> tuple[int, Fault | None]:
        """Consume the faults for one request: (extra latency in ms, the response fault if any).

        Latency faults add up and never stop the request; of the others the oldest matching one
        wins, so faults queued on the same prefix play out in the order they were added.
        """
        with self._lock:
            delay_ms = 0
            chosen: Fault | None = None
            for fault in self._faults:
                if not fault.matches(path):
                    continue
                if fault.kind == "latency":
                    delay_ms += fault.ms
                elif chosen is None:
                    chosen = fault
                else:
                    continue
                if fault.count is not None:
                    fault.count -= 1
            self._faults = [f for f in self._faults if f.count is None or f.count > 0]
            return delay_ms, chosen


def respond(
    fault: Fault,
    request: Request,
    serve: Callable[[], Response],
    interrupter: Interrupter,
    ratelimit_fixture: str,
) -> Response:
    """The response a request gets under `fault`; `serve` produces the normal one."""
    extra = list(fault.headers.items())
    tmdb = request.path.startswith("/3/")

    if fault.kind == "hang":
        # Outlast any sane client timeout, then hang up; a reset or shutdown ends it early.
        interrupter.sleep(fault.seconds)
        return dropped()

    if fault.kind == "drop":
        return dropped(reset=fault.rst)

    if fault.kind == "status":
        if fault.json is not None:
            return json_response(fault.status, fault.json, extra)
        if fault.body is not None:
            content_type = fault.content_type or "text/plain; charset=utf-8"
            return Response(fault.status, fault.body.encode("utf-8"), [("Content-Type", content_type), *extra])
        return empty_response(fault.status, extra)

    if fault.kind == "rate_limit":
        headers = [("Retry-After", str(fault.retry_after)), *extra]
        if tmdb:
            payload = {
                "success": False,
                "status_code": 25,
                "status_message": "Your request count (41) is over the allowed limit of (40).",
            }
            return json_response(429, payload, headers)
        headers.append(("X-Ratelimit", fault.ratelimit or ratelimit_fixture))
        return raw_json_response(429, b"", headers)

    if fault.kind == "html403":
        response = cloudflare_block(fault.status or 403)
        response.headers.extend(extra)
        return response

    if fault.kind == "vip":
        headers = [("X-Upgrade-URL", "https://trakt.tv/vip"), ("X-VIP-User", "false"), *extra]
        return raw_json_response(426, b"", headers)

    if fault.kind == "malformed":
        # Run the real handler (side effects included, e.g. a rotated refresh token) and cut its body:
        # a client that trusts a 200 without parsing must not survive this.
        real = serve()
        body = real.body[: len(real.body) // 2] if len(real.body) >= 2 else b'{"'
        headers = [(k, v) for k, v in real.headers if k.lower() != "content-type"]
        return raw_json_response(fault.status or real.status, body, headers + extra)

    if fault.kind == "odd_body":
        # Run the real handler (a /oauth/token call rotates the pair) and send its answer with the fields
        # a client needs least turned odd: a string expires_in, a word for created_at, an unknown key.
        real = serve()
        try:
            payload = json.loads(real.body)
        except ValueError:
            return real
        if isinstance(payload, dict):
            payload.update(ODD_FIELDS)
        headers = [(k, v) for k, v in real.headers if k.lower() not in ("content-type", "content-length")]
        return json_response(fault.status or real.status, payload, headers + extra)

    if fault.kind == "late":
        # The real handler runs at once (a /oauth/token call commits the rotation), then the answer is
        # held back for `seconds`: a client whose timeout is shorter never sees the new pair.
        real = serve()
        interrupter.sleep(fault.seconds)
        return real

    raise AssertionError(f"unhandled fault kind {fault.kind}")  # parse_fault rejects unknown kinds


def compact_json(raw: bytes) -> str:
    """A recorded JSON document as a one-line header value."""
    return json.dumps(json.loads(raw), separators=(",", ":"))
