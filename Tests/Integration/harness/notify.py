"""A stand-in for systemd's notification socket ($NOTIFY_SOCKET): a datagram socket that records every
sd_notify message the responder sends (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1)."""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from .poll import wait_until


class NotifySocket:
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="twn", dir="/tmp"))  # sun_path is short
        self.path = str(self._dir / "notify.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.2)
        self._messages: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(4096)
            except OSError:  # the timeout included
                continue
            with self._lock:
                self._messages.append((time.monotonic(), data.decode()))

    def received(self, since: float = 0.0) -> list[str]:
        """Every message received at or after `since` (time.monotonic()), oldest first."""
        with self._lock:
            return [text for at, text in self._messages if at >= since]

    def wait_for(self, pattern: str, timeout: float, since: float = 0.0) -> str:
        """The first message since `since` with a line matching `pattern` (re.M)."""
        def found() -> str | None:
            return next((m for m in self.received(since) if re.search(pattern, m, re.M)), None)
        return wait_until(found, timeout, f"a notification matching {pattern!r}")

    def __enter__(self) -> "NotifySocket":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self._sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)
