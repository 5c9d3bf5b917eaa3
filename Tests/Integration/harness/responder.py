"""The trakt-widget responder as a test subprocess on a unix socket, and its environment."""

from __future__ import annotations

import os
import re
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

from .fastcgi import app_answers, fcgi_request
from .poll import wait_until
from .process import stop_process, unix_socket_listening
from .response import Response

REPO = Path(__file__).resolve().parents[3]
SPAWN_FCGI = shutil.which("spawn-fcgi") or "/usr/bin/spawn-fcgi"

# Matching defaults live in the fake's Scenario (Tests/Fake/fakeupstream/scenario.py).
TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-secret-XYZ"
TEST_TMDB_API_KEY = "test-tmdb-key-XYZ"
TEST_USERNAME = "test-user"
TEST_SIMKL_CLIENT_ID = "test-simkl-client-id"
TEST_SIMKL_TOKEN = "test-simkl-token-XYZ"
TEST_LETTERBOXD_USER = "dave"

# Environment variables the responder reads; none leak in from the developer's shell.
_PASSTHROUGH = ("PATH", "LD_LIBRARY_PATH", "LLVM_PROFILE_FILE")

VIAS = ("spawn-fcgi", "listen", "socket-activate", "stdin", "held-socket")
SOCKET_HOLDER = Path(__file__).with_name("socket_holder.py")


class ResponderError(RuntimeError):
    pass


def binary_path() -> Path:
    """The responder under test: $TRAKT_WIDGET_BIN or the debug build."""
    return Path(os.environ.get("TRAKT_WIDGET_BIN") or REPO / ".build" / "debug" / "trakt-widget")


def socket_activate_path() -> str | None:
    for candidate in (shutil.which("systemd-socket-activate"), "/usr/bin/systemd-socket-activate",
                      "/lib/systemd/systemd-socket-activate", "/usr/lib/systemd/systemd-socket-activate"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def responder_env(fake_url: str, state_dir: Path, refresh_token: str,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """OAuth mode against the fake; an override of None removes a variable (e.g. for public mode)."""
    env = {name: os.environ[name] for name in _PASSTHROUGH if name in os.environ}
    env.update({
        "HOME": str(state_dir),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "TRAKT_API_URL": fake_url,
        "TRAKT_AUTH_URL": fake_url,
        "TMDB_API_URL": fake_url,
        "TRAKT_CLIENT_ID": TEST_CLIENT_ID,
        "TRAKT_CLIENT_SECRET": TEST_CLIENT_SECRET,
        "TRAKT_REFRESH_TOKEN": refresh_token,
        "TMDB_API_KEY": TEST_TMDB_API_KEY,
        "TRAKT_WIDGET_STATE_DIR": str(state_dir),
    })
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def provider_overrides(provider: str, fake_url: str) -> dict[str, Any]:
    """`responder_env` overrides that switch the responder to Simkl or Letterboxd on the fake (no Trakt
    variables at all, so the provider is the only one configured)."""
    trakt_off: dict[str, Any] = {name: None for name in (
        "TRAKT_CLIENT_ID", "TRAKT_CLIENT_SECRET", "TRAKT_REFRESH_TOKEN", "TRAKT_API_URL", "TRAKT_AUTH_URL")}
    if provider == "simkl":
        return {**trakt_off, "WATCH_PROVIDER": "simkl", "SIMKL_API_URL": fake_url,
                "SIMKL_CLIENT_ID": TEST_SIMKL_CLIENT_ID, "SIMKL_ACCESS_TOKEN": TEST_SIMKL_TOKEN}
    if provider == "letterboxd":
        return {**trakt_off, "WATCH_PROVIDER": "letterboxd", "LETTERBOXD_URL": fake_url,
                "LETTERBOXD_USERNAME": TEST_LETTERBOXD_USER}
    raise ValueError(f"unknown provider {provider}")


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 30.0,
            binary: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The binary run once (auth, last, check, --version …), output captured as bytes."""
    return subprocess.run([str(binary or binary_path()), *args], env=dict(env), cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


class Responder:
    """One responder process, usable as a context manager. `via` picks how it gets its socket:

    - "spawn-fcgi": `spawn-fcgi -n -s SOCK -M 0660 -- BIN serve` (listener on fd 0, like systemd's
      StandardInput=socket); spawn-fcgi execs the binary, so `pid` is the responder itself.
    - "listen": `BIN serve --listen SOCK`.
    - "socket-activate": `systemd-socket-activate -l SOCK -E ... BIN serve`; the activator binds SOCK,
      waits for the first connection, then execs the binary (same pid) with LISTEN_FDS=1,
      LISTEN_PID=<pid> and the listener on fd 3. stdin is /dev/null, so fd 3 is the only way in.
    - "stdin": a listening unix socket created here becomes the binary's fd 0, as with spawn-fcgi or
      systemd's StandardInput=socket, but with no spawn-fcgi in between.
    - "held-socket": like "socket-activate", but the activator execs socket_holder.py, which keeps the
      socket across `restart()`s of the responder as PID 1 keeps a socket unit's; `pid` is the
      holder's, `responder_pid()` the current responder's, `exits()` every responder's exit code.

    Readiness: "spawn-fcgi" and "listen" wait until the app answers a FastCGI management record; the
    other two only until the socket listens (socket activation starts the app on the first request).
    """

    def __init__(self, binary: Path, env: Mapping[str, str], workdir: Path, *, workers: int = 4,
                 via: str = "spawn-fcgi", args: tuple[str, ...] = (), sock: str | None = None) -> None:
        if via not in VIAS:
            raise ValueError(f"via must be one of {VIAS}, not {via!r}")
        self.binary = binary
        self.env = dict(env)
        self.via = via
        self.workers = workers
        self.args = tuple(args)
        self.workdir = workdir
        self.log_path = workdir / "responder.log"
        self.state_dir = Path(self.env["TRAKT_WIDGET_STATE_DIR"]) if "TRAKT_WIDGET_STATE_DIR" in self.env else None
        # Unix socket paths are limited to 108 bytes, and pytest's tmp_path can be longer: use /tmp/twXXXX.
        # A given `sock` (a successor on its predecessor's path) is not ours to remove.
        self._sock_dir = None if sock else Path(tempfile.mkdtemp(prefix="tw", dir="/tmp"))
        self.sock = sock or str(self._sock_dir / "fcgi.sock")
        self._proc: subprocess.Popen[bytes] | None = None
        self.killed = False
        self.pidfile = workdir / "responder.pid"

    def argv(self) -> list[str]:
        serve = [str(self.binary), "serve", "--workers", str(self.workers), *self.args]
        if self.via == "spawn-fcgi":
            return [SPAWN_FCGI, "-n", "-s", self.sock, "-M", "0660", "--", *serve]
        if self.via == "listen":
            return [*serve[:2], "--listen", self.sock, *serve[2:]]
        if self.via == "stdin":
            return serve
        activate = socket_activate_path()
        if activate is None:
            raise ResponderError("systemd-socket-activate not found (apt-get install systemd)")
        # The activator passes on only TERM, PATH, USER and HOME by itself; -E NAME copies the rest.
        setenv = [arg for name in sorted(self.env) for arg in ("-E", name)]
        if self.via == "held-socket":
            return [activate, "-l", self.sock, *setenv, sys.executable, str(SOCKET_HOLDER), str(self.pidfile), *serve]
        return [activate, "-l", self.sock, *setenv, *serve]

    def start(self, timeout: float = 15.0) -> "Responder":
        if not self.binary.exists():
            raise ResponderError(
                f"responder binary {self.binary} is missing: build it (swift build) or set TRAKT_WIDGET_BIN"
            )
        with open(self.log_path, "ab") as log:
            # cwd = workdir: the responder reads ./.env, and the repo's .env may hold real credentials.
            if self.via == "stdin":
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    listener.bind(self.sock)
                    listener.listen(64)
                    self._proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.workdir,
                                                  stdin=listener.fileno(), stdout=log, stderr=log)
                finally:
                    listener.close()  # the child holds its own copy as fd 0
            else:
                self._proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.workdir,
                                              stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        lazy = self.via in ("socket-activate", "stdin", "held-socket")

        def ready() -> bool:
            if self._proc.poll() is not None:
                raise ResponderError(f"responder ({self.via}) exited with {self._proc.returncode}:\n{self.log_text()}")
            return unix_socket_listening(self.sock) if lazy else app_answers(self.sock)

        wait_until(ready, timeout, f"responder socket {self.sock}")
        return self

    def responder_pid(self) -> int | None:
        """held-socket: the pid of the responder serving now (None before the first request)."""
        try:
            return int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def restart(self, timeout: float = 15.0) -> None:
        """held-socket: SIGTERM to the responder, then a new one on the same socket, as
        `systemctl restart` does; returns once the new one runs."""
        old = self.responder_pid()
        self.signal(signal.SIGHUP)
        wait_until(lambda: self.responder_pid() not in (None, old), timeout, "the restarted responder")

    def exits(self) -> list[int]:
        """held-socket: the exit code of every responder that has stopped, in order."""
        return [int(code) for code in re.findall(r"^exit \d+ (-?\d+)$", self.log_text(), re.M)]

    def __enter__(self) -> "Responder":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            if self.alive():
                self.stop()
        finally:
            self.cleanup()

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise ResponderError("responder not started")
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def executable(self) -> str:
        """What the process runs right now (for socket activation: the activator until the first
        connection, then the app)."""
        return os.path.realpath(f"/proc/{self.pid}/exe")

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def request(self, method: str = "GET", path: str = "/api/trakt/last", **kwargs: Any) -> Response:
        return fcgi_request(self.sock, method=method, path=path, **kwargs)

    def signal(self, signum: int) -> None:
        if self.alive():
            os.kill(self.pid, signum)

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then wait up to `timeout`; returns the exit code. SIGKILLs and raises if it hangs."""
        if self._proc is None:
            raise ResponderError("responder not started")
        try:
            return stop_process(self._proc, timeout)
        except TimeoutError:
            raise ResponderError(f"responder ignored SIGTERM for {timeout}s:\n{self.log_text()}") from None

    def kill9(self) -> None:
        """Simulate a crash: no cleanup runs in the responder."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self.killed = True

    def wait_exit(self, timeout: float) -> int:
        assert self._proc is not None
        return self._proc.wait(timeout)

    def cleanup(self) -> None:
        """Kills a process still running (a test that failed half-way) and removes the socket directory."""
        if self.alive():
            self.kill9()
        if self._sock_dir is not None:
            shutil.rmtree(self._sock_dir, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
