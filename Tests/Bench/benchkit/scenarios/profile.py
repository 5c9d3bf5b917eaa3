"""Where the responder's CPU goes under load (perf, strace), next to the libfcgi floor."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from ..rig import Rig
from ..settings import SERVER_CPU
from ..wrk import Target, wrk


def run(rig: Rig) -> None:
    """Where the responder's CPU goes under A at c=50, next to the floor (B) under the same load.

    perf samples (software cpu-clock) per process, split by DSO and symbol; the whole server CPU by
    process; and exact syscalls per request for A and B from `strace -c` at c=1.
    """
    if not shutil.which("perf"):
        rig.results["profile"] = {"error": "perf not installed"}
        return
    seconds = max(3.0, min(rig.args.duration, 6.0))

    def record(target: Target, pid: int, name: str, *, whole_cpu: bool = False) -> Path:
        data = rig.work / f"perf-{name}.data"
        scope = ["-C", SERVER_CPU] if whole_cpu else ["-g", "-p", str(pid)]
        client = threading.Thread(target=wrk, args=(target.url, target.connections, seconds + 1))
        client.start()
        time.sleep(0.5)
        subprocess.run(["perf", "record", "-q", "-F", "2999", *scope, "-o", str(data), "--", "sleep", str(seconds)],
                       capture_output=True)
        client.join()
        return data

    def report(path: Path, *extra: str) -> str:
        proc = subprocess.run(["perf", "report", "-i", str(path), "--stdio", *extra], capture_output=True, text=True)
        return demangle(proc.stdout)

    def by_dso(path: Path, cpu_us: float | None) -> list[str]:
        rows = []
        for row in top_rows(report(path, "--no-children", "--sort", "dso", "-g", "none", "--percent-limit", "0.5"), 10):
            share = float(row.split("%", 1)[0])
            per_req = f"  ≈ {share / 100 * cpu_us:5.1f} µs/req" if cpu_us else ""
            rows.append(f"{row}{per_req}")
        return rows

    a, b = rig.targets["A50"], rig.targets["B50"]
    responder_data = record(a, rig.main_responder.pid, "responder")
    floor_data = record(b, rig.floor.pid, "floor")
    cpu_data = record(a, 0, "cpu", whole_cpu=True)
    binary_name = rig.binary.resolve().name
    rig.results["profile"] = {
        "cpu_by_comm_dso": top_rows(report(cpu_data, "--no-children", "--sort", "comm,dso", "-g", "none",
                                           "--percent-limit", "1"), 16),
        "responder_by_dso": by_dso(responder_data, a.median("backend_cpu_us")),
        "floor_by_dso": by_dso(floor_data, b.median("backend_cpu_us")),
        "self_by_symbol": top_rows(report(responder_data, "--no-children", "--sort", "sym", "-g", "none",
                                          "--percent-limit", "0.7"), 24),
        "floor_by_symbol": top_rows(report(floor_data, "--no-children", "--sort", "sym", "-g", "none",
                                           "--percent-limit", "0.7"), 16),
        "self_in_binary": top_rows(report(responder_data, "--no-children", "--sort", "sym", "-g", "none",
                                          "--dsos", binary_name, "--percentage", "absolute",
                                          "--percent-limit", "0.2"), 25),
        "children_by_symbol": [row for row in top_rows(report(responder_data, "--children", "--sort", "sym", "-g",
                                                              "none", "--percent-limit", "1"), 200)
                               if "[.]" in row][:25],
        "syscalls": {key: syscalls_per_request(rig.targets[key].url, pid)
                     for key, pid in (("A1", rig.main_responder.pid), ("B1", rig.floor.pid))}
        if shutil.which("strace") else {},
    }


def syscalls_per_request(url: str, pid: int, seconds: int = 2) -> list[str]:
    """`strace -c -f` on every thread of `pid` during a c=1 wrk run: syscalls per request, by name."""
    out = Path(tempfile.mktemp(prefix="twbench-strace"))
    tracer = subprocess.Popen(["strace", "-c", "-f", "-qq", "-p", str(pid), "-o", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        _, run = wrk(url, 1, seconds)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(10)
    rows = []
    text = out.read_text() if out.exists() else ""
    out.unlink(missing_ok=True)
    total = 0.0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls = int(fields[3])
            per = calls / max(1, run.requests)
            total += per
            if per >= 0.01:
                rows.append(f"{fields[-1]:<10} {per:6.2f}")
    rows.append(f"{'total':<10} {total:6.2f}   ({run.requests} requests, strace-slowed)")
    return rows


def demangle(text: str) -> str:
    swift = shutil.which("swift")
    if not swift or "$s" not in text:
        return text
    proc = subprocess.run([swift, "demangle", "--simplified"], input=text, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 and proc.stdout else text


def top_rows(report: str, limit: int) -> list[str]:
    rows = []
    for line in report.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"\s*[\d.]+%", line):
            rows.append(" ".join(line.split())[:160])
        if len(rows) >= limit:
            break
    return rows
