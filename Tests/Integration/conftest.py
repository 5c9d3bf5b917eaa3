"""Shared pytest harness: the fake upstream, the responder, nginx, and the three together.

Fixtures
  fake_server  (session) FakeUpstream, started once per session.
  fake         FakeUpstream, reset before and after every test.
  fake_factory start_fake(demo=False, demo_period=None) -> an extra FakeUpstream (e.g. --demo).
  responder    start_responder(env_overrides=None, workers=4, via="spawn-fcgi", args=(),
                               state_dir=None, timeout=15.0) -> Responder
  nginx        start_nginx(sock, origins=TEST_ORIGINS, extra_http="", extra_server="") -> Nginx
  make_stack   make_stack(env_overrides=None, workers=4, via="spawn-fcgi", origins=TEST_ORIGINS) -> Stack
  stack        Stack with default settings (nginx_stack is the same fixture under contract.md's name).
  fcgi         the fcgi_request function, for tests that prefer a fixture to an import.

Helpers importable from tests: fcgiclient.fcgi_request / fcgi_get / fcgi_concurrent,
httpclient.http_request, waiting.wait_until, fakeclient.FakeUpstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

from fakeclient import FakeUpstream
from fcgiclient import fcgi_request
from httpclient import HttpResponse, http_request
from nginxconf import TEST_ORIGINS, Nginx, NginxError
from responderproc import REPO, Responder, ResponderError, binary_path, responder_env

BIN = binary_path()
ARTIFACTS = REPO / "Tests" / "Integration" / "artifacts"


def require_binary() -> Path:
    """Fail (never skip) when the responder is missing: a green run must mean it was tested."""
    path = binary_path()
    if not path.exists():
        pytest.fail(
            f"responder binary not found at {path}. Build it with `swift build` (or `make build`), "
            "or point TRAKT_WIDGET_BIN at it.",
            pytrace=False,
        )
    return path


# --- fake upstream ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeUpstream]:
    # One process for the whole session keeps the suite fast; `fake` resets it around each test.
    fake = FakeUpstream(workdir=tmp_path_factory.mktemp("fake")).start()
    yield fake
    assert fake.stop() == 0, f"fake upstream did not shut down cleanly:\n{fake.log_text()}"


@pytest.fixture
def fake(fake_server: FakeUpstream) -> Iterator[FakeUpstream]:
    fake_server.reset()
    yield fake_server
    # Also wakes requests a test left hanging, so their threads end before the next test.
    fake_server.reset()


@pytest.fixture
def fake_factory(tmp_path: Path) -> Iterator[Callable[..., FakeUpstream]]:
    started: list[FakeUpstream] = []

    def start_fake(demo: bool = False, demo_period: float | None = None) -> FakeUpstream:
        workdir = tmp_path / f"fake{len(started)}"
        workdir.mkdir()
        fake = FakeUpstream(demo=demo, demo_period=demo_period, workdir=workdir)
        started.append(fake)
        return fake.start()

    yield start_fake
    for fake in started:
        fake.stop()


# --- responder -------------------------------------------------------------------------------------


@pytest.fixture
def responder(fake: FakeUpstream, tmp_path: Path) -> Iterator[Callable[..., Responder]]:
    """Factory: each call starts one responder against `fake`, in OAuth mode by default.

    Public mode: start_responder({"TRAKT_USERNAME": "test-user", "TRAKT_CLIENT_SECRET": None,
    "TRAKT_REFRESH_TOKEN": None}). Pass the same state_dir to two responders to share token state.
    At teardown every responder still running gets SIGTERM and must exit 0.
    """
    started: list[Responder] = []

    def start_responder(env_overrides: Mapping[str, Any] | None = None, workers: int = 4,
                        via: str = "spawn-fcgi", args: tuple[str, ...] = (), state_dir: Path | None = None,
                        timeout: float = 15.0) -> Responder:
        binary = require_binary()
        workdir = tmp_path / f"responder{len(started)}"
        workdir.mkdir()
        state = state_dir or workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        env = responder_env(fake.url, state, fake.tokens()["refresh_token"], env_overrides)
        proc = Responder(binary, env, workdir, workers=workers, via=via, args=args)
        started.append(proc)
        try:
            return proc.start(timeout)
        except (ResponderError, TimeoutError) as err:
            pytest.fail(f"responder did not start: {err}\n{proc.log_text()}", pytrace=False)

    yield start_responder

    problems = []
    for proc in started:
        try:
            if proc.alive():
                code = proc.stop()
                if code != 0:
                    problems.append(f"responder pid {proc.pid} exited {code} on SIGTERM:\n{proc.log_text()}")
        except ResponderError as err:
            problems.append(str(err))
        finally:
            proc.cleanup()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def fcgi() -> Callable[..., Any]:
    return fcgi_request


# --- nginx -----------------------------------------------------------------------------------------


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[..., Nginx]]:
    """Factory: start_nginx(sock, ...) runs nginx with the shipped nginx/ files in front of `sock`."""
    started: list[Nginx] = []

    def start_nginx(sock: str, origins: tuple[str, ...] = TEST_ORIGINS, extra_http: str = "",
                    extra_server: str = "") -> Nginx:
        prefix = tmp_path / f"nginx{len(started)}"
        server = Nginx(prefix, sock, origins=origins, extra_http=extra_http, extra_server=extra_server)
        started.append(server)
        try:
            return server.start()
        except (NginxError, TimeoutError) as err:
            pytest.fail(f"nginx did not start: {err}\n{server.error_log_text()}", pytrace=False)

    yield start_nginx
    for server in started:
        server.stop()


# --- everything together ---------------------------------------------------------------------------


@dataclass
class Stack:
    fake: FakeUpstream
    responder: Responder
    nginx: Nginx

    @property
    def base_url(self) -> str:
        return self.nginx.base_url

    def request(self, path: str = "/api/trakt/last", method: str = "GET",
                headers: Mapping[str, str] | None = None, body: bytes | None = None) -> HttpResponse:
        return http_request(self.base_url + path, method=method, headers=headers, body=body)


@pytest.fixture
def make_stack(fake: FakeUpstream, responder: Callable[..., Responder],
               nginx: Callable[..., Nginx]) -> Callable[..., Stack]:
    def build(env_overrides: Mapping[str, Any] | None = None, workers: int = 4, via: str = "spawn-fcgi",
              origins: tuple[str, ...] = TEST_ORIGINS) -> Stack:
        proc = responder(env_overrides, workers=workers, via=via)
        return Stack(fake, proc, nginx(proc.sock, origins=origins))

    return build


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    return make_stack()


@pytest.fixture
def nginx_stack(stack: Stack) -> Stack:
    return stack


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
