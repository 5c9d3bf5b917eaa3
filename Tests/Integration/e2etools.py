"""Helpers for test_nginx.py: socket-activated responders, an upstream log for nginx, HTTP from
fresh client addresses, and polling with a deadline at a gentle rate.

- `ActivatedResponder` runs the real binary the way systemd hands it a socket, without systemd:
  `systemd-socket-activate -l SOCK BIN serve` (LISTEN_FDS=1, the listener on fd 3, the app started
  by the first connection) or a listening socket created here and given to the binary as fd 0
  (what spawn-fcgi and `StandardInput=socket` do).
- `UPSTREAM_LOG_HTTP` is an `extra_http` snippet for conftest's `nginx` factory: one line per request
  AND per subrequest (background cache updates are subrequests) with the upstream status, the cache
  status and the upstream address, so a test can see whether and how nginx talked to the responder.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from httpclient import HttpResponse
from fcgiclient import Headers
from waiting import NotReady, stop_process, wait_until

T = TypeVar("T")


def socket_activate_path() -> str | None:
    for candidate in (shutil.which("systemd-socket-activate"), "/usr/bin/systemd-socket-activate",
                      "/lib/systemd/systemd-socket-activate", "/usr/lib/systemd/systemd-socket-activate"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# --- polling -----------------------------------------------------------------------------------------


class Deadline(AssertionError):
    pass


def poll(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call `check` until it returns something truthy; fail the test after `timeout` seconds.

    10 checks a second at most: the machine is shared, and every check here is an HTTP request.
    """
    try:
        return wait_until(check, timeout, what, interval)
    except NotReady as err:
        raise Deadline(str(err)) from None


# --- HTTP from fresh client addresses ----------------------------------------------------------------

# limit_req buckets are per client address (5 r/s, burst 10): every request that is not about the
# rate limit comes from a loopback address of its own, so polling never trips the limit.
_sources = (f"127.{a}.{b}.{c}" for a in range(90, 250) for b in range(0, 256) for c in range(1, 255))


def fresh_source() -> str:
    return next(_sources)


def http_request(base_url: str, path: str, method: str = "GET", headers: Mapping[str, str] | None = None,
                 body: bytes | None = None, source: str | None = None, timeout: float = 20.0) -> HttpResponse:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source or fresh_source(), 0))
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        payload = response.read()
        return HttpResponse(response.status, Headers(response.getheaders()), payload)
    finally:
        conn.close()


def header_tokens(headers: Headers, name: str) -> list[str]:
    """All comma-separated values of a possibly repeated header (Vary), case preserved."""
    return [token.strip() for value in headers.get_all(name) for token in value.split(",") if token.strip()]


# --- nginx upstream log ------------------------------------------------------------------------------

UPSTREAM_LOG_NAME = "upstream.log"
UPSTREAM_LOG_HTTP = f"""
    # test_nginx.py: what nginx did with each request and background update (subrequests included).
    log_format trakt_test_upstream '$request_method\\t$uri\\t$status\\t$upstream_status\\t$upstream_cache_status\\t$upstream_addr';
    log_subrequest on;
    access_log logs/{UPSTREAM_LOG_NAME} trakt_test_upstream;
"""


@dataclass(frozen=True)
class UpstreamLine:
    method: str
    uri: str
    status: str
    upstream_status: str   # "-" when nginx did not contact the responder
    cache: str             # HIT, MISS, STALE, UPDATING, EXPIRED, REVALIDATED or "-"
    upstream_addr: str     # "unix:/path" or "-"

    @property
    def reached_responder(self) -> bool:
        return self.upstream_addr.startswith("unix:")


def read_upstream_log(logs_dir: Path) -> list[UpstreamLine]:
    path = logs_dir / UPSTREAM_LOG_NAME
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        fields = raw.split("\t")
        if len(fields) == 6:
            lines.append(UpstreamLine(*fields))
    return lines


# --- socket-activated responder ----------------------------------------------------------------------


class ActivatedResponder:
    """The responder with an inherited listening socket.

    how="socket-activate": `systemd-socket-activate -l SOCK -E ... BIN serve`; the activator binds
      SOCK, waits for the first connection, then execs the binary (same pid) with LISTEN_FDS=1,
      LISTEN_PID=<pid> and the listener on fd 3. stdin is /dev/null, so fd 3 is the only way in.
    how="stdin": a listening unix socket created here becomes the binary's fd 0, as with spawn-fcgi
      or systemd's StandardInput=socket.
    """

    def __init__(self, binary: Path, env: Mapping[str, str], workdir: Path, how: str, workers: int = 2) -> None:
        if how not in ("socket-activate", "stdin"):
            raise ValueError(how)
        self.binary = binary
        self.env = dict(env)
        self.workdir = workdir
        self.how = how
        self.workers = workers
        self.log_path = workdir / f"{how}.log"
        self._sock_dir = Path(tempfile.mkdtemp(prefix="twa", dir="/tmp"))  # sun_path is short
        self.sock = str(self._sock_dir / "fcgi.sock")
        self._proc: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        serve = [str(self.binary), "serve", "--workers", str(self.workers)]
        if self.how == "stdin":
            return serve
        activate = socket_activate_path()
        if activate is None:
            raise RuntimeError("systemd-socket-activate not found")
        # The activator passes on only TERM, PATH, USER and HOME by itself; -E NAME copies the rest.
        setenv = [arg for name in sorted(self.env) for arg in ("-E", name)]
        return [activate, "-l", self.sock, *setenv, *serve]

    def start(self, timeout: float = 15.0) -> "ActivatedResponder":
        with open(self.log_path, "ab") as log:
            if self.how == "stdin":
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    listener.bind(self.sock)
                    listener.listen(64)
                    self._proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.workdir, stdin=listener.fileno(),
                                                  stdout=log, stderr=log)
                finally:
                    listener.close()  # the child holds its own copy as fd 0
            else:
                self._proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                              stdout=log, stderr=log)

        def ready() -> bool:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.how} exited with {self._proc.returncode}:\n{self.log_text()}")
            # socket-activate: the socket file is the readiness signal, the app starts on the first
            # request. stdin: the socket exists before the child does; the first request just queues.
            return os.path.exists(self.sock)

        poll(ready, timeout, f"socket {self.sock}", interval=0.02)
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def executable(self) -> str:
        """What the process runs right now (the activator until the first connection, then the app)."""
        return os.path.realpath(f"/proc/{self.pid}/exe")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        try:
            return stop_process(self._proc, timeout)
        except TimeoutError:
            raise RuntimeError(f"{self.how} responder ignored SIGTERM for {timeout}s:\n{self.log_text()}") from None

    def cleanup(self) -> None:
        if self.alive():
            self._proc.kill()
            self._proc.wait()
        shutil.rmtree(self._sock_dir, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
