"""pytest fixtures over the harness classes; Tests/Integration/conftest.py imports them all.

  fake_server  (session) FakeUpstream, started once per session.
  fake         FakeUpstream, reset before and after every test.
  fake_factory start_fake(demo=False, demo_period=None) -> an extra FakeUpstream (e.g. --demo).
  responder    start_responder(env_overrides=None, workers=4, via="spawn-fcgi", args=(), state_dir=None,
                               timeout=15.0, sock=None) -> Responder, in OAuth mode against `fake`
  nginx        start_nginx(sock, origins=TEST_ORIGINS, extra_http="", extra_server="") -> Nginx
  make_stack   make_stack(env_overrides=None, workers=4, via="spawn-fcgi", origins=TEST_ORIGINS,
                          extra_http="") -> Stack
  pg_server    (session) a running PgServer; restarted before each test if a test left it stopped.
  pg_factory   create_database() -> PgDatabase, a fresh database on pg_server (per call).
  pg           one fresh PgDatabase for the test.

Every process a fixture started is stopped at teardown; a responder that does not exit 0 on SIGTERM
fails the test.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

from .fake import FakeUpstream
from .nginx import TEST_ORIGINS, Nginx, NginxError
from .postgres import PgDatabase, PgError, PgServer
from .responder import Responder, ResponderError, binary_path, responder_env
from .stack import Stack


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
    with FakeUpstream(workdir=tmp_path_factory.mktemp("fake")) as fake:
        yield fake


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


def stop_cleanly(proc: Responder) -> list[str]:
    """Stops `proc` if it runs and removes its socket; returns problems (an exit code other than 0)."""
    problems = []
    try:
        if proc.alive():
            code = proc.stop()
            if code != 0:
                problems.append(f"responder pid {proc.pid} exited {code} on SIGTERM:\n{proc.log_text()}")
    except ResponderError as err:
        problems.append(str(err))
    finally:
        proc.cleanup()
    return problems


@pytest.fixture
def responder(fake: FakeUpstream, tmp_path: Path) -> Iterator[Callable[..., Responder]]:
    """Factory: each call starts one responder against `fake`, in OAuth mode by default.

    Public mode: start_responder({"TRAKT_USERNAME": "test-user", "TRAKT_CLIENT_SECRET": None,
    "TRAKT_REFRESH_TOKEN": None}). Pass the same state_dir to two responders to share token state;
    pass `sock` to start a successor on the socket path of a stopped predecessor.
    At teardown every responder still running gets SIGTERM and must exit 0 (newest first).
    """
    started: list[Responder] = []

    def start_responder(env_overrides: Mapping[str, Any] | None = None, workers: int = 4,
                        via: str = "spawn-fcgi", args: tuple[str, ...] = (), state_dir: Path | None = None,
                        timeout: float = 15.0, sock: str | None = None) -> Responder:
        binary = require_binary()
        workdir = tmp_path / f"responder{len(started)}"
        workdir.mkdir()
        state = state_dir or workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        env = responder_env(fake.url, state, fake.tokens()["refresh_token"], env_overrides)
        proc = Responder(binary, env, workdir, workers=workers, via=via, args=args, sock=sock)
        started.append(proc)
        try:
            return proc.start(timeout)
        except (ResponderError, TimeoutError) as err:
            pytest.fail(f"responder did not start: {err}\n{proc.log_text()}", pytrace=False)

    yield start_responder

    problems = [problem for proc in reversed(started) for problem in stop_cleanly(proc)]
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


# --- nginx -----------------------------------------------------------------------------------------


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[..., Nginx]]:
    """Factory: start_nginx(sock, ...) runs nginx with the shipped nginx/ files in front of `sock`."""
    started: list[Nginx] = []

    def start_nginx(sock: str, origins: tuple[str, ...] = TEST_ORIGINS, extra_http: str = "",
                    extra_server: str = "", **options: Any) -> Nginx:
        """`options`: Nginx's rate_limit, keep_conn and worker_connections."""
        prefix = tmp_path / f"nginx{len(started)}"
        server = Nginx(prefix, sock, origins=origins, extra_http=extra_http, extra_server=extra_server, **options)
        started.append(server)
        try:
            return server.start()
        except (NginxError, TimeoutError) as err:
            pytest.fail(f"nginx did not start: {err}\n{server.error_log_text()}", pytrace=False)

    yield start_nginx
    for server in started:
        server.stop()


# --- everything together ---------------------------------------------------------------------------


@pytest.fixture
def make_stack(fake: FakeUpstream, responder: Callable[..., Responder],
               nginx: Callable[..., Nginx]) -> Callable[..., Stack]:
    def build(env_overrides: Mapping[str, Any] | None = None, workers: int = 4, via: str = "spawn-fcgi",
              origins: tuple[str, ...] = TEST_ORIGINS, extra_http: str = "") -> Stack:
        proc = responder(env_overrides, workers=workers, via=via)
        return Stack(fake, proc, nginx(proc.sock, origins=origins, extra_http=extra_http))

    return build


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with contextlib.ExitStack() as started:
        try:
            server = started.enter_context(PgServer())
        except (PgError, OSError, KeyError, subprocess.TimeoutExpired) as err:
            pytest.fail(f"could not start PostgreSQL for the tests: {err}", pytrace=False)
        yield server


@pytest.fixture
def pg_factory(pg_server: PgServer) -> Callable[[], PgDatabase]:
    # A test that stopped the server and then failed must not take the next tests down with it.
    pg_server.start()
    return pg_server.create_database


@pytest.fixture
def pg(pg_factory: Callable[[], PgDatabase]) -> PgDatabase:
    return pg_factory()
