"""An unprivileged nginx for tests that serves the SHIPPED nginx/ configuration in a temp prefix.

Only what differs between production and a test run is generated here: the listen address, the
cache directory, the upstream socket, the CORS allow-list and the web root. Everything else comes
from the files in nginx/, so the tests exercise the same locations, cache and rate-limit settings
that production uses.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .poll import NotReady, wait_until
from .process import free_tcp_port, stop_process, tcp_port_accepts

REPO = Path(__file__).resolve().parents[3]
NGINX_DIR = REPO / "nginx"
SHIPPED_HTTP = NGINX_DIR / "trakt-widget-http.conf"
SHIPPED_LOCATIONS = NGINX_DIR / "trakt-widget-locations.conf"
WEB_ROOT = REPO / "web"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEM_CONF_DIR = Path("/etc/nginx")

# Origins the test configuration allows for CORS; anything else must get no Access-Control-Allow-Origin.
TEST_ORIGINS = ("http://allowed.test", "https://widget.example.test")


class NginxError(RuntimeError):
    pass


def adapt_http_conf(shipped: str, cache_dir: Path, sock: str, origins_file: Path) -> str:
    """The shipped http-level file with its three host-specific values pointed into the test prefix."""
    # Anchored at the start of a line so that mentions in comments are left alone.
    text, cache_hits = re.subn(r"(?m)^(\s*fastcgi_cache_path\s+)\S+", lambda m: f"{m.group(1)}{cache_dir}", shipped)
    text, sock_hits = re.subn(r"(?m)^(\s*server\s+)unix:[^\s;]+", lambda m: f"{m.group(1)}unix:{sock}", text)
    text, origin_hits = re.subn(
        r"(?m)^(\s*include\s+)\S*trakt-widget-origins\.conf", lambda m: f"{m.group(1)}{origins_file}", text
    )
    if (cache_hits, sock_hits, origin_hits) != (1, 1, 1):
        raise NginxError(
            f"{SHIPPED_HTTP} changed shape: expected one fastcgi_cache_path, one 'server unix:' and one "
            f"origins include, found {cache_hits}, {sock_hits}, {origin_hits}; update Tests/Integration/harness/nginx.py"
        )
    return text


def without_rate_limit(http_conf: str) -> str:
    """The http file with limit_req_zone keyed on an always-empty variable. nginx does not account
    requests whose key is empty, so the shipped `limit_req` lines stay in the locations file but never
    reject (raising the rate alone is not enough: more than `burst` requests in one millisecond are still
    refused)."""
    text, hits = re.subn(r"(?m)^(\s*limit_req_zone\s+)\$binary_remote_addr\b",
                         r"map $host $trakt_no_rate_limit { default ''; }\n\g<1>$trakt_no_rate_limit", http_conf)
    if hits != 1:
        raise NginxError("nginx/trakt-widget-http.conf changed shape: expected one "
                         "`limit_req_zone $binary_remote_addr`; update without_rate_limit()")
    return text


def with_keep_conn(http_conf: str) -> str:
    """The http file with kept-alive FastCGI connections: an upstream keepalive pool and
    `fastcgi_keep_conn on` (http level, so every location inherits it)."""
    text, hits = re.subn(r"(?m)^(upstream trakt_widget_fcgi \{)", r"\1\n    keepalive 32;", http_conf)
    if hits != 1:
        raise NginxError("nginx/trakt-widget-http.conf changed shape: expected one "
                         "`upstream trakt_widget_fcgi {`; update with_keep_conn()")
    return text + "\nfastcgi_keep_conn on;\n"


def launch(prefix: Path, render: Callable[[list[int]], Path], ports: int | list[int] = 1, timeout: float = 10.0,
           attempts: int = 3) -> tuple[subprocess.Popen[bytes], list[int]]:
    """Runs `nginx -p PREFIX -c render(ports)` in the foreground until it accepts on every port.

    `ports` is a list of fixed ports, or how many free ones to pick; free ones are picked again when
    another process took one between the probe and nginx's bind. The configuration must log errors to
    PREFIX/logs/error.log. Returns the process and the ports.
    """
    error_log = prefix / "logs" / "error.log"
    fixed = isinstance(ports, list)
    for _ in range(1 if fixed else attempts):
        chosen = list(ports) if fixed else [free_tcp_port() for _ in range(ports)]
        conf = render(chosen)
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen([NGINX, "-p", f"{prefix}/", "-c", str(conf), "-e", "logs/error.log"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening() -> bool:
            if proc.poll() is not None:
                log = error_log.read_text(errors="replace") if error_log.exists() else ""
                raise NginxError(f"nginx exited with {proc.returncode}:\n{log}")
            return all(tcp_port_accepts("127.0.0.1", port) for port in chosen)

        try:
            wait_until(listening, timeout, f"nginx on ports {chosen}")
            return proc, chosen
        except NotReady:
            stop_process(proc, 5)
            raise
        except NginxError as err:
            if "Address already in use" not in str(err):
                raise
    raise NginxError(f"nginx could not bind free ports in {attempts} attempts")


class Nginx:
    def __init__(self, prefix: Path, fcgi_sock: str, *, origins: tuple[str, ...] = TEST_ORIGINS,
                 web_root: Path = WEB_ROOT, extra_http: str = "", extra_server: str = "",
                 rate_limit: bool = True, keep_conn: bool = False, worker_connections: int = 256) -> None:
        """`rate_limit=False` is for load generators (bench, soak) whose connections all come from one
        address; every other test keeps the shipped limit. `keep_conn=True` adds upstream keepalive and
        `fastcgi_keep_conn on`, which the shipped config leaves out. `worker_connections` counts client
        and upstream connections together."""
        self.prefix = prefix
        self.rate_limit = rate_limit
        self.keep_conn = keep_conn
        self.worker_connections = worker_connections
        self.fcgi_sock = fcgi_sock
        self.origins = origins
        self.web_root = web_root
        self.extra_http = extra_http
        self.extra_server = extra_server
        self.port: int | None = None
        self.cache_dir = prefix / "cache"
        self.error_log = prefix / "logs" / "error.log"
        self.access_log = prefix / "logs" / "access.log"
        self.conf_path = prefix / "conf" / "nginx.conf"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def write_config(self, port: int) -> None:
        for shipped in (SHIPPED_HTTP, SHIPPED_LOCATIONS):
            if not shipped.exists():
                raise NginxError(f"{shipped} is missing: the nginx tests run the shipped configuration")
        conf_dir = self.prefix / "conf"
        for sub in ("conf", "logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        origins_file = conf_dir / "test-origins.conf"
        origins_file.write_text("".join(f'"{origin}" $http_origin;\n' for origin in self.origins))

        http_conf = adapt_http_conf(SHIPPED_HTTP.read_text(), self.cache_dir, self.fcgi_sock, origins_file)
        if not self.rate_limit:
            http_conf = without_rate_limit(http_conf)
        if self.keep_conn:
            http_conf = with_keep_conn(http_conf)
        (conf_dir / "trakt-widget-http.test.conf").write_text(http_conf)

        temp_paths = "\n".join(f"    {d}_temp_path tmp/{d};" for d in ("fastcgi", "proxy", "uwsgi", "scgi"))
        # As root the workers would drop to "nobody" and lose access to the 0700 pytest dirs and the socket.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        self.conf_path.write_text(f"""\
{user}worker_processes 1;
worker_rlimit_nofile {2 * self.worker_connections + 64};
daemon off;
master_process on;
pid logs/nginx.pid;
error_log logs/error.log info;
events {{ worker_connections {self.worker_connections}; }}
http {{
    include {SYSTEM_CONF_DIR / "mime.types"};
    default_type application/octet-stream;
    access_log logs/access.log;
    client_body_temp_path tmp/body;
{temp_paths}
    include {conf_dir / "trakt-widget-http.test.conf"};
{self.extra_http}
    server {{
        listen 127.0.0.1:{port} default_server;
        server_name localhost;
        root {self.web_root};
{self.extra_server}
        include {SHIPPED_LOCATIONS};
    }}
}}
""")

    def check_config(self) -> tuple[int, str]:
        """`nginx -t` on the generated configuration: (exit code, output)."""
        proc = subprocess.run(
            [NGINX, "-t", "-p", f"{self.prefix}/", "-c", "conf/nginx.conf", "-e", "logs/error.log"],
            capture_output=True, text=True,
        )
        return proc.returncode, proc.stdout + proc.stderr

    def start(self, timeout: float = 10.0, attempts: int = 3, port: int | None = None) -> "Nginx":
        """Starts on `port`, or on a free port (retried if another process takes it first)."""

        def render(ports: list[int]) -> Path:
            self.port = ports[0]
            self.write_config(self.port)
            return self.conf_path

        self._proc, _ = launch(self.prefix, render, [port] if port else 1, timeout, attempts)
        return self

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 10.0) -> int:
        """Fast shutdown (TERM). A graceful QUIT would wait for idle keep-alive and browser
        pre-connections, up to client_header_timeout."""
        if self._proc is None:
            return 0
        try:
            return stop_process(self._proc, timeout)
        except TimeoutError:
            raise NginxError(f"nginx did not stop within {timeout}s") from None

    def error_log_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def access_log_text(self) -> str:
        return self.access_log.read_text(errors="replace") if self.access_log.exists() else ""

    def upstream_log(self) -> list["UpstreamLine"]:
        """The lines UPSTREAM_LOG_HTTP writes (empty unless this server was started with it)."""
        path = self.prefix / "logs" / UPSTREAM_LOG_NAME
        if not path.exists():
            return []
        fields = (raw.split("\t") for raw in path.read_text(errors="replace").splitlines())
        return [UpstreamLine(*line) for line in fields if len(line) == 6]


# --- what nginx did with each request ----------------------------------------------------------------

UPSTREAM_LOG_NAME = "upstream.log"
# An `extra_http` snippet: one line per request AND per subrequest (background cache updates are
# subrequests) with the upstream status, the cache status and the upstream address, so a test can see
# whether and how nginx talked to the responder.
UPSTREAM_LOG_HTTP = f"""
    log_format trakt_test_upstream '$request_method\\t$uri\\t$status\\t$upstream_status\\t$upstream_cache_status\\t$upstream_addr';
    log_subrequest on;
    access_log logs/{UPSTREAM_LOG_NAME} trakt_test_upstream;
"""


@dataclass(frozen=True)
class UpstreamLine:
    method: str
    uri: str
    status: str
    upstream_status: str   # "-" when nginx did not contact the responder
    cache: str             # HIT, MISS, STALE, UPDATING, EXPIRED, REVALIDATED or "-"
    upstream_addr: str     # "unix:/path" or "-"

    @property
    def reached_responder(self) -> bool:
        return self.upstream_addr.startswith("unix:")
