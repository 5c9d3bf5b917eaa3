"""wrk runs pinned to the client CPU, and the configurations (targets) they measure."""

from __future__ import annotations

import re
import statistics
import subprocess
from dataclasses import dataclass, field
from typing import Callable

from .procfs import proc_counters, proc_cpu_seconds
from .servers import BenchNginx
from .settings import CLIENT_CPU, WRK


@dataclass
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx + socket errors
    backend_cpu_us: float | None = None  # CPU of the backend process per request
    nginx_cpu_us: float | None = None
    backend_faults: float | None = None  # minor page faults per request
    backend_switches: float | None = None  # context switches (voluntary + involuntary) per request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(text: str, percent: str) -> float:
    match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not match:
        raise RuntimeError(f"no {percent}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, connections: int, seconds: float) -> tuple[str, WrkRun]:
    cmd = ["taskset", "-c", CLIENT_CPU, WRK, "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--latency", "--timeout", "5s", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rps or not total:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return out, WrkRun(float(rps.group(1)), _latency_ms(out, "50"), _latency_ms(out, "99"), int(total.group(1)), errors)


@dataclass
class Target:
    key: str
    label: str
    url: str
    connections: int
    backend_pid: Callable[[], int | None]
    nginx: BenchNginx
    runs: list[WrkRun] = field(default_factory=list)

    def median(self, attr: str) -> float | None:
        values = [getattr(run, attr) for run in self.runs if getattr(run, attr) is not None]
        return statistics.median(values) if values else None

    def measure(self, seconds: float) -> WrkRun:
        backend = self.backend_pid()
        workers = self.nginx.worker_pids()
        backend_before = proc_cpu_seconds(backend) if backend else None
        counters_before = proc_counters(backend) if backend else None
        nginx_before = sum(proc_cpu_seconds(pid) for pid in workers)
        _, run = wrk(self.url, self.connections, seconds)
        if run.requests:
            if backend_before is not None and counters_before is not None:
                run.backend_cpu_us = (proc_cpu_seconds(backend) - backend_before) / run.requests * 1e6
                after = proc_counters(backend)
                run.backend_faults = (after[0] - counters_before[0]) / run.requests
                run.backend_switches = (after[1] + after[2] - counters_before[1] - counters_before[2]) / run.requests
            run.nginx_cpu_us = (sum(proc_cpu_seconds(pid) for pid in workers) - nginx_before) / run.requests * 1e6
        self.runs.append(run)
        return run
