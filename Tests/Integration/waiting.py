"""Readiness polling with a deadline: the harness never sleeps a fixed time to synchronise."""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import time
from typing import Callable, TypeVar

T = TypeVar("T")

POLL_INTERVAL_S = 0.02


class NotReady(TimeoutError):
    pass


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = POLL_INTERVAL_S) -> T:
    """Call `check` until it returns something truthy; raise NotReady after `timeout` seconds.

    Exceptions other than OSError propagate at once, so a check can fail fast (e.g. on a dead process).
    """
    deadline = time.monotonic() + timeout
    last_error: OSError | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError as err:
            last_error = err
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise NotReady(f"{what} not ready after {timeout}s{detail}")
        time.sleep(interval)


def unix_socket_accepts(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        sock.connect(path)
    return True


def _fcgi_record(record_type: int, content: bytes, padding: int = 0) -> bytes:
    return struct.pack("!BBHHBx", 1, record_type, 0, len(content), padding) + content + bytes(padding)


FCGI_GET_VALUES = 9
FCGI_GET_VALUES_RESULT = 10


def fastcgi_app_answers(path: str) -> bool:
    """True once a FastCGI app on `path` answers an FCGI_GET_VALUES management record.

    A bare connect is not enough with spawn-fcgi: the socket exists (and the kernel queues
    connections) before the app has even started. libfcgi answers GET_VALUES inside its accept
    loop without running the app's handler, so the probe proves the loop runs and costs no
    upstream call.
    """
    query = bytes([14, 0]) + b"FCGI_MAX_CONNS"  # name length, value length, name
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        sock.connect(path)
        # The padding matters: libfcgi 2.4.2 only notices the end of a record that ends exactly at the
        # end of what it has read after one more read(), so an unpadded probe would block until EOF.
        sock.sendall(_fcgi_record(FCGI_GET_VALUES, query, padding=8))
        try:
            header = sock.recv(8)
        except socket.timeout:
            return False
    return len(header) == 8 and header[1] == FCGI_GET_VALUES_RESULT


def tcp_port_accepts(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=1.0):
        return True


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago; the caller binds it right away."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, timeout: float, signum: int = signal.SIGTERM) -> int | None:
    """Send `signum` and wait up to `timeout`; return the exit code (None if never started).

    A process that outlives the deadline is killed, so no test leaves one behind, and TimeoutError is
    raised so the test that expected a clean exit fails.
    """
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signum)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise TimeoutError(f"pid {proc.pid} ignored signal {signum} for {timeout}s") from None
    return proc.returncode
