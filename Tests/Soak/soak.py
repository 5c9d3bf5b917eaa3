#!/usr/bin/env python3
"""`make soak`: 50 concurrent connections through nginx for 5 minutes while Trakt keeps failing.

Stack: the fake Trakt/TMDB, the responder (CACHE_TTL=2, so it refreshes every 2 s and meets every
fault), and nginx with the shipped configuration. Load: wrk, c=50, each connection paced by
SOAK_DELAY_MS (default 10 ms, so at most ~5000 r/s), counting statuses in Tests/Soak/soak.lua.
nginx's cache absorbs nearly all of that, so SOAK_DIRECT (default 4) more clients send FastCGI requests
straight to the responder's socket, back to back: every one of those reaches the responder's request
path (and its stale/backoff logic), which is what makes its RSS/fd/thread figures meaningful.
Faults: every 20 s the fake starts failing all Trakt API calls for 10 s, rotating 500, hang, 429
(Retry-After: 5) and malformed JSON.

Pass criteria (exit 1 otherwise):
  - every response is 200 or 304 with a JSON body; no socket errors or timeouts;
  - the responder's threads do not grow, its open fds stay flat (no rising floor), its RSS grows by less than
    max(8 MB, 15 %) from the first to the last minute (/proc/PID/status VmRSS, /proc/PID/fd, Threads);
  - the faults reached the responder (the fake saw failed calls) and it kept backing off (Trakt calls
    per minute stay bounded);
  - the responder is alive at the end and exits 0 on SIGTERM.

The one deviation from the shipped nginx files: limit_req is switched off (all wrk connections come
from 127.0.0.1, which the shipped 5 r/s per-address limit would otherwise answer with 429s).

Environment: SOAK_SECONDS (default 300), SOAK_CONNECTIONS (50), SOAK_DELAY_MS (10), SOAK_FAULT_EVERY
(20), SOAK_FAULT_SECONDS (10), TRAKT_WIDGET_BIN (default .build/debug/trakt-widget).
Runs at most SOAK_SECONDS + ~60 s (hard stop at 10 minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "Integration"))

from harness import FakeUpstream, Nginx, Responder, binary_path, fcgi_request, proc_stats, responder_env  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "50"))
DELAY_MS = int(os.environ.get("SOAK_DELAY_MS", "10"))
DIRECT = int(os.environ.get("SOAK_DIRECT", "4"))
FAULT_EVERY = float(os.environ.get("SOAK_FAULT_EVERY", "20"))
FAULT_SECONDS = float(os.environ.get("SOAK_FAULT_SECONDS", "10"))
SAMPLE_EVERY = 5.0
HARD_LIMIT = 600.0
LUA = Path(__file__).with_name("soak.lua")

FAULTS = [
    ("500", {"kind": "status", "status": 500, "json": {"error": "internal"}}),
    ("hang", {"kind": "hang", "seconds": 30}),
    ("429", {"kind": "rate_limit", "retry_after": 5}),
    ("malformed", {"kind": "malformed"}),
]


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def window_summary(samples: list[tuple[float, dict[str, int]]], start: float, end: float) -> dict[str, float]:
    chosen = [s for t, s in samples if start <= t <= end]
    if not chosen:
        return {}
    return {
        "samples": len(chosen),
        "rss_kb_mean": round(statistics.mean(s["rss_kb"] for s in chosen)),
        "rss_kb_max": max(s["rss_kb"] for s in chosen),
        "fds_max": max(s["fds"] for s in chosen),
        "fds_min": min(s["fds"] for s in chosen),
        "threads_max": max(s["threads"] for s in chosen),
        "threads_min": min(s["threads"] for s in chosen),
    }


def main() -> int:
    wrk = shutil.which("wrk")
    if not wrk:
        print("soak: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    binary = binary_path()
    if not binary.exists():
        print(f"soak: responder binary {binary} is missing (make build, or set TRAKT_WIDGET_BIN)", file=sys.stderr)
        return 2
    hard_deadline = time.monotonic() + HARD_LIMIT
    work = Path(tempfile.mkdtemp(prefix="twsoak"))
    log(f"workdir {work}; {SECONDS}s, c={CONNECTIONS}, delay {DELAY_MS} ms/connection, binary {binary}")

    fake = FakeUpstream(workdir=work).start()
    state = work / "state"
    state.mkdir()
    (work / "responder").mkdir()
    env = responder_env(fake.url, state, fake.tokens()["refresh_token"], {"CACHE_TTL": "2"})
    responder = Responder(binary, env, work / "responder").start()
    nginx = Nginx(work / "nginx", responder.sock, extra_server="        access_log off;", rate_limit=False).start()
    url = f"{nginx.base_url}/api/trakt/last"
    problems: list[str] = []
    samples: list[tuple[float, dict[str, int]]] = []
    injected: list[tuple[float, str]] = []
    direct_statuses: dict[int, int] = {}
    direct_errors: list[str] = []
    direct_lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()

    def sampler() -> None:
        while not stop.is_set():
            try:
                samples.append((time.monotonic() - started, proc_stats(responder.pid)))
            except (FileNotFoundError, ProcessLookupError):
                problems.append(f"the responder is gone at t={time.monotonic() - started:.0f}s")
                return
            stop.wait(SAMPLE_EVERY)

    def injector() -> None:
        index = 0
        while not stop.wait(FAULT_EVERY if index else FAULT_EVERY / 2):
            name, spec = FAULTS[index % len(FAULTS)]
            index += 1
            fake.fault(prefix="/sync", **spec)
            injected.append((time.monotonic() - started, name))
            if stop.wait(FAULT_SECONDS):
                return
            fake.clear_faults()  # also wakes hung requests

    def direct_client() -> None:
        while not stop.is_set():
            try:
                answer = fcgi_request(responder.sock, timeout=30)
                ok = answer.status == 200 and answer.body.startswith(b"{") and \
                    (answer.headers.get("Content-Type") or "").startswith("application/json")
                with direct_lock:
                    direct_statuses[answer.status] = direct_statuses.get(answer.status, 0) + 1
                    if not ok and len(direct_errors) < 5:
                        direct_errors.append(repr(answer))
            except (OSError, ValueError) as err:
                with direct_lock:
                    direct_statuses[0] = direct_statuses.get(0, 0) + 1
                    if len(direct_errors) < 5:
                        direct_errors.append(f"{type(err).__name__}: {err}")

    try:
        # Warm up: the first fetch fills the responder and nginx.
        first = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url],
                               capture_output=True, text=True, timeout=30)
        if first.stdout != "200":
            raise RuntimeError(f"warm-up request answered {first.stdout} {first.stderr}")
        baseline_calls = fake.counters()

        threads = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=injector, daemon=True)]
        threads += [threading.Thread(target=direct_client, daemon=True) for _ in range(DIRECT)]
        for thread in threads:
            thread.start()
        log(f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s {url}")
        run = subprocess.run(
            [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "30s", "-s", str(LUA), url, "--",
             str(DELAY_MS)],
            capture_output=True, text=True, timeout=max(30.0, hard_deadline - time.monotonic()),
        )
        stop.set()
        for thread in threads:
            thread.join(15)
        fake.clear_faults()
        elapsed = time.monotonic() - started
        line = next((l for l in run.stdout.splitlines() if l.startswith("SOAK_JSON ")), None)
        if run.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        result = json.loads(line[len("SOAK_JSON "):])
        calls = fake.counters()
        failed_calls = [r for r in fake.requests(prefix="/sync") if r["fault"]]

        # --- verdict ---------------------------------------------------------------------------------
        statuses = {int(k): v for k, v in result["statuses"].items()}
        bad = {s: n for s, n in statuses.items() if s not in (200, 304)}
        if bad:
            problems.append(f"non-200/304 responses: {bad}")
        if result["not_json"]:
            problems.append(f"{result['not_json']} responses were not JSON, e.g. {result['samples']}")
        direct_bad = {s: n for s, n in direct_statuses.items() if s != 200}
        if direct_bad:
            problems.append(f"direct FastCGI answers other than 200 JSON: {direct_bad}, e.g. {direct_errors}")
        errors = {k: v for k, v in result["errors"].items() if v and k != "status"}
        if errors:
            problems.append(f"socket errors: {errors}")
        if not responder.alive():
            problems.append(f"the responder died (exit {responder.returncode})")
        window = min(60.0, elapsed / 3)
        early = window_summary(samples, 0, window)
        late = window_summary(samples, elapsed - window, elapsed)
        if early and late:
            if late["threads_max"] > early["threads_max"]:
                problems.append(f"threads grew: {early['threads_max']} -> {late['threads_max']}")
            # In-flight FastCGI connections (one per busy worker) come and go: a leak shows as a rising
            # floor, or as a peak above the early peak plus the worker count.
            if late["fds_min"] > early["fds_max"] or late["fds_max"] > early["fds_max"] + 6:
                problems.append(f"open fds grew: {early['fds_min']}..{early['fds_max']} -> "
                                f"{late['fds_min']}..{late['fds_max']}")
            growth = late["rss_kb_mean"] - early["rss_kb_mean"]
            if growth > max(8192, 0.15 * early["rss_kb_mean"]):
                problems.append(f"RSS grew by {growth} kB: {early['rss_kb_mean']} -> {late['rss_kb_mean']} kB")
        else:
            problems.append("not enough /proc samples")
        if injected and not failed_calls:
            problems.append("no Trakt call ever met a fault: the soak did not exercise failures")
        trakt = sum(n - baseline_calls.get(p, 0) for p, n in calls.items() if p.startswith("/sync"))
        per_minute = trakt / (elapsed / 60)
        # CACHE_TTL=2: at most one warm refresh (last_activities, or 3 calls cold) every 2 s.
        if per_minute > 3 * 30 + 10:
            problems.append(f"{per_minute:.0f} Trakt calls per minute: no backoff?")

        print()
        print("=== soak summary ===")
        print(f"duration           {elapsed:.0f} s (wrk {result['duration_us'] / 1e6:.0f} s), c={CONNECTIONS}, "
              f"{result['requests']} requests, {result['requests'] / (result['duration_us'] / 1e6):.0f} r/s")
        print(f"statuses           {dict(sorted(statuses.items()))}; stale bodies {result['stale']}; "
              f"non-JSON {result['not_json']}; socket errors {result['errors']}")
        direct_total = sum(direct_statuses.values())
        print(f"direct FastCGI     {DIRECT} clients, {direct_total} requests ({direct_total / elapsed:.0f} r/s), "
              f"statuses {dict(sorted(direct_statuses.items()))}")
        print(f"latency            p50 {result['latency_us']['p50'] / 1000:.1f} ms, "
              f"p99 {result['latency_us']['p99'] / 1000:.1f} ms, max {result['latency_us']['max'] / 1000:.1f} ms")
        print(f"faults injected    {len(injected)}: {', '.join(f'{n}@{t:.0f}s' for t, n in injected)}")
        print(f"upstream calls     Trakt {trakt} ({per_minute:.1f}/min), of which met a fault {len(failed_calls)}; "
              f"all paths {dict(sorted(calls.items()))}")
        print(f"responder pid {responder.pid}, windows of {window:.0f} s ({len(samples)} samples every {SAMPLE_EVERY:.0f} s):")
        print(f"  first            {early}")
        print(f"  last             {late}")
        warnings = sum(1 for l in responder.log_text().splitlines() if " warning: " in l)
        print(f"responder log      {warnings} warnings, {len(responder.log_text().splitlines())} lines")
    except Exception as err:  # noqa: BLE001 - a soak reports, it does not traceback
        problems.append(f"soak aborted: {err}")
        stop.set()
    finally:
        stop.set()
        fake.clear_faults() if fake.port else None
        code = responder.stop() if responder.alive() else responder.returncode
        if code != 0:
            problems.append(f"responder exit code {code} on SIGTERM")
        nginx.stop()
        fake.stop()

    if problems:
        print("\nSOAK FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        print(f"logs kept in {work}")
        return 1
    print("\nSOAK PASSED")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
