"""Stampede: many concurrent cold requests must cost one upstream fetch."""

from __future__ import annotations

import selectors
import socket
import time

from ..rig import Rig, summarize
from ..servers import locations_variant
from ..settings import LATENCY_L_MS, PATH_LAST, log


def run(rig: Rig) -> None:
    fake = rig.fake("fake-stampede")
    fake.scenario(latency_ms=LATENCY_L_MS)
    proc = rig.responder(fake, "responder-stampede", {"CACHE_TTL": 300})
    server = rig.nginx("nginx-stampede", proc.sock, locations_variant("fastcgi"))
    before = fake.counters()
    started = time.perf_counter()
    statuses = concurrent_gets(server.port, PATH_LAST, rig.args.stampede)
    elapsed = time.perf_counter() - started
    after = fake.counters()
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    ok = sum(1 for s in statuses if s == 200)
    rig.results["stampede"] = {"requests": rig.args.stampede, "ok": ok, "statuses": summarize(statuses),
                                "calls": delta, "seconds": elapsed}
    log(f"stampede: {ok}/{len(statuses)} x 200 in {elapsed * 1000:.0f} ms; upstream calls {delta}")


def concurrent_gets(port: int, path: str, count: int, timeout: float = 60.0) -> list[int]:
    """`count` connections opened first, then every request sent at once; returns the statuses."""
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        socks.append(sock)
    for sock in socks:
        sock.sendall(request)
    selector = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytearray] = {}
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock] = bytearray()
    open_count = count
    deadline = time.monotonic() + timeout
    while open_count and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            sock = key.fileobj
            try:
                chunk = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if chunk:
                buffers[sock] += chunk
            else:
                selector.unregister(sock)
                sock.close()
                open_count -= 1
    statuses = []
    for sock, data in buffers.items():
        statuses.append(int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0)
        if sock.fileno() >= 0:
            sock.close()
    return statuses
