"""A–E: requests per second and latency through nginx in front of the responder, the libfcgi floor,
Node.js, nginx's cache and a static file, all serving the same bytes."""

from __future__ import annotations

import json
import subprocess
import time

from harness import free_tcp_port, http_request, tcp_port_accepts, wait_until
from harness.fastcgi import exchange, parse_cgi_output

from ..procfs import proc_status, rss_by_mapping
from ..report import fmt
from ..rig import Rig
from ..servers import FloorResponder, locations_variant
from ..settings import BENCH_DIR, NODE, PATH_CARD, PATH_HISTORY, PATH_LAST, SERVER_CPU, WORKERS, log
from ..wrk import Target, wrk


def run(rig: Rig) -> None:
    args = rig.args
    fake = rig.fake("fake-main")
    # The fake is also image.tmdb.org, so the card carries a real-sized embedded poster.
    responder = rig.responder(fake, "responder-main", {"TMDB_IMAGE_URL": fake.url + "/t/p"})
    rig.main_responder = responder

    # The one body every configuration serves.
    raw = b""
    for _ in range(50):
        raw = fcgi_raw(responder.sock)
        status, headers, body = parse_cgi_output(raw)
        if status == 200 and json.loads(body).get("data"):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"responder never served a cache hit: {raw[:300]!r}\n{responder.log_text()}")
    RSS_KEYS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads")
    idle = proc_status(responder.pid)
    rig.results["responder_idle_status"] = {k: idle.get(k) for k in RSS_KEYS}
    rig.results["body_bytes"] = len(body)
    rig.results["response_headers"] = [f"{k}: {v}" for k, v in headers.items()]
    static_root = rig.work / "static"
    static_root.mkdir()
    (static_root / "last.json").write_bytes(body)
    (rig.work / "response.cgi").write_bytes(raw)
    node_headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length",)}
    (rig.work / "node-headers.json").write_text(json.dumps(node_headers))

    # B: floor.c, built here.
    floor_bin = rig.work / "floor"
    subprocess.run(["gcc", "-O2", "-pthread", "-o", str(floor_bin), str(BENCH_DIR / "floor.c"), "-lfcgi"],
                   check=True)
    floor_dir = rig.work / "floor-run"
    floor_dir.mkdir()
    floor = FloorResponder(floor_bin, rig.work / "response.cgi", floor_dir, WORKERS)
    rig.cleanups.append(lambda: (floor.alive() and floor.stop(), floor.cleanup()))
    floor.start(10)
    rig.floor = floor
    if fcgi_raw(floor.sock) != raw:
        raise RuntimeError("floor.c does not answer the responder's bytes")

    # C: node.
    node_port = free_tcp_port()
    node = subprocess.Popen(["taskset", "-c", SERVER_CPU, NODE, str(BENCH_DIR / "node_server.js"), str(node_port),
                             str(static_root / "last.json"), str(rig.work / "node-headers.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rig.cleanups.append(lambda: (node.terminate(), node.wait(5)))
    wait_until(lambda: tcp_port_accepts("127.0.0.1", node_port), 10, "node")

    nginx_a = rig.nginx("nginx-a", responder.sock, locations_variant("fastcgi"))
    nginx_ak = rig.nginx("nginx-ak", responder.sock, locations_variant("fastcgi"), keep_conn=True)
    nginx_b = rig.nginx("nginx-b", floor.sock, locations_variant("fastcgi"))
    nginx_c = rig.nginx("nginx-c", responder.sock, locations_variant("proxy", node_port))
    nginx_ck = rig.nginx("nginx-ck", responder.sock, locations_variant("proxy-keepalive", node_port),
                          extra_http=f"upstream trakt_bench_node {{ server 127.0.0.1:{node_port}; keepalive 16; }}\n")
    nginx_d = rig.nginx("nginx-d", responder.sock)  # the shipped locations file, cache on
    nginx_e = rig.nginx("nginx-e", responder.sock, locations_variant("static"), web_root=static_root)

    # Same bytes everywhere; D must be a cache HIT.
    for name, server in (("A", nginx_a), ("A'", nginx_ak), ("B", nginx_b), ("C", nginx_c), ("C'", nginx_ck), ("D", nginx_d),
                         ("E", nginx_e)):
        for _ in range(20):
            reply = http_request(server.base_url + PATH_LAST)
            if name != "D" or reply.headers.get("X-Cache-Status") == "HIT":
                break
            time.sleep(0.05)
        if reply.status != 200 or reply.body != body:
            raise RuntimeError(f"{name} does not serve the same bytes: {reply.status} {reply.body[:200]!r}")
        if name == "D" and reply.headers.get("X-Cache-Status") != "HIT":
            raise RuntimeError(f"D is not a cache HIT: X-Cache-Status {reply.headers.get('X-Cache-Status')}")
    log(f"all configurations serve the same {len(body)}-byte body; D is a fastcgi_cache HIT")

    # The card and the history list: the same bytes on every hit, from nginx's cache (F, H) and from the
    # responder's pre-rendered views with the nginx cache off (AF).
    card = same_bytes_every_hit(nginx_d.base_url + PATH_CARD, 20)
    if b"data:image/" not in card:
        raise RuntimeError("the benchmarked card has no embedded poster")
    if same_bytes_every_hit(nginx_a.base_url + PATH_CARD, 20) != card:
        raise RuntimeError("the card differs with the nginx cache off")
    rig.results["card_bytes"] = len(card)
    history = same_bytes_every_hit(nginx_d.base_url + PATH_HISTORY, 20)
    rig.results["history_bytes"] = len(history)
    log(f"card: {len(card)} bytes, identical on 40 hits; history: {len(history)} bytes")

    pid_of = lambda proc: (lambda: proc.pid)  # noqa: E731
    targets = [
        Target("A50", "A  nginx → trakt-widget (no nginx cache)", nginx_a.base_url + PATH_LAST, 50, pid_of(responder), nginx_a),
        Target("A1", "A  nginx → trakt-widget (no nginx cache)", nginx_a.base_url + PATH_LAST, 1, pid_of(responder), nginx_a),
        Target("AK50", "A' nginx → trakt-widget, kept-alive FastCGI connections (info)", nginx_ak.base_url + PATH_LAST,
               50, pid_of(responder), nginx_ak),
        Target("B50", "B  nginx → floor.c libfcgi (same bytes)", nginx_b.base_url + PATH_LAST, 50, pid_of(floor), nginx_b),
        Target("B1", "B  nginx → floor.c libfcgi (same bytes)", nginx_b.base_url + PATH_LAST, 1, pid_of(floor), nginx_b),
        Target("C50", "C  nginx → Node.js http (proxy_pass)", nginx_c.base_url + PATH_LAST, 50, lambda: node.pid, nginx_c),
        Target("CK50", "C' nginx → Node.js, upstream keepalive (info)", nginx_ck.base_url + PATH_LAST, 50,
               lambda: node.pid, nginx_ck),
        Target("D50", "D  nginx fastcgi_cache HIT (shipped)", nginx_d.base_url + PATH_LAST, 50, lambda: None, nginx_d),
        Target("E50", "E  nginx static file", nginx_e.base_url + PATH_LAST, 50, lambda: None, nginx_e),
        Target("F50", "F  nginx fastcgi_cache HIT, card.svg (shipped)", nginx_d.base_url + PATH_CARD, 50, lambda: None, nginx_d),
        Target("H50", "H  nginx fastcgi_cache HIT, history (shipped)", nginx_d.base_url + PATH_HISTORY, 50, lambda: None, nginx_d),
        Target("AF50", "AF nginx → trakt-widget card.svg (no nginx cache)", nginx_a.base_url + PATH_CARD, 50,
               pid_of(responder), nginx_a),
    ]
    rig.targets = {t.key: t for t in targets}

    log(f"warm-up: {args.warmup:g} s per configuration")
    for target in targets:
        wrk(target.url, target.connections, args.warmup)
    # Interleaved: run i of every configuration before run i+1 of any, so a burst of noise from
    # another process hits all configurations alike rather than one of them.
    for index in range(args.runs):
        for target in targets:
            run = target.measure(args.duration)
            log(f"run {index + 1}/{args.runs} {target.key:>3}: {run.rps:9.0f} req/s  p50 {run.p50_ms:.3f} ms  "
                f"p99 {run.p99_ms:.3f} ms  errors {run.errors}  backend {fmt(run.backend_cpu_us, 1)} µs/req  "
                f"nginx {fmt(run.nginx_cpu_us, 1)} µs/req  faults {fmt(run.backend_faults, 3)}/req  "
                f"switches {fmt(run.backend_switches, 2)}/req")

    if same_bytes_every_hit(nginx_d.base_url + PATH_CARD, 5) != card:
        raise RuntimeError("the card bytes changed during the runs")

    status = proc_status(responder.pid)
    rig.results["responder_status"] = {k: status.get(k) for k in RSS_KEYS}
    rig.results["responder_mappings"] = rss_by_mapping(responder.pid)
    floor_status = proc_status(floor.pid)
    rig.results["floor_status"] = {k: floor_status.get(k) for k in ("VmRSS", "Threads")}
    node_status = proc_status(node.pid)
    rig.results["node_status"] = {k: node_status.get(k) for k in ("VmRSS", "Threads")}


def same_bytes_every_hit(url: str, hits: int) -> bytes:
    """The body, after checking that `hits` requests all got exactly these bytes and one ETag."""
    replies = [http_request(url) for _ in range(hits)]
    if any(r.status != 200 for r in replies):
        raise RuntimeError(f"{url}: {[r.status for r in replies]}")
    if len({r.body for r in replies}) != 1 or len({r.headers.get("ETag") for r in replies}) != 1:
        raise RuntimeError(f"{url}: the bytes differ between hits")
    return replies[0].body


def fcgi_raw(sock: str, path: str = PATH_LAST, timeout: float = 15.0) -> bytes:
    """The responder's raw CGI output (Status line, headers, blank line, body) for one GET."""
    return exchange(sock, "GET", path, timeout=timeout)[0]
