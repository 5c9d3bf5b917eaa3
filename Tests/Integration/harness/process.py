"""Child processes and loopback ports: stopping with a deadline, /proc statistics, free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path


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


def proc_stats(pid: int) -> dict[str, int]:
    """VmRSS (kB), open file descriptors and threads of `pid`."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"].strip()),
    }


def unix_socket_listening(path: str) -> bool:
    """True once some process listens on the unix socket `path`, found without connecting to it (a
    connection would start a socket-activated service). The socket file exists from bind(), before
    listen(): a connect in between is refused."""
    accepting = 0x10000  # __SO_ACCEPTCON in /proc/net/unix's Flags column
    with open("/proc/net/unix") as table:
        next(table)
        for line in table:
            fields = line.split()
            if len(fields) >= 8 and fields[7] == path and int(fields[3], 16) & accepting:
                return True
    return False


def tcp_port_accepts(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=1.0):
        return True


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago; the caller binds it right away."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
