"""The trakt-widget responder as a test subprocess on a unix socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping

from fcgiclient import FcgiResponse, fcgi_request
from waiting import fastcgi_app_answers, stop_process, wait_until

REPO = Path(__file__).resolve().parents[2]
SPAWN_FCGI = shutil.which("spawn-fcgi") or "/usr/bin/spawn-fcgi"

# Matching defaults live in the fake's Scenario (Tests/Fake/fakeupstream/scenario.py).
TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-secret-XYZ"
TEST_TMDB_API_KEY = "test-tmdb-key-XYZ"
TEST_USERNAME = "test-user"

# Environment variables the responder reads; none leak in from the developer's shell.
_PASSTHROUGH = ("PATH", "LD_LIBRARY_PATH", "LLVM_PROFILE_FILE")


class ResponderError(RuntimeError):
    pass


def binary_path() -> Path:
    """The responder under test: $TRAKT_WIDGET_BIN or the debug build."""
    return Path(os.environ.get("TRAKT_WIDGET_BIN") or REPO / ".build" / "debug" / "trakt-widget")


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


class Responder:
    """One responder process. `via` picks how the socket is handed over:

    - "spawn-fcgi": `spawn-fcgi -n -s SOCK -M 0660 -- BIN serve` (listener on fd 0, like systemd's
      StandardInput=socket); spawn-fcgi execs the binary, so `pid` is the responder itself.
    - "listen": `BIN serve --listen SOCK`.
    """

    def __init__(self, binary: Path, env: Mapping[str, str], workdir: Path, *, workers: int = 4,
                 via: str = "spawn-fcgi", args: tuple[str, ...] = ()) -> None:
        if via not in ("spawn-fcgi", "listen"):
            raise ValueError(f"via must be 'spawn-fcgi' or 'listen', not {via!r}")
        self.binary = binary
        self.env = dict(env)
        self.via = via
        self.workers = workers
        self.args = tuple(args)
        self.workdir = workdir
        self.log_path = workdir / "responder.log"
        self.state_dir = Path(self.env["TRAKT_WIDGET_STATE_DIR"]) if "TRAKT_WIDGET_STATE_DIR" in self.env else None
        # Unix socket paths are limited to 108 bytes, and pytest's tmp_path can be longer: use /tmp/twXXXX.
        self._sock_dir = Path(tempfile.mkdtemp(prefix="tw", dir="/tmp"))
        self.sock = str(self._sock_dir / "fcgi.sock")
        self._proc: subprocess.Popen[bytes] | None = None
        self.killed = False

    def argv(self) -> list[str]:
        serve = [str(self.binary), "serve", "--workers", str(self.workers), *self.args]
        if self.via == "spawn-fcgi":
            return [SPAWN_FCGI, "-n", "-s", self.sock, "-M", "0660", "--", *serve]
        return [*serve[:2], "--listen", self.sock, *serve[2:]]

    def start(self, timeout: float = 15.0) -> "Responder":
        if not self.binary.exists():
            raise ResponderError(
                f"responder binary {self.binary} is missing: build it (swift build) or set TRAKT_WIDGET_BIN"
            )
        with open(self.log_path, "ab") as log:
            # cwd = workdir: the responder reads ./.env, and the repo's .env may hold real credentials.
            self._proc = subprocess.Popen(self.argv(), env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log)

        def accepting() -> bool:
            if self._proc.poll() is not None:
                raise ResponderError(f"responder exited with {self._proc.returncode}:\n{self.log_text()}")
            return fastcgi_app_answers(self.sock)

        wait_until(accepting, timeout, f"responder socket {self.sock}")
        return self

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise ResponderError("responder not started")
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def request(self, method: str = "GET", path: str = "/api/trakt/last", **kwargs: Any) -> FcgiResponse:
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
        shutil.rmtree(self._sock_dir, ignore_errors=True)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
