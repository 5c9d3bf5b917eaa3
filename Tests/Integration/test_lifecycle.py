"""The responder's life under a service manager, without systemd: restarts and SIGTERM under load with
the socket held across them, kept-alive FastCGI connections from nginx, the listen queue, readiness and
the watchdog over a fake NOTIFY_SOCKET, thread names, journald priorities, and SIGTERM in CGI mode."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import rawfcgi
from conftest import require_binary
from e2etools import http_request, socket_activate_path
from fakeclient import FakeUpstream
from nginxconf import Nginx
from responderproc import Responder, responder_env
from waiting import stop_process, wait_until

HOLDER = Path(__file__).with_name("socketholder.py")
HEALTH = "/api/trakt/health"


def kept_request() -> bytes:
    """A GET whose FCGI_BEGIN_REQUEST sets FCGI_KEEP_CONN, as nginx's fastcgi_keep_conn and Apache's
    enablereuse do: the connection stays open for the next request."""
    begin = rawfcgi.record(rawfcgi.BEGIN_REQUEST, struct.pack("!HB5x", rawfcgi.RESPONDER, 1))
    return begin + rawfcgi.request_bytes(path=HEALTH)[len(begin):]


# --- restarts with the socket held, as systemd holds it ------------------------------------------------


class HeldResponder:
    """systemd-socket-activate binds the socket; socketholder.py keeps it across responder restarts."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int) -> None:
        self.sock_dir = Path(tempfile.mkdtemp(prefix="twh", dir="/tmp"))
        self.sock = str(self.sock_dir / "fcgi.sock")
        self.pidfile = workdir / "responder.pid"
        self.log = workdir / "holder.log"
        activate = socket_activate_path()
        if activate is None:
            pytest.fail("systemd-socket-activate is missing (package systemd)")
        setenv = [arg for name in sorted(env) for arg in ("-E", name)]
        argv = [activate, "-l", self.sock, *setenv, sys.executable, str(HOLDER), str(self.pidfile),
                str(require_binary()), "serve", "--workers", str(workers)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, env=env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_until(lambda: os.path.exists(self.sock), 10, f"socket {self.sock}")

    def responder_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def restart(self) -> None:
        """SIGTERM to the responder, then a new one on the same socket; returns once it runs."""
        old = self.responder_pid()
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.responder_pid() not in (None, old), 15, "the restarted responder")

    def exits(self) -> list[int]:
        return [int(code) for code in re.findall(r"^exit \d+ (-?\d+)", self.log.read_text(), re.M)]

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        stop_process(self.proc, 10)
        subprocess.run(["rm", "-rf", str(self.sock_dir)], check=False)


class LoadLoops:
    """`count` threads sending GET /api/trakt/health through nginx back to back; every answer that is
    not a 200, and every connection error, is a failure."""

    def __init__(self, base_url: str, count: int) -> None:
        self.base_url = base_url
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(count)]

    def loop(self) -> None:
        while not self.stopping.is_set():
            try:
                status = http_request(self.base_url, HEALTH, source="127.0.0.1", timeout=30).status
                with self.lock:
                    self.statuses[status] += 1
            except Exception as err:  # noqa: BLE001 - every kind of failure counts
                with self.lock:
                    self.errors.append(repr(err))

    def ok(self) -> int:
        with self.lock:
            return self.statuses[200]

    def __enter__(self) -> "LoadLoops":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(40)


@pytest.fixture
def env_for(fake: FakeUpstream, tmp_path: Path) -> Callable[..., dict[str, str]]:
    def make(**overrides: Any) -> dict[str, str]:
        state = tmp_path / "state"
        state.mkdir(exist_ok=True)
        return responder_env(fake.url, state, fake.tokens()["refresh_token"], overrides)

    return make


@pytest.fixture
def held(env_for: Callable[..., dict[str, str]], tmp_path: Path) -> Iterator[Callable[..., HeldResponder]]:
    started: list[HeldResponder] = []

    def start(workers: int = 2) -> HeldResponder:
        holder = HeldResponder(env_for(), tmp_path, workers)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.close()


@pytest.fixture
def load_nginx(tmp_path: Path) -> Iterator[Callable[..., Nginx]]:
    """nginx with the shipped files and no rate limit (every load request comes from one address)."""
    started: list[Nginx] = []

    def start(sock: str, cls: type[Nginx] = Nginx) -> Nginx:
        server = cls(tmp_path / f"nginx{len(started)}", sock, rate_limit=False)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def test_restarts_under_load_answer_every_request(held: Callable[..., HeldResponder],
                                                   load_nginx: Callable[..., Nginx]) -> None:
    holder = held(workers=2)
    nginx = load_nginx(holder.sock)
    assert http_request(nginx.base_url, HEALTH).status == 200  # activates the socket
    restarts = 8
    with LoadLoops(nginx.base_url, 4) as load:
        for _ in range(restarts):
            served = load.ok()
            wait_until(lambda: load.ok() >= served + 40, 30, "requests served between restarts")
            holder.restart()
        served = load.ok()
        wait_until(lambda: load.ok() >= served + 40, 30, "requests served after the last restart")
    assert load.errors == [], load.errors[:5]
    assert set(load.statuses) == {200}, load.statuses
    assert sum(load.statuses.values()) > restarts * 40
    assert holder.exits() == [0] * restarts, holder.text()


# --- kept-alive FastCGI connections ------------------------------------------------------------------


def test_idle_kept_connections_cost_no_worker(responder: Callable[..., Responder]) -> None:
    proc = responder(workers=2)
    kept = []
    for _ in range(6):
        sock = rawfcgi.connect(proc.sock, timeout=5)
        sock.sendall(kept_request())
        assert rawfcgi.read_response(sock).status == 200
        kept.append(sock)
    try:
        # Six idle kept connections, two workers: a new client is still answered at once.
        started = time.monotonic()
        assert rawfcgi.request(proc.sock, path=HEALTH, timeout=3).status == 200
        assert time.monotonic() - started < 1.0
        # And every kept connection still works for its next request.
        for sock in kept:
            sock.sendall(kept_request())
            assert rawfcgi.read_response(sock).status == 200
    finally:
        for sock in kept:
            sock.close()


class KeepConnNginx(Nginx):
    """The shipped config plus upstream keepalive and `fastcgi_keep_conn on`."""

    def write_config(self, port: int) -> None:
        super().write_config(port)
        http_conf = self.prefix / "conf" / "trakt-widget-http.test.conf"
        text, hits = re.subn(r"(?m)^(upstream trakt_widget_fcgi \{)", r"\1\n    keepalive 32;", http_conf.read_text())
        assert hits == 1, "nginx/trakt-widget-http.conf changed shape: no `upstream trakt_widget_fcgi {`"
        http_conf.write_text(text + "\nfastcgi_keep_conn on;\n")


def held_connections(sock: str) -> int:
    """Connections the responder has accepted on `sock` and not closed (ss lists the server ends)."""
    out = subprocess.run(["ss", "-xH", "state", "connected"], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if f" {sock} " in f" {line} ")


def test_nginx_keep_conn_with_more_idle_connections_than_workers(responder: Callable[..., Responder],
                                                                 load_nginx: Callable[..., Nginx]) -> None:
    proc = responder(workers=2)
    nginx = load_nginx(proc.sock, KeepConnNginx)
    # Twelve at once make nginx open more upstream connections than there are workers, and keep them.
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(http_request(nginx.base_url, HEALTH, timeout=40).status))
               for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [200] * 12
    assert held_connections(proc.sock) > 2, "nginx did not keep more connections than there are workers"
    started = time.monotonic()
    assert rawfcgi.request(proc.sock, path=HEALTH, timeout=3).status == 200
    assert http_request(nginx.base_url, HEALTH, timeout=3).status == 200
    assert time.monotonic() - started < 1.5


# --- the listen queue ---------------------------------------------------------------------------------


def somaxconn() -> int:
    return int(Path("/proc/sys/net/core/somaxconn").read_text())


def test_listen_queue_is_the_system_maximum(responder: Callable[..., Responder]) -> None:
    proc = responder(via="listen")
    out = subprocess.run(["ss", "-xlH", "src", proc.sock], capture_output=True, text=True, check=True).stdout
    # For a listening socket, ss's Send-Q column is the queue's size.
    assert [int(line.split()[3]) for line in out.splitlines()] == [somaxconn()], out


class WideNginx(Nginx):
    """Room for a thousand clients and their upstream connections."""

    def write_config(self, port: int) -> None:
        super().write_config(port)
        text = self.conf_path.read_text().replace("worker_connections 256;", "worker_connections 4096;")
        self.conf_path.write_text("worker_rlimit_nofile 8192;\n" + text)


async def burst(port: int, count: int) -> Counter[str]:
    async def one() -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {HEALTH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            status = (await asyncio.wait_for(reader.readline(), 60)).split()[1].decode()
            writer.close()
            return status
        except Exception as err:  # noqa: BLE001
            return type(err).__name__

    return Counter(await asyncio.gather(*(one() for _ in range(count))))


def test_a_burst_of_1000_connections_through_nginx_gets_no_502(responder: Callable[..., Responder],
                                                               load_nginx: Callable[..., Nginx]) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    proc = responder(via="listen")
    nginx = load_nginx(proc.sock, WideNginx)
    statuses = asyncio.run(burst(nginx.port, 1000))
    assert statuses == Counter({"200": 1000}), statuses


# --- readiness, status and watchdog over sd_notify ----------------------------------------------------


class NotifySocket:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET; collects every notification."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="twn", dir="/tmp"))
        self.path = str(self.dir / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self.receive, daemon=True)
        self.thread.start()

    def receive(self) -> None:
        while not self.closed.is_set():
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, OSError):
                continue
            with self.lock:
                self.messages.append((time.monotonic(), data.decode()))

    def received(self, since: float = 0.0) -> list[str]:
        with self.lock:
            return [text for at, text in self.messages if at >= since]

    def wait_for(self, pattern: str, timeout: float, since: float = 0.0) -> str:
        def found() -> str | None:
            return next((m for m in self.received(since) if re.search(pattern, m, re.M)), None)
        return wait_until(found, timeout, f"a notification matching {pattern!r}")

    def close(self) -> None:
        self.closed.set()
        self.thread.join(2)
        self.sock.close()
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    server = NotifySocket()
    yield server
    server.close()


def test_watchdog_pings_stop_when_the_refresh_thread_is_wedged(responder: Callable[..., Responder],
                                                               notify: NotifySocket, tmp_path: Path) -> None:
    freeze = tmp_path / "freeze-refresh"
    proc = responder({"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000",
                      "TRAKT_WIDGET_DEBUG_FREEZE_FILE": str(freeze)}, workers=2)
    assert notify.received()[0].splitlines()[0] == "READY=1", notify.received()
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
