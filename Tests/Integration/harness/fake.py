"""The fake upstream (Tests/Fake/fake_upstream.py) as a context manager: start, steer, inspect."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .poll import wait_until
from .process import stop_process

REPO = Path(__file__).resolve().parents[3]
FAKE_SCRIPT = REPO / "Tests" / "Fake" / "fake_upstream.py"

# Talk to the fake directly even when the environment configures an HTTP proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FakeError(RuntimeError):
    pass


class FakeUpstream:
    """A fake_upstream.py subprocess on a free loopback port.

    Usable as a context manager. Control calls raise FakeError on any non-2xx answer, so a typo
    in a scenario key fails the test that made it instead of silently doing nothing.
    """

    def __init__(self, *, demo: bool = False, fixtures: Path | None = None, workdir: Path | None = None,
                 demo_period: float | None = None) -> None:
        # workdir holds the port file and fake.log (kept after stop() for post-mortems).
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="twfake"))
        self.log_path = self._workdir / "fake.log"
        self._port_file = self._workdir / "port"
        self._args = [sys.executable, str(FAKE_SCRIPT), "--port", "0", "--port-file", str(self._port_file)]
        if demo:
            self._args.append("--demo")
        if demo_period is not None:
            self._args += ["--demo-period", str(demo_period)]
        if fixtures is not None:
            self._args += ["--fixtures", str(fixtures)]
        self._proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> "FakeUpstream":
        log = open(self.log_path, "ab")
        try:
            self._proc = subprocess.Popen(self._args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()

        def port_written() -> bool:
            if self._proc.poll() is not None:
                raise FakeError(f"fake upstream exited with {self._proc.returncode}:\n{self.log_text()}")
            return self._port_file.exists()

        wait_until(port_written, timeout, "fake upstream port file")
        self.port = int(self._port_file.read_text().strip())
        self._call("GET", "/_fake/health")  # proves the control API answers, not just that a port was bound
        return self

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM and wait; returns the exit code (0 on a clean shutdown)."""
        try:
            return stop_process(self._proc, timeout)
        except TimeoutError:
            raise FakeError(f"fake upstream ignored SIGTERM for {timeout}s") from None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def __enter__(self) -> "FakeUpstream":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        code = self.stop()
        if code != 0 and exc[0] is None:
            raise FakeError(f"fake upstream did not shut down cleanly (exit {code}):\n{self.log_text()}")

    @property
    def url(self) -> str:
        """Base URL for TRAKT_API_URL, TRAKT_AUTH_URL and TMDB_API_URL alike (no trailing slash)."""
        if self.port is None:
            raise FakeError("fake upstream not started")
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- control API -------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise FakeError(f"{method} {path} -> {err.code}: {err.read().decode(errors='replace')}") from None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/_fake/health")

    def reset(self) -> None:
        """Counters, request log, faults, scenario, tokens and device script back to defaults."""
        self._call("POST", "/_fake/reset")

    def scenario(self, **settings: Any) -> dict[str, Any]:
        """Partial scenario update, e.g. scenario(movies=[], latency_ms=200); returns the full scenario."""
        return self._call("POST", "/_fake/scenario", settings)

    def get_scenario(self) -> dict[str, Any]:
        return self._call("GET", "/_fake/scenario")

    def tmdb(self, kind: str, tmdb_id: int | str, **fields: Any) -> None:
        """Shape one TMDB record, e.g. tmdb("movie", 155, poster_path=None)."""
        key = {"movie": "tmdb_movies", "tv": "tmdb_tv"}[kind]
        self.scenario(**{key: {str(tmdb_id): fields}})

    def tmdb_missing(self, kind: str, tmdb_id: int | str) -> None:
        """Make TMDB answer 404 for this id."""
        key = {"movie": "tmdb_movies", "tv": "tmdb_tv"}[kind]
        self.scenario(**{key: {str(tmdb_id): None}})

    def fault(self, kind: str, prefix: str = "/", count: int | None = None, **options: Any) -> int:
        """Add a fault and return its id. kind: status, hang, rate_limit|429, malformed, html403,
        vip|426, drop|reset|tmdb_down, latency. See Tests/Fake/README.md for the options."""
        spec: dict[str, Any] = {"kind": kind, "prefix": prefix, **options}
        if count is not None:
            spec["count"] = count
        return self._call("POST", "/_fake/faults", spec)["id"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_fake/faults")["faults"]

    def clear_faults(self, fault_id: int | None = None) -> int:
        """Remove one fault or all of them; also wakes requests stuck in a hang."""
        suffix = f"?id={fault_id}" if fault_id is not None else ""
        return self._call("DELETE", "/_fake/faults" + suffix)["removed"]

    def counters(self) -> dict[str, int]:
        """Upstream calls per path (query string excluded) since the last reset."""
        return self._call("GET", "/_fake/counters")["counts"]

    def count(self, path: str) -> int:
        return self.counters().get(path, 0)

    def tokens(self) -> dict[str, Any]:
        return self._call("GET", "/_fake/tokens")

    def set_tokens(self, **fields: Any) -> dict[str, Any]:
        """access_token, refresh_token, expires_in, created_at, expired (bool), auth_codes (list)."""
        return self._call("POST", "/_fake/tokens", fields)

    def device(self, outcomes: list[str] | None = None, **timing: Any) -> dict[str, Any]:
        """Script device polling, e.g. device(["pending", "pending", "success"], interval=1)."""
        payload: dict[str, Any] = dict(timing)
        if outcomes is not None:
            payload["outcomes"] = outcomes
        return self._call("POST", "/_fake/device", payload)

    def device_state(self) -> dict[str, Any]:
        """The device-polling script and what it has consumed so far."""
        return self._call("GET", "/_fake/device")

    def simkl(self, outcomes: list[str] | None = None) -> dict[str, Any]:
        """Simkl's PIN polling script (pending, slow_down, ok) when given, and its politeness record:
        all_items_calls, needless_all_items (reads although activities had not moved), suspended."""
        if outcomes is not None:
            return self._call("POST", "/_fake/simkl", {"outcomes": outcomes})
        return self._call("GET", "/_fake/simkl")

    def requests(self, path: str | None = None, prefix: str | None = None) -> list[dict[str, Any]]:
        """Logged upstream requests (method, path, query, params, headers, body, json, status, fault)."""
        query = urllib.parse.urlencode({k: v for k, v in (("path", path), ("prefix", prefix)) if v})
        return self._call("GET", "/_fake/requests" + (f"?{query}" if query else ""))["requests"]
