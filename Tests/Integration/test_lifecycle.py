"""The responder's life under a service manager, without systemd: restarts and SIGTERM under load with
the socket held across them, kept-alive FastCGI connections from nginx, the listen queue, readiness and
the watchdog over a fake NOTIFY_SOCKET, thread names, journald priorities, and SIGTERM in CGI mode."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from harness import FakeUpstream, LoadLoops, Nginx, NotifySocket, Responder, burst, http_request, responder_env, wait_until
from harness.apache import Apache
from harness.fastcgi import connect, fcgi_request, read_response, request_bytes
from harness.fixtures import require_binary

HEALTH = "/api/trakt/health"


@pytest.fixture
def env_for(fake: FakeUpstream, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """The responder's environment, for tests that run the binary themselves."""
    def make(**overrides: Any) -> dict[str, str]:
        state = tmp_path / "state"
        state.mkdir(exist_ok=True)
        return responder_env(fake.url, state, fake.tokens()["refresh_token"], overrides)

    return make


# --- restarts with the socket held, as systemd holds it ------------------------------------------------


def test_restarts_under_load_answer_every_request(responder: Callable[..., Responder],
                                                   nginx: Callable[..., Nginx]) -> None:
    """What `systemctl restart` does under load, with the socket held across restarts as systemd holds
    it: every request in flight or queued meanwhile is answered."""
    proc = responder(workers=2, via="held-socket")
    server = nginx(proc.sock, rate_limit=False)
    assert http_request(server.base_url + HEALTH).status == 200  # activates the socket
    restarts = 8
    with LoadLoops(server.base_url, HEALTH, 4) as load:
        for _ in range(restarts):
            served = load.answered()
            wait_until(lambda: load.answered() >= served + 40, 30, "requests served between restarts")
            proc.restart()
        served = load.answered()
        wait_until(lambda: load.answered() >= served + 40, 30, "requests served after the last restart")
    assert load.errors == [], load.errors[:5]
    assert set(load.statuses) == {200}, load.statuses
    assert sum(load.statuses.values()) > restarts * 40
    assert proc.exits() == [0] * restarts, proc.log_text()


# --- kept-alive FastCGI connections ------------------------------------------------------------------


def test_idle_kept_connections_cost_no_worker(responder: Callable[..., Responder]) -> None:
    proc = responder(workers=2)
    kept = []
    for _ in range(6):
        sock = connect(proc.sock, timeout=5)
        sock.sendall(request_bytes(path=HEALTH, keep_conn=True))
        assert read_response(sock).status == 200
        kept.append(sock)
    try:
        # Six idle kept connections, two workers: a new client is still answered at once.
        started = time.monotonic()
        assert fcgi_request(proc.sock, path=HEALTH, timeout=3).status == 200
        assert time.monotonic() - started < 1.0
        # And every kept connection still works for its next request.
        for sock in kept:
            sock.sendall(request_bytes(path=HEALTH, keep_conn=True))
            assert read_response(sock).status == 200
    finally:
        for sock in kept:
            sock.close()


def pool_up_connections(base_url: str, sock: str, workers: int) -> None:
    """Rounds of 12 concurrent requests until the proxy keeps more idle connections to `sock` than the
    responder has workers (how many it opens depends on how the requests overlap). Every answer must be
    a 200."""
    def round_then_count() -> bool:
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(http_request(base_url + HEALTH, timeout=40).status))
                   for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert results == [200] * 12, results
        return held_connections(sock) > workers

    wait_until(round_then_count, 60, f"more kept connections than {workers} workers")


def held_connections(sock: str) -> int:
    """Connections the responder has accepted on `sock` and not closed (ss lists the server ends)."""
    out = subprocess.run(["ss", "-xH", "state", "connected"], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if f" {sock} " in f" {line} ")


def test_nginx_keep_conn_with_more_idle_connections_than_workers(responder: Callable[..., Responder],
                                                                 nginx: Callable[..., Nginx]) -> None:
    proc = responder(workers=2)
    server = nginx(proc.sock, rate_limit=False, keep_conn=True)
    pool_up_connections(server.base_url, proc.sock, workers=2)
    started = time.monotonic()
    assert fcgi_request(proc.sock, path=HEALTH, timeout=3).status == 200
    assert http_request(server.base_url + HEALTH, timeout=3).status == 200
    assert time.monotonic() - started < 1.5


def test_apache_enablereuse_with_more_idle_connections_than_workers(responder: Callable[..., Responder],
                                                                    tmp_path: Path) -> None:
    """Apache's pooled connections (mod_proxy_fcgi enablereuse=on) stay open and idle after their
    requests; they must not hold the responder's workers."""
    proc = responder(workers=2)
    # httpd's children run as nobody.
    os.chmod(os.path.dirname(proc.sock), 0o755)
    os.chmod(proc.sock, 0o666)
    with Apache(tmp_path / "apache", proc.sock) as apache:
        pool_up_connections(apache.base_url, proc.sock, workers=2)
        started = time.monotonic()
        assert fcgi_request(proc.sock, path=HEALTH, timeout=3).status == 200
        assert http_request(apache.base_url + HEALTH, timeout=3).status == 200
        assert time.monotonic() - started < 1.5


# --- the listen queue ---------------------------------------------------------------------------------


def somaxconn() -> int:
    return int(Path("/proc/sys/net/core/somaxconn").read_text())


def test_listen_queue_is_the_system_maximum(responder: Callable[..., Responder]) -> None:
    proc = responder(via="listen")
    out = subprocess.run(["ss", "-xlH", "src", proc.sock], capture_output=True, text=True, check=True).stdout
    # For a listening socket, ss's Send-Q column is the queue's size.
    assert [int(line.split()[3]) for line in out.splitlines()] == [somaxconn()], out


def test_a_burst_of_1000_connections_through_nginx_gets_no_502(responder: Callable[..., Responder],
                                                               nginx: Callable[..., Nginx]) -> None:
    proc = responder(via="listen")
    server = nginx(proc.sock, rate_limit=False, worker_connections=4096)
    statuses = burst(server.port, HEALTH, 1000)
    assert statuses == {"200": 1000}, statuses


# --- readiness, status and watchdog over sd_notify ----------------------------------------------------


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    with NotifySocket() as server:
        yield server


def test_watchdog_pings_stop_when_the_refresh_thread_is_wedged(responder: Callable[..., Responder],
                                                               notify: NotifySocket, tmp_path: Path) -> None:
    freeze = tmp_path / "freeze-refresh"
    proc = responder({"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000",
                      "TRAKT_WIDGET_DEBUG_FREEZE_FILE": str(freeze)}, workers=2)
    ready = notify.wait_for(r"^READY=1$", 5)
    assert notify.received()[0] == ready, notify.received()   # before any watchdog ping
    notify.wait_for(r"^WATCHDOG=1\nSTATUS=serving, cache empty, token refresh_due$", 5)
    assert proc.request().status == 200
    # Pings every half period while everything is alive, each with the status line.
    alive = notify.wait_for(r"^WATCHDOG=1$", 5, since=time.monotonic())
    assert re.search(r"^STATUS=serving, cache \d+ s old, token valid \d+ (h|d)$", alive, re.M), alive

    freeze.touch()
    stuck = notify.wait_for(r"^STATUS=stuck: refresh thread silent", 15)
    assert "WATCHDOG=1" not in stuck
    after = time.monotonic()
    # Two more periods: systemd would have restarted the service by now.
    notify.wait_for(r"^STATUS=stuck", 5, since=after + 1.5)
    assert not [m for m in notify.received(after) if "WATCHDOG=1" in m]
    assert "refresh thread silent" in proc.log_text()
    # The workers are fine; the heartbeat vouches for all threads, so one wedged thread is enough.
    assert proc.request(path=HEALTH).status == 200

    signalled = time.monotonic()
    proc.signal(signal.SIGTERM)
    assert proc.wait_exit(5) == 0, proc.log_text()
    # The frozen refresh thread is left behind after its bounded join, not waited for.
    assert time.monotonic() - signalled < 2.5
    notify.wait_for(r"^STOPPING=1$", 2)


def test_without_notify_socket_nothing_is_sent(responder: Callable[..., Responder], notify: NotifySocket) -> None:
    proc = responder({"WATCHDOG_USEC": "1000000"}, workers=1)
    assert proc.request(path=HEALTH).status == 200
    assert proc.stop() == 0
    assert notify.received() == []


# --- threads and logs ---------------------------------------------------------------------------------


def test_threads_are_named(responder: Callable[..., Responder]) -> None:
    proc = responder(workers=3)
    names = sorted(Path(f"/proc/{proc.pid}/task/{task}/comm").read_text().strip()
                   for task in os.listdir(f"/proc/{proc.pid}/task"))
    for name in ("tw-worker-0", "tw-worker-1", "tw-worker-2", "tw-refresh", "tw-signals"):
        assert name in names, names


def test_log_lines_carry_journal_priorities_when_stderr_is_the_journal(env_for: Callable[..., dict[str, str]],
                                                                       tmp_path: Path) -> None:
    workdir = tmp_path / "journal"
    workdir.mkdir()
    proc = Responder(require_binary(), env_for(TRAKT_WIDGET_DEBUG_FREEZE_FILE=str(tmp_path / "never")), workdir,
                     workers=1)
    # JOURNAL_STREAM names the log file the way systemd names its journal stream, so the responder
    # takes the file for the journal.
    proc.log_path.touch()
    info = proc.log_path.stat()
    proc.env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
    try:
        proc.start()
        text = proc.log_text()
        assert re.search(r"(?m)^<6>trakt-widget info: serving FastCGI", text), text
        assert re.search(r"(?m)^<4>trakt-widget warning: debug: the refresh thread freezes", text), text
        assert not re.search(r"(?m)^trakt-widget ", text), text
        assert proc.stop() == 0
    finally:
        if proc.alive():
            proc.kill9()
        proc.cleanup()


def test_log_lines_are_plain_when_stderr_is_not_the_journal(responder: Callable[..., Responder]) -> None:
    proc = responder({"JOURNAL_STREAM": "1:1"}, workers=1)
    assert re.search(r"(?m)^trakt-widget info: serving FastCGI", proc.log_text()), proc.log_text()


# --- CGI mode -----------------------------------------------------------------------------------------


def test_cgi_mode_ends_at_once_on_sigterm(fake: FakeUpstream, env_for: Callable[..., dict[str, str]],
                                          tmp_path: Path) -> None:
    fake.fault("latency", prefix="/sync", ms=10000)
    env = env_for()
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/trakt/last",
                "SCRIPT_NAME": "/api/trakt/last", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1"})
    proc = subprocess.Popen([str(require_binary())], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: any(r["path"].startswith("/sync/") for r in fake.requests()), 10,
                   "the CGI process's history request at the fake")
        proc.send_signal(signal.SIGTERM)
        # A CGI server that gives up on a script expects it gone, not finishing a 10 s upstream call.
        assert proc.wait(2) == -signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
