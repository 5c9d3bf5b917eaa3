"""Per-path counters and a bounded log of upstream requests, for assertions in tests.

The log keeps headers and bodies verbatim (tokens included): only the control API exposes it,
and only tests read it. Nothing here is ever written to stderr.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from .responses import Request, Response

MAX_ENTRIES = 2000


@dataclass
class LoggedRequest:
    seq: int
    time: float
    method: str
    path: str
    query: str
    params: dict[str, str]
    headers: dict[str, str]
    body: str | None
    json: Any
    status: int | None = None  # None while in flight; 0 when the connection was dropped
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._entries: deque[LoggedRequest] = deque(maxlen=MAX_ENTRIES)
            self._counts: Counter[str] = Counter()
            self._seq = 0

    def record(self, request: Request) -> LoggedRequest:
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        text = request.body.decode("utf-8", "replace") if request.body else None
        try:
            parsed = json.loads(request.body) if request.body else None
        except ValueError:
            parsed = None
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(
                self._seq, time.time(), request.method, request.path, request.query,
                dict(request.params), headers, text, parsed,
            )
            self._entries.append(entry)
            self._counts[request.path] += 1
            return entry

    def finish(self, entry: LoggedRequest, response: Response, fault: str | None) -> None:
        with self._lock:
            entry.status = response.status
            entry.fault = fault

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def entries(self, path: str | None = None, prefix: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e.to_json()
                for e in self._entries
                if (path is None or e.path == path) and (prefix is None or e.path.startswith(prefix))
            ]
