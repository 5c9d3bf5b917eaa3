"""One bench run: its temp directory, its results, and the processes it started (stopped by close())."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

import harness.nginx
from harness import FakeUpstream, Responder, responder_env

from .servers import BenchNginx, PinnedResponder, pinned_nginx_wrapper
from .settings import WORKERS, log
from .wrk import Target


class Rig:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.binary = Path(args.binary)
        self.work = Path(tempfile.mkdtemp(prefix="twbench", dir="/tmp"))
        self.cleanups: list[Callable[[], Any]] = []
        self.results: dict[str, Any] = {"notes": []}
        # Set by the throughput scenario; the profile scenario measures the same processes again.
        self.targets: dict[str, Target] = {}
        self.main_responder: Responder | None = None
        self.floor: Responder | None = None
        harness.nginx.NGINX = pinned_nginx_wrapper(self.work)

    def note(self, text: str) -> None:
        log(text)
        self.results["notes"].append(text)

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as err:  # noqa: BLE001 - teardown must go on
                log(f"cleanup: {err}")
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # processes

    def fake(self, name: str) -> FakeUpstream:
        workdir = self.work / name
        workdir.mkdir()
        fake = FakeUpstream(workdir=workdir)
        fake.start()
        self.cleanups.append(fake.stop)
        return fake

    def responder(self, fake: FakeUpstream, name: str, overrides: dict[str, Any] | None = None,
                  mode: str = "oauth") -> Responder:
        """mode: oauth (valid access + refresh token in the env), oauth-refresh (refresh token only), public."""
        workdir = self.work / name
        workdir.mkdir()
        state = workdir / "state"
        state.mkdir()
        tokens = fake.tokens()
        env_overrides: dict[str, Any] = {"CACHE_TTL": 3600}
        if mode == "oauth":
            env_overrides["TRAKT_ACCESS_TOKEN"] = tokens["access_token"]
        elif mode == "public":
            env_overrides.update({"TRAKT_USERNAME": "test-user", "TRAKT_CLIENT_SECRET": None,
                                  "TRAKT_REFRESH_TOKEN": None})
        env_overrides.update(overrides or {})
        env = responder_env(fake.url, state, tokens["refresh_token"], env_overrides)
        proc = PinnedResponder(self.binary, env, workdir, workers=WORKERS)
        self.cleanups.append(lambda: (proc.alive() and proc.stop(), proc.cleanup()))
        proc.start(20)
        return proc

    def nginx(self, name: str, sock: str, locations_text: str | None = None,
              web_root: Path | None = None, extra_http: str = "", keep_conn: bool = False) -> BenchNginx:
        prefix = self.work / name
        locations = None
        if locations_text is not None:
            prefix.mkdir(parents=True, exist_ok=True)
            locations = prefix / "bench-locations.conf"
            locations.write_text(locations_text)
        server = BenchNginx(prefix, sock, locations=locations, web_root=web_root, extra_http=extra_http,
                            keep_conn=keep_conn)
        self.cleanups.append(server.stop)
        server.start()
        return server


def summarize(statuses: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts
