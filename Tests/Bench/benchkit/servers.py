"""The harness's responder and nginx pinned to the server CPU, the libfcgi floor, and the bench
variants of the shipped locations file."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from harness import Nginx, Responder
from harness.nginx import SHIPPED_LOCATIONS
from harness.responder import SPAWN_FCGI

from .settings import PATH_LAST, REAL_NGINX, SERVER_CPU


class PinnedResponder(Responder):
    """The harness's responder (spawn-fcgi, fd 0), started under `taskset -c SERVER_CPU`.

    taskset and spawn-fcgi both exec, so `pid` is still the responder itself.
    """

    def argv(self) -> list[str]:
        return ["taskset", "-c", SERVER_CPU, *super().argv()]


class FloorResponder(Responder):
    """floor.c under spawn-fcgi, exactly like the responder: same socket handover, same worker count."""

    def __init__(self, floor_bin: Path, response_file: Path, workdir: Path, workers: int) -> None:
        super().__init__(floor_bin, {"PATH": os.environ.get("PATH", "")}, workdir, workers=workers)
        self.response_file = response_file

    def argv(self) -> list[str]:
        return ["taskset", "-c", SERVER_CPU, SPAWN_FCGI, "-n", "-s", self.sock, "-M", "0660", "--",
                str(self.binary), str(self.workers), str(self.response_file)]


def pinned_nginx_wrapper(workdir: Path) -> str:
    """The harness starts nginx as `harness.nginx.NGINX ...`; point that at a wrapper that pins it."""
    wrapper = workdir / "nginx-pinned"
    wrapper.write_text(f'#!/bin/sh\nexec taskset -c {SERVER_CPU} {REAL_NGINX} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


class BenchNginx(Nginx):
    """The harness's nginx with the bench-only adjustments, all applied to generated copies:

    - no rate limit (`harness.nginx.without_rate_limit`), so 20k req/s from one address are not throttled;
    - worker_connections 4096 (the harness's 256 is too few for the 500-request stampede);
    - optionally kept-alive FastCGI connections (the harness's keep_conn: upstream keepalive and
      `fastcgi_keep_conn on`) for A';
    - access_log off (identical for every configuration; disk logging is not what is measured);
    - optionally a bench locations file in place of the shipped one (A, B, C, E); D keeps the shipped one.
    """

    def __init__(self, prefix: Path, fcgi_sock: str, *, locations: Path | None = None,
                 web_root: Path | None = None, extra_http: str = "", keep_conn: bool = False) -> None:
        kwargs: dict[str, Any] = {"extra_http": extra_http, "rate_limit": False, "worker_connections": 4096,
                                  "keep_conn": keep_conn}
        if web_root is not None:
            kwargs["web_root"] = web_root
        super().__init__(prefix, fcgi_sock, **kwargs)
        self.locations = locations

    def write_config(self, port: int) -> None:
        super().write_config(port)
        conf = self.conf_path.read_text()
        conf = _replace_once(conf, "access_log logs/access.log;", "access_log off;")
        if self.locations is not None:
            conf = _replace_once(conf, f"include {SHIPPED_LOCATIONS};", f"include {self.locations};")
        self.conf_path.write_text(conf)

    def worker_pids(self) -> list[int]:
        if self.pid is None:
            return []
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise RuntimeError(f"generated nginx.conf changed shape: {old!r} found {text.count(old)} times; "
                           "update Tests/Bench/benchkit/servers.py")
    return text.replace(old, new)


# --- bench variants of the shipped locations file ---------------------------------------------------


def _last_location_span(text: str) -> tuple[int, int]:
    # The cached API location (it serves /api/trakt/last among others), whatever its exact pattern.
    start = re.search(r"^location [^\n{]*last[^\n{]*\{", text, re.M).start()
    depth = 0
    index = start
    while index < len(text):
        line_end = text.find("\n", index)
        line_end = len(text) if line_end < 0 else line_end
        code = text[index:line_end].split("#", 1)[0]
        for offset, char in enumerate(code):
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return start, index + offset + 1
        index = line_end + 1
    raise RuntimeError(f"unbalanced braces in the {PATH_LAST} location of {SHIPPED_LOCATIONS}")


def locations_variant(kind: str, node_port: int | None = None) -> str:
    """The shipped locations file with only the /api/trakt/last location changed.

    Server-level directives (headers, gzip, charset, fastcgi params, timeouts, error pages) stay as shipped.
      fastcgi  the shipped location minus its fastcgi_cache* lines (A and B);
      proxy    the same, with proxy_pass to Node instead of fastcgi_pass (C; a new connection per request,
               like fastcgi_pass without keep_conn);
      proxy-keepalive  the same over kept-alive upstream connections (C', information);
      static   the preflight and limit_req lines kept, the body served from <root>/last.json (E).
    """
    text = SHIPPED_LOCATIONS.read_text()
    start, end = _last_location_span(text)
    block = text[start:end]
    lines = [line for line in block.splitlines() if not re.match(r"\s*fastcgi_cache", line)]
    if kind == "fastcgi":
        new_lines = lines
    elif kind in ("proxy", "proxy-keepalive"):
        upstream = f"http://127.0.0.1:{node_port}" if kind == "proxy" else "http://trakt_bench_node"
        extra = "" if kind == "proxy" else ' proxy_http_version 1.1; proxy_set_header Connection "";'
        new_lines = [re.sub(r"fastcgi_pass\s+trakt_widget_fcgi;", f"proxy_pass {upstream};{extra}", line)
                     for line in lines]
        if not any("proxy_pass" in line for line in new_lines):
            raise RuntimeError("no fastcgi_pass trakt_widget_fcgi; in the shipped /api/trakt/last location")
    elif kind == "static":
        new_lines = [re.sub(r"fastcgi_pass\s+trakt_widget_fcgi;", "try_files /last.json =404;", line)
                     for line in lines]
    else:
        raise ValueError(kind)
    header = f"# GENERATED by Tests/Bench/bench.py from {SHIPPED_LOCATIONS.name}: /api/trakt/last variant '{kind}'.\n"
    return header + text[:start] + "\n".join(new_lines) + text[end:]
