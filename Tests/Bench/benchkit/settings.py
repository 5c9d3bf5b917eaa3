"""Where the bench runs: CPUs, tools, paths, and the harness it reuses (Tests/Integration/harness)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import harness.nginx

REPO = Path(__file__).resolve().parents[3]
BENCH_DIR = REPO / "Tests" / "Bench"

SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
CLIENT_CPU = os.environ.get("BENCH_CLIENT_CPU", "1")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))  # the responder's default, as in production
PATH_LAST = "/api/trakt/last"
PATH_CARD = "/api/watch/card.svg"
PATH_HISTORY = "/api/watch/history"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
NODE = shutil.which("node") or shutil.which("nodejs") or "/usr/bin/node"
REAL_NGINX = harness.nginx.NGINX
# Every upstream call of the cold-fetch and stampede scenarios takes this long (L).
LATENCY_L_MS = 100


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

