"""Helpers for the fault, bad-input and soak tests (test_faults.py, Tests/Soak/soak.py).

- `Visitors`: HTTP requests to the test nginx from many loopback source addresses (127.1.0.1 and up;
  all of 127/8 is local on Linux). The shipped config limits each client address to 5 r/s (burst 10);
  spreading requests over thousands of addresses is what many real visitors look like, so the tests
  can send bursts during a failure without measuring limit_req instead of the responder.
- `raw_http`: one request written byte for byte to a socket (non-UTF-8 paths, odd methods).
- `fcgi_direct`: a FastCGI request straight to the responder's socket with arbitrary parameter bytes,
  bypassing nginx (and its cache), for bursts that must reach the responder itself.
- `Ledger`: every response these helpers saw, plus log files, plus every secret the fake ever held,
  so one test can assert that no secret reached a client or a log over the whole module.
- `check_answer`: the common expectation for every client-facing response (JSON, never HTML).
- `proc_stats`: RSS, open fds and threads of a process from /proc.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import rawfcgi
from e2etools import http_request
from fcgiclient import Headers

JSON_TYPE = "application/json; charset=utf-8"


# --- responses ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One response as the client saw it (through nginx or straight from the responder)."""
    status: int
    headers: Headers
    body: bytes
    source: str = ""  # a label for failure messages: "GET /api/trakt/last via 127.0.0.7"

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def cache_status(self) -> str:
        return self.headers.get("X-Cache-Status", "") or ""

    def raw(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.status}\n{head}\n\n{self.text}"

    def __repr__(self) -> str:
        return f"<{self.status} {self.source} {self.cache_status} {self.body[:160]!r}>"


def check_answer(answer: Answer, statuses: Iterable[int], code: str | None = None, health: bool = False) -> Any:
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

    def record(self, answer: Answer) -> Answer:
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


# --- HTTP through nginx ------------------------------------------------------------------------------------


class Visitors:
    """Requests to nginx, each from the next loopback source address (127.1.0.1, 127.1.0.2, …)."""

    def __init__(self, port: int, ledger: Ledger | None = None) -> None:
        self.port = port
        self.ledger = ledger
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next_address(self) -> str:
        with self._lock:
            i = next(self._counter)
        return f"127.{1 + (i // 65024) % 254}.{(i // 254) % 256}.{1 + i % 254}"

    def request(self, path: str = "/api/trakt/last", method: str = "GET",
                headers: Mapping[str, str] | None = None, body: bytes | None = None,
                timeout: float = 30.0, source: str | None = None) -> Answer:
        address = source or self.next_address()
        response = http_request(f"http://127.0.0.1:{self.port}", path, method, headers, body, address, timeout)
        answer = Answer(response.status, response.headers, response.body, f"{method} {path[:60]} via {address}")
        return self.ledger.record(answer) if self.ledger else answer

    def get(self, path: str = "/api/trakt/last", **kwargs: Any) -> Answer:
        return self.request(path, **kwargs)

    def burst(self, count: int, workers: int = 10, **kwargs: Any) -> list[Answer]:
        """`count` requests, `workers` at a time, each from its own address."""
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda _: self.request(**kwargs), range(count)))


def parse_http_response(raw: bytes, source: str = "") -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = Headers()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2:]
        body = decoded
    return Answer(status, headers, body, source)


def raw_http(port: int, request: bytes, ledger: Ledger | None = None, timeout: float = 15.0,
             source: str = "127.0.0.1") -> Answer:
    """Writes `request` as is (it should carry `Connection: close`) and reads until nginx closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    answer = parse_http_response(b"".join(chunks), repr(request[:60]))
    return ledger.record(answer) if ledger else answer


# --- FastCGI straight to the responder -------------------------------------------------------------------


def fcgi_direct(sock_path: str, method: str = "GET", path: str = "/api/trakt/last",
                headers: Mapping[str, str] | None = None, raw_uri: bytes | None = None,
                ledger: Ledger | None = None, timeout: float = 30.0) -> Answer:
    """One FastCGI request with nginx's parameters. `raw_uri` sets REQUEST_URI to arbitrary bytes."""
    params = None
    if raw_uri is not None:
        # surrogateescape carries bytes that are not UTF-8 through rawfcgi's encoder unchanged.
        uri = raw_uri.decode("utf-8", "surrogateescape")
        params = {"REQUEST_URI": uri, "DOCUMENT_URI": uri.split("?")[0]}
    response = rawfcgi.request(sock_path, method, path, headers, timeout, params=params)
    answer = Answer(response.status, response.headers, response.body,
                    f"{method} {(raw_uri or path.encode())[:60]!r} via fastcgi")
    return ledger.record(answer) if ledger else answer


def fcgi_burst(sock_path: str, count: int, workers: int = 10, **kwargs: Any) -> list[Answer]:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda _: fcgi_direct(sock_path, **kwargs), range(count)))


# --- counters ----------------------------------------------------------------------------------------------


TRAKT_PREFIXES = ("/sync", "/users")


def trakt_calls(counters: Mapping[str, int]) -> dict[str, int]:
    return {p: n for p, n in counters.items() if p.startswith(TRAKT_PREFIXES)}


def delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    return {p: after[p] - before.get(p, 0) for p in after if after[p] != before.get(p, 0)}


# --- /proc ------------------------------------------------------------------------------------------------


def proc_stats(pid: int) -> dict[str, int]:
    """VmRSS (kB), open file descriptors and threads of `pid`."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"].strip()),
    }
