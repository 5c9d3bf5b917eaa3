"""Cold fetch: time to the first byte at a fresh responder, with every upstream call L ms slow."""

from __future__ import annotations

import json
import socket
import statistics
import time

from ..rig import Rig
from ..servers import locations_variant
from ..settings import LATENCY_L_MS, PATH_LAST, log


def run(rig: Rig) -> None:
    """TTFB of the first request at a fresh responder, with every upstream call L ms slow.

    The fake's request log gives when each call reached it, relative to the moment the request was
    sent, which splits the time into rounds of calls and the responder's own share.
    """
    rows = {}
    fake = rig.fake("fake-cold")
    for mode in ("oauth", "oauth-refresh", "public"):
        key = mode
        times: list[float] = []
        timelines: list[list[tuple[str, float]]] = []
        for attempt in range(rig.args.cold_runs):
            fake.reset()
            fake.scenario(latency_ms=LATENCY_L_MS)
            tag = f"{mode}-{attempt}"
            proc = rig.responder(fake, f"responder-cold-{tag}", {"CACHE_TTL": 300}, mode=mode)
            server = rig.nginx(f"nginx-cold-{tag}", proc.sock, locations_variant("fastcgi"))
            sent_at = time.time()
            ttfb, status, body = time_to_first_byte(server.port, PATH_LAST)
            data = json.loads(body.partition(b"\r\n\r\n")[2] or b"{}").get("data") if status == 200 else None
            if status != 200 or not data:
                raise RuntimeError(f"cold fetch ({key}) answered {status}: {body[:300]!r}")
            times.append(ttfb)
            timelines.append([(entry["path"], (entry["time"] - sent_at) * 1000) for entry in fake.requests()])
            server.stop()
            proc.stop()
        median = statistics.median(times)
        timeline = timelines[sorted(range(len(times)), key=times.__getitem__)[len(times) // 2]]
        rows[key] = {"ttfb_ms": median, "all_ms": times, "timeline": timeline}
        log(f"cold {key}: TTFB median {median:.1f} ms ({', '.join(f'{t:.1f}' for t in times)}); "
            f"calls {', '.join(f'{p} +{t:.0f}' for p, t in timeline)}")
    rig.results["cold"] = rows


def time_to_first_byte(port: int, path: str) -> tuple[float, int, bytes]:
    """ms from sending one GET to nginx to its first response byte, plus status and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        started = time.perf_counter()
        sock.sendall(request)
        first = sock.recv(65536)
        ttfb = (time.perf_counter() - started) * 1000
        chunks = [first]
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
    return ttfb, status, raw
