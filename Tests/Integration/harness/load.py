"""Load through nginx for lifecycle tests: request loops that run while the responder restarts, and a
burst of many connections opened at one instant."""

from __future__ import annotations

import asyncio
import resource
import threading
from collections import Counter
from typing import Any

from .http import http_request


class LoadLoops:
    """`count` threads sending GET `path` back to back, each on a new connection, until the block ends.
    Every status is counted; every connection error is kept in `errors`."""

    def __init__(self, base_url: str, path: str, count: int) -> None:
        self.url = base_url + path
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                status = http_request(self.url, timeout=30).status
                with self._lock:
                    self.statuses[status] += 1
            except Exception as err:  # noqa: BLE001 - every kind of failure counts
                with self._lock:
                    self.errors.append(repr(err))

    def answered(self, status: int = 200) -> int:
        with self._lock:
            return self.statuses[status]

    def __enter__(self) -> "LoadLoops":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(40)


def burst(port: int, path: str, count: int) -> Counter[str]:
    """`count` HTTP/1.1 GETs to 127.0.0.1:`port`, all connections opened at once; counts each status
    line's code, or the exception's name when a connection failed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 64, hard))

    async def one() -> str:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            status = (await asyncio.wait_for(reader.readline(), 60)).split()[1].decode()
            writer.close()
            return status
        except Exception as err:  # noqa: BLE001
            return type(err).__name__

    async def all_at_once() -> Counter[str]:
        return Counter(await asyncio.gather(*(one() for _ in range(count))))

    return asyncio.run(all_at_once())
