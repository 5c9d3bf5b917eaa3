"""What every client-facing answer must look like, and the ledger of secrets that must never leak.

- `check_answer`: the common expectation for every client-facing response (JSON, never HTML).
- `Ledger`: every response a module saw, plus log files, plus every secret the fake ever held, so
  one test can assert that no secret reached a client or a log over the whole module.
- `Visitors`: requests to the test nginx from many loopback source addresses, recorded in a ledger.
- `trakt_calls`, `delta`: the fake's per-path counters, filtered and compared.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .http import fresh_source, http_request, raw_http
from .response import Response

JSON_TYPE = "application/json; charset=utf-8"


def check_answer(answer: Response, statuses: Iterable[int], code: str | None = None, health: bool = False) -> Any:
    """The client-facing contract: an allowed status, and a JSON body (never HTML) unless the status
    has no body. Errors carry ok/code/error, except health's 503, which is its report with ok=false.
    Returns the parsed body (None for a bodyless answer)."""
    statuses = tuple(statuses)
    assert answer.status in statuses, f"expected {statuses}, got {answer!r}"
    if answer.status in (204, 304) or not answer.body:
        assert answer.status in (204, 304) or answer.source.startswith("HEAD"), f"empty body: {answer!r}"
        return None
    content_type = answer.headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), f"not JSON ({content_type!r}): {answer!r}"
    assert b"<html" not in answer.body.lower(), f"HTML body: {answer!r}"
    body = answer.json()
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool), f"not the contract's shape: {answer!r}"
    if health:
        assert body["ok"] is (answer.status == 200) and "mode" in body, f"not a health report: {answer!r}"
    elif answer.status >= 400:
        assert body["ok"] is False and isinstance(body.get("code"), str) and isinstance(body.get("error"), str), \
            f"error body without ok/code/error: {answer!r}"
        if code is not None:
            assert body["code"] == code, f"expected code {code}: {answer!r}"
    else:
        assert body["ok"] is True, f"2xx with ok=false: {answer!r}"
    return body


# --- the ledger ----------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the module's clients saw and what the logs hold, and every secret there was to leak."""
    answers: list[str] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)  # path -> text (read after the processes stopped)
    secrets: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, answer: Response) -> Response:
        with self._lock:
            self.answers.append(answer.raw())
        return answer

    def add_secrets(self, values: Iterable[str | None]) -> None:
        with self._lock:
            self.secrets.update(v for v in values if v and len(v) >= 8)

    def add_logs(self, root: Path) -> None:
        for path in sorted(root.rglob("*.log")):
            self.logs[str(path)] = path.read_text(errors="replace")

    def leaks(self) -> list[str]:
        found = []
        texts = [(f"response #{i}", text) for i, text in enumerate(self.answers)] + list(self.logs.items())
        for secret in sorted(self.secrets):
            for where, text in texts:
                if secret in text:
                    line = next(l for l in text.splitlines() if secret in l)
                    found.append(f"{secret[:6]}… in {where}: {line[:200]}")
        return found


def harvest_fake_secrets(fake: Any) -> set[str]:
    """Everything the fake ever issued or was sent as a secret since its last reset."""
    tokens = fake.tokens()
    values = {tokens.get("access_token"), tokens.get("refresh_token"), *tokens.get("used_refresh_tokens", []),
              *tokens.get("revoked_tokens", []), *tokens.get("auth_codes", [])}
    scenario = fake.get_scenario()
    values |= {scenario.get("client_secret"), scenario.get("tmdb_api_key"), scenario.get("tmdb_read_token")}
    for entry in fake.requests():
        auth = (entry.get("headers") or {}).get("authorization", "")
        if auth.lower().startswith("bearer "):
            values.add(auth[7:].strip())
        values.add((entry.get("params") or {}).get("api_key"))
        body = entry.get("json") or {}
        if isinstance(body, dict):
            for key in ("refresh_token", "client_secret", "code", "access_token"):
                if isinstance(body.get(key), str):
                    values.add(body[key])
    return {v for v in values if isinstance(v, str) and v}


class Visitors:
    """Requests to nginx, each from a loopback source address of its own, like many real visitors, so a
    burst during a failure measures the responder and not the per-address rate limit."""

    def __init__(self, port: int, ledger: Ledger | None = None) -> None:
        self.port = port
        self.ledger = ledger

    def request(self, path: str = "/api/trakt/last", method: str = "GET",
                headers: Mapping[str, str] | None = None, body: bytes | None = None,
                timeout: float = 30.0, source: str | None = None) -> Response:
        answer = http_request(f"http://127.0.0.1:{self.port}{path}", method, headers, body, timeout,
                              source or fresh_source())
        return self.ledger.record(answer) if self.ledger else answer

    def get(self, path: str = "/api/trakt/last", **kwargs: Any) -> Response:
        return self.request(path, **kwargs)

    def burst(self, count: int, workers: int = 10, **kwargs: Any) -> list[Response]:
        """`count` requests, `workers` at a time, each from its own address."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda _: self.request(**kwargs), range(count)))

    def raw(self, request: bytes, timeout: float = 15.0) -> Response:
        """`request` written byte for byte (see http.raw_http), from the next address."""
        answer = raw_http(self.port, request, timeout, fresh_source())
        return self.ledger.record(answer) if self.ledger else answer



# --- counters ------------------------------------------------------------------------------------------


TRAKT_PREFIXES = ("/sync", "/users")


def trakt_calls(counters: Mapping[str, int]) -> dict[str, int]:
    return {p: n for p, n in counters.items() if p.startswith(TRAKT_PREFIXES)}


def delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    return {p: after[p] - before.get(p, 0) for p in after if after[p] != before.get(p, 0)}
