"""Checks of the shipped nginx/ and systemd/ configuration.

- `nginx -t` on the production layout (http + server + locations files as installed);
- nginx behaviour that needs no responder: JSON error pages (502 with the responder down, 404, 429,
  400/414/431/405), CORS, security headers, static files; over plain HTTP and over TLS with the
  shipped server file (HSTS, HTTP/2, TLS 1.0/1.1 refused, 80 -> 443, ACME);
- `systemd-analyze verify` (failing on any output) and `systemd-analyze security` (exposure <= 2.0);
- cross-file consistency (socket path, credential names, env example).

Runs as root in CI (the test nginx then runs its workers as root too). Needs nginx, openssl,
curl and systemd-analyze on PATH. API checks that need the real responder live in test_nginx.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import Headers, Response, free_tcp_port, fresh_source, http_request, stop_process, tcp_port_accepts, wait_until
from harness.http import raw_exchange
from harness.nginx import NGINX, launch

REPO = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO / "nginx"
HTTP_FILE = NGINX_DIR / "trakt-widget-http.conf"
SERVER_FILE = NGINX_DIR / "trakt-widget-server.conf"
LOCATIONS_FILE = NGINX_DIR / "trakt-widget-locations.conf"
ORIGINS_FILE = NGINX_DIR / "trakt-widget-origins.conf"
SYSTEMD_DIR = REPO / "systemd"
SERVICE = SYSTEMD_DIR / "trakt-widget.service"
SOCKET_UNIT = SYSTEMD_DIR / "trakt-widget.socket"
ENV_EXAMPLE = SYSTEMD_DIR / "trakt-widget.env.example"

ALLOWED = "https://www.example.com"          # placeholder entries of the shipped allow-list
ALLOWED_REGEX = "https://widgets.example.org"
FOREIGN = "https://evil.example.net"
HSTS = "max-age=63072000; includeSubDomains"
SECRETS = ("TRAKT_CLIENT_SECRET", "TRAKT_REFRESH_TOKEN", "TMDB_API_KEY", "SIMKL_ACCESS_TOKEN")
JS = 'document.currentScript && console.log("trakt widget");\n'


# --------------------------------------------------------------------------------------------
# nginx configurations for these tests
#
# The shipped files are laid out under a prefix exactly as a deployer installs them:
#     PREFIX/conf/nginx.conf          generated wrapper (pid, logs, the five *_temp_path, mime.types)
#     PREFIX/conf/trakt-widget  ->  <repo>/nginx     symlink: the shipped files, never copied
#     PREFIX/conf/generated/          copies of ONLY the http file and the server file, with the
#                                     host-specific values substituted
# nginx resolves relative includes against the main config's directory, so the shipped
# `include trakt-widget/trakt-widget-locations.conf;` (and the origins include) reach the shipped
# files through the symlink here and /etc/nginx/trakt-widget/ in production. The locations file
# is never copied or edited. Each substitution must match exactly once: if a shipped file changes
# shape, the tests fail loudly instead of silently testing something else.
# (The full-stack harness in harness/nginx.py renders its own plain-HTTP server around the same
# shipped locations file; this module adds the production layout and the shipped TLS server.)

PROD_CACHE_DIR = "/var/cache/nginx/trakt-widget"
PROD_SOCKET = "/run/trakt-widget/fcgi.sock"
PROD_CERT = "/etc/letsencrypt/live/trakt.example.com/fullchain.pem"
PROD_KEY = "/etc/letsencrypt/live/trakt.example.com/privkey.pem"
PROD_WEB_ROOT = "/usr/local/share/trakt-widget/web"
PROD_ACME_ROOT = "/var/www/letsencrypt"
SERVER_NAME = "trakt.example.com"


def make_cert(directory: Path) -> tuple[Path, Path]:
    """Self-signed P-256 certificate for SERVER_NAME, localhost and 127.0.0.1."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={SERVER_NAME}",
         "-addext", f"subjectAltName=DNS:{SERVER_NAME},DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def _substitute(text: str, old: str, new: str, source: Path) -> str:
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"{source.name}: expected exactly one {old!r}, found {count}; "
                             "the shipped file changed shape, update test_configs.py")
    return text.replace(old, new)


def _prepare_prefix(prefix: Path) -> None:
    for d in (prefix / "conf" / "generated", prefix / "logs", prefix / "cache",
              *(prefix / "tmp" / t for t in ("body", "fastcgi", "proxy", "uwsgi", "scgi"))):
        d.mkdir(parents=True, exist_ok=True)
    link = prefix / "conf" / "trakt-widget"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(NGINX_DIR, target_is_directory=True)


def _http_copy(prefix: Path, fcgi_socket, origins=None) -> Path:
    text = _substitute(HTTP_FILE.read_text(), f"fastcgi_cache_path {PROD_CACHE_DIR} ",
                       f"fastcgi_cache_path {prefix / 'cache'} ", HTTP_FILE)
    text = _substitute(text, f"server unix:{PROD_SOCKET};", f"server unix:{fcgi_socket};", HTTP_FILE)
    if origins is not None:
        generated = prefix / "conf" / "generated" / "origins.conf"
        generated.write_text("".join(f'"{o}" $http_origin;\n' for o in origins))
        text = _substitute(text, "include trakt-widget/trakt-widget-origins.conf;",
                           f"include {generated};", HTTP_FILE)
    out = prefix / "conf" / "generated" / HTTP_FILE.name
    out.write_text(text)
    return out


def _server_copy(prefix: Path, cert, key, *, port=None, http_port=None, web_root=None) -> Path:
    text = _substitute(SERVER_FILE.read_text(), PROD_CERT, str(cert), SERVER_FILE)
    text = _substitute(text, PROD_KEY, str(key), SERVER_FILE)
    if port is not None:                       # a running test server rather than `nginx -t`
        for old, new in (("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
                         ("listen [::]:443 ssl http2;", ""),
                         ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                         ("listen [::]:80;", ""),
                         (f"root {PROD_WEB_ROOT};", f"root {web_root};"),
                         (f"root {PROD_ACME_ROOT};", f"root {prefix / 'acme'};")):
            text = _substitute(text, old, new, SERVER_FILE)
    out = prefix / "conf" / "generated" / SERVER_FILE.name
    out.write_text(text)
    return out


def _wrapper(prefix: Path, http_conf: Path, server_block: str) -> Path:
    # As root (CI) the workers would drop to "nobody" and could not read the 0700 pytest dirs.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "conf" / "nginx.conf"
    conf.write_text(f"""# generated by test_configs.py
{user}worker_processes 1;
daemon off;
pid logs/nginx.pid;
error_log logs/error.log info;
events {{ worker_connections 256; }}
http {{
    # What Debian's /etc/nginx/nginx.conf puts around conf.d/ and sites-enabled/, including its
    # permissive http-level ssl_protocols, which the shipped server file must override.
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log logs/access.log;
    # Debian's compiled-in temp paths (/var/lib/nginx/...) are not the test's to use.
    client_body_temp_path tmp/body;
    fastcgi_temp_path tmp/fastcgi;
    proxy_temp_path tmp/proxy;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;

    include {http_conf};
{server_block}
}}
""")
    return conf


def render_plain(prefix: Path, port: int, fcgi_socket, web_root, origins=None) -> Path:
    """A plain-HTTP server{} on 127.0.0.1:port: root + the shipped locations file."""
    _prepare_prefix(prefix)
    http_conf = _http_copy(prefix, fcgi_socket, origins)
    return _wrapper(prefix, http_conf, f"""
    server {{
        listen 127.0.0.1:{port} default_server;
        server_name localhost;
        root {web_root};
        include trakt-widget/trakt-widget-locations.conf;
    }}""")


def render_tls(prefix: Path, port: int, http_port: int, fcgi_socket, web_root, cert, key) -> Path:
    """The SHIPPED server file (80 -> 443 + ACME, and the TLS site) moved to loopback ports."""
    _prepare_prefix(prefix)
    (prefix / "acme").mkdir(exist_ok=True)
    http_conf = _http_copy(prefix, fcgi_socket)
    server = _server_copy(prefix, cert, key, port=port, http_port=http_port, web_root=web_root)
    return _wrapper(prefix, http_conf, f"    include {server};")


def render_production(prefix: Path, cert, key) -> Path:
    """http + server + locations as installed, for `nginx -t`: only the cache dir and certs differ."""
    _prepare_prefix(prefix)
    http_conf = _http_copy(prefix, PROD_SOCKET)
    return _wrapper(prefix, http_conf, f"    include {_server_copy(prefix, cert, key)};")


def nginx_cmd(prefix: Path, conf: Path, *args) -> list[str]:
    return [NGINX, "-p", f"{prefix}/", "-c", str(conf), *args]


# --------------------------------------------------------------------------------------------
# helpers

def strip_comments(text: str) -> str:
    """nginx config without comments ('#' outside quotes up to end of line)."""
    out, quote = [], None
    for line in text.splitlines():
        buf = []
        for ch in line:
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                break
            buf.append(ch)
        out.append("".join(buf))
    return "\n".join(out)


def directives_by_depth(text: str):
    """(depth, directive-text) for every `;`-terminated directive, depth = open braces."""
    depth, buf, quote, found = 0, [], None, []
    for ch in strip_comments(text):
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == "{":
            depth, buf = depth + 1, []
        elif ch == "}":
            depth, buf = depth - 1, []
        elif ch == ";":
            found.append((depth, " ".join("".join(buf).split())))
            buf = []
        else:
            buf.append(ch)
    return found


def request(port, path, method="GET", headers=None, source=None) -> Response:
    """Through the test nginx; from a loopback address no other request used unless `source` is given
    (limit_req buckets are per client address)."""
    return http_request(f"http://127.0.0.1:{port}{path}", method, headers, timeout=10, source=source or fresh_source())


def assert_json_error(r: Response, status: int, code: str):
    assert r.status == status, (r.status, r.body)
    assert r.headers.get("Content-Type") == "application/json; charset=utf-8"
    assert b"<html" not in r.body.lower()
    body = r.json()
    assert body["ok"] is False and body["code"] == code and body["error"]
    assert r.headers.get("Cache-Control") == "no-store"


def make_web_root(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "index.html").write_text("<!doctype html><title>trakt widget demo</title>\n")
    (path / "trakt-widget.js").write_text(JS)
    (path / ".secret").write_text("not public\n")
    (path / "README.md").write_text("# not published\n")
    (path / "react").mkdir(exist_ok=True)
    (path / "react" / "TraktWidget.tsx").write_text("export {}\n")
    return path


def service_binary() -> str:
    """An executable for ExecStart in the verify copies (verify checks that it exists)."""
    for candidate in (os.environ.get("TRAKT_WIDGET_BIN"), str(REPO / ".build/debug/trakt-widget")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return "/bin/true"


def unit_entries(path: Path):
    """[(section, key, value)] of a unit file; keys may repeat."""
    section, entries = None, []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(path: Path, key: str):
    return [v for _, k, v in unit_entries(path) if k == key]


def unit_copies(directory: Path, service_text: str | None = None) -> tuple[Path, Path]:
    """The units in a temp dir, ExecStart pointing at an existing executable."""
    directory.mkdir(parents=True, exist_ok=True)
    text = SERVICE.read_text() if service_text is None else service_text
    text, n = re.subn(r"^ExecStart=/usr/local/bin/trakt-widget\b",
                      f"ExecStart={service_binary()}", text, flags=re.M)
    assert n == 1, "ExecStart=/usr/local/bin/trakt-widget ... not found in the service"
    service = directory / SERVICE.name
    service.write_text(text)
    sock = directory / SOCKET_UNIT.name
    shutil.copy(SOCKET_UNIT, sock)
    return sock, service


def systemd_analyze(*args) -> subprocess.CompletedProcess:
    # SYSTEMD_LOG_LEVEL pinned: at "err" (if CI exported it) verify would hide the warnings the
    # clean-output check relies on. No systemd as PID 1 is needed for verify/security --offline.
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="info", SYSTEMD_LOG_COLOR="0", SYSTEMD_COLORS="0",
               SYSTEMD_PAGER="", LC_ALL="C.UTF-8")
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, env=env, timeout=120)


# --------------------------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("cert"))


@pytest.fixture(scope="module")
def web_root(tmp_path_factory):
    return make_web_root(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def plain(tmp_path_factory, web_root):
    """nginx over plain HTTP with the shipped locations file and NO responder behind it."""
    prefix = tmp_path_factory.mktemp("nginx-plain")
    proc, (port,) = launch(prefix, lambda ports: render_plain(prefix, *ports, prefix / "no-responder.sock", web_root))
    yield port
    stop_process(proc, 10)


@pytest.fixture(scope="module")
def tls(tmp_path_factory, web_root, cert):
    """nginx with the shipped SERVER file (TLS settings, 80->443, ACME), no responder."""
    prefix = tmp_path_factory.mktemp("nginx-tls")
    challenge = prefix / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "tok3n").write_text("tok3n.keyauth")
    proc, (port, http_port) = launch(
        prefix, lambda ports: render_tls(prefix, *ports, prefix / "no-responder.sock", web_root, *cert), 2)
    yield {"port": port, "http_port": http_port, "cert": cert[0]}
    stop_process(proc, 10)


def curl(tls, *args, path="/", check=False) -> subprocess.CompletedProcess:
    url = f"https://{SERVER_NAME}:{tls['port']}{path}"
    cmd = ["curl", "-sS", "--max-time", "10", "--resolve", f"{SERVER_NAME}:{tls['port']}:127.0.0.1",
           "--cacert", str(tls["cert"]), *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=30)


def curl_headers(tls, *args, path="/"):
    r = curl(tls, "-D", "-", "-o", "/dev/null", *args, path=path, check=True)
    lines = r.stdout.splitlines()
    status = int(lines[0].split()[1])
    headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]
    return Response(status, Headers(headers), b"")


# --------------------------------------------------------------------------------------------
# static checks of the shipped nginx files

def test_locations_file_is_environment_neutral():
    text = strip_comments(LOCATIONS_FILE.read_text())
    assert not re.search(r"unix:", text), "socket path belongs in the upstream block (http file)"
    absolute = re.findall(r"(?<![\w$'\"/])/(?:var|run|etc|usr|srv|home|tmp|opt|www)/\S*", text)
    assert absolute == [], f"host paths in the shared locations file: {absolute}"
    assert not re.search(r"^\s*(root|alias)\s", text, re.M), "root comes from the server block"
    assert re.search(r"fastcgi_pass\s+trakt_widget_fcgi;", text)


def test_no_location_overrides_server_level_headers():
    """add_header in a location would silently drop HSTS & co. there (nginx inheritance)."""
    directives = directives_by_depth(LOCATIONS_FILE.read_text())
    nested = [d for depth, d in directives if depth > 0 and d.startswith("add_header")]
    assert nested == []
    top = [d for depth, d in directives if depth == 0 and d.startswith("add_header")]
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "Vary Origin",
                   "Access-Control-Allow-Origin", "X-Cache-Status $upstream_cache_status"):
        assert any(header in d and d.endswith(" always") for d in top), header
    assert not re.search(r"^\s*add_header\s", strip_comments(HTTP_FILE.read_text()), re.M)
    # The server file may set headers only in a server{} that does not include the locations file
    # (port 80); in the TLS server they would merge with the locations file's.
    blocks = strip_comments(SERVER_FILE.read_text()).split("\nserver {")[1:]
    assert len(blocks) == 2
    for block in blocks:
        if "trakt-widget-locations.conf" in block:
            assert not re.search(r"^\s*add_header\s", block, re.M)


def test_no_fastcgi_keepalive_anywhere():
    """Short-lived FastCGI connections in the shipped config. Kept-alive ones no longer pin workers
    (test_lifecycle.py), but nothing has measured them faster yet."""
    for path in NGINX_DIR.glob("*.conf"):
        text = strip_comments(path.read_text())
        assert not re.search(r"^\s*keepalive\b", text, re.M), path.name
        assert not re.search(r"fastcgi_keep_conn\s+on", text), path.name


def test_cache_settings():
    directives = [d for _, d in directives_by_depth(LOCATIONS_FILE.read_text())]
    key = [d for d in directives if d.startswith("fastcgi_cache_key")]
    # The query string is not in the key, only the parameters the responder reads (card.svg, history).
    assert key == ['fastcgi_cache_key "$request_method $uri$trakt_cache_variant"']
    for required in ("fastcgi_cache trakt_widget", "fastcgi_cache_lock on",
                     "fastcgi_cache_use_stale error timeout updating http_500 http_503",
                     "fastcgi_cache_background_update on", "fastcgi_cache off"):
        assert required in directives, required
    # The responder's Cache-Control decides; nothing may tell nginx to ignore it.
    assert not any(d.startswith("fastcgi_ignore_headers") for d in directives)


def test_server_file_tls_policy():
    directives = [d for _, d in directives_by_depth(SERVER_FILE.read_text())]
    assert [d for d in directives if d.startswith("ssl_protocols")] == ["ssl_protocols TLSv1.2 TLSv1.3"]
    assert "listen 443 ssl http2" in directives
    assert not any(d.startswith("http2 ") for d in directives), "nginx 1.22 has no 'http2 on'"
    assert "include trakt-widget/trakt-widget-locations.conf" in directives


def test_socket_path_matches_upstream():
    http_text = strip_comments(HTTP_FILE.read_text())
    upstream = re.search(r"upstream\s+trakt_widget_fcgi\s*\{\s*server\s+unix:(\S+);", http_text)
    assert upstream, "upstream trakt_widget_fcgi { server unix:...; } missing"
    assert unit_values(SOCKET_UNIT, "ListenStream") == [upstream.group(1)]


# --------------------------------------------------------------------------------------------
# nginx -t on the production layout

def test_nginx_t_production_config(tmp_path, cert):
    prefix = tmp_path / "prod"
    conf = render_production(prefix, *cert)
    r = subprocess.run(nginx_cmd(prefix, conf, "-t"), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "test is successful" in r.stderr
    assert not re.search(r"\[(warn|emerg|alert|crit)\]", r.stderr), r.stderr

    # The dump must show the SHIPPED locations and origins files, reached via the include
    # paths a production install uses, with ports and names untouched.
    dump = subprocess.run(nginx_cmd(prefix, conf, "-T"), capture_output=True, text=True,
                          timeout=60, check=True).stdout
    files = dict(re.findall(r"^# configuration file (\S+):\n(.*?)(?=^# configuration file |\Z)",
                            dump, re.S | re.M))
    shipped = {Path(p).resolve(): body for p, body in files.items()}
    for f in (LOCATIONS_FILE, ORIGINS_FILE):
        assert f.resolve() in shipped, f"{f.name} not loaded from the repo"
        assert shipped[f.resolve()].rstrip("\n") == f.read_text().rstrip("\n")
    assert re.search(r"^\s*listen 443 ssl http2;", dump, re.M)
    assert re.search(r"^\s*listen 80;", dump, re.M)
    assert "server unix:/run/trakt-widget/fcgi.sock;" in dump


def test_nginx_t_rejects_a_broken_config(tmp_path, cert):
    """The check above is not vacuous: an unknown zone name fails `nginx -t`."""
    prefix = tmp_path / "broken"
    conf = render_production(prefix, *cert)
    http_copy = prefix / "conf" / "generated" / "trakt-widget-http.conf"
    http_copy.write_text(http_copy.read_text().replace("keys_zone=trakt_widget:", "keys_zone=renamed:"))
    r = subprocess.run(nginx_cmd(prefix, conf, "-t"), capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "trakt_widget" in r.stderr


# --------------------------------------------------------------------------------------------
# nginx over plain HTTP, responder down

@pytest.mark.parametrize("path", ["/api/trakt/last", "/api/trakt/health", "/api/trakt/last?x=1"])
def test_responder_down_gives_json_502(plain, path):
    r = request(plain, path)
    assert_json_error(r, 502, "BACKEND_UNAVAILABLE")
    assert r.headers.get("Access-Control-Allow-Origin") is None


def test_head_on_dead_responder_has_json_type_and_no_body(plain):
    r = request(plain, "/api/trakt/last", method="HEAD")
    assert r.status == 502 and r.body == b""
    assert r.headers.get("Content-Type") == "application/json; charset=utf-8"


@pytest.mark.parametrize("path,method", [
    ("/api/", "GET"), ("/api/nope", "GET"), ("/api/trakt/last/extra", "GET"),
    ("/api/trakt", "GET"), ("/api/other", "POST"), ("/nope", "GET"), ("/index.html", "GET"),
    ("/widget/", "GET"), ("/widget/missing.js", "GET"), ("/widget/.secret", "GET"),
    ("/widget/README.md", "GET"), ("/widget/index.html", "GET"), ("/widget/react/TraktWidget.tsx", "GET"),
    ("/widget/../index.html", "GET"), ("/widget/%2e%2e/index.html", "GET"),
])
def test_unknown_paths_give_json_404(plain, path, method):
    assert_json_error(request(plain, path, method=method), 404, "NOT_FOUND")


def test_rate_limit_gives_json_429(plain):
    source = fresh_source()  # all 30 from one client address
    responses = [request(plain, "/api/trakt/last", headers={"Origin": ALLOWED}, source=source) for _ in range(30)]
    statuses = [r.status for r in responses]
    # burst=10 nodelay: the first 11 go through (to a dead responder: 502), then 429s.
    assert statuses[0] == 502
    limited = [r for r in responses if r.status == 429]
    assert len(limited) >= 15, statuses
    r = limited[0]
    assert_json_error(r, 429, "RATE_LIMITED")
    assert r.headers.get("Retry-After") == "1"
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED   # the page can read the 429
    # Per client address: another address is not limited.
    assert request(plain, "/api/trakt/last").status == 502


def test_preflight_is_exempt_from_rate_limit(plain):
    source = fresh_source()
    for _ in range(25):
        r = request(plain, "/api/trakt/last", method="OPTIONS", source=source,
                    headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
        assert r.status == 204


@pytest.mark.parametrize("origin", [ALLOWED, "https://example.com", ALLOWED_REGEX])
@pytest.mark.parametrize("path", ["/api/trakt/last", "/api/trakt/health"])
def test_cors_preflight_allowed_origin(plain, origin, path):
    r = request(plain, path, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert r.status == 204 and r.body == b""
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    assert r.headers.get("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in r.headers.get("Access-Control-Allow-Headers")
    assert r.headers.get("Access-Control-Max-Age") == "86400"
    assert r.headers.get_all("Vary") == ["Origin"]
    assert r.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("origin", [FOREIGN, "https://www.example.com.evil.net", "null",
                                    "http://www.example.com", "https://a.b.example.org"])
def test_cors_foreign_origin_gets_no_cors_headers(plain, origin):
    for method, headers in (("OPTIONS", {"Access-Control-Request-Method": "GET"}), ("GET", {})):
        r = request(plain, "/api/trakt/last", method=method, headers={"Origin": origin, **headers})
        assert not [k for k, _ in r.headers.items() if k.lower().startswith("access-control-")], r.headers
        assert r.headers.get_all("Vary") == ["Origin"]


def test_cors_simple_get_from_allowed_origin(plain):
    r = request(plain, "/api/trakt/last", headers={"Origin": ALLOWED})
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED
    # Preflight-only headers stay off normal responses.
    assert r.headers.get("Access-Control-Allow-Methods") is None
    assert r.headers.get("Access-Control-Max-Age") is None


def test_widget_script_is_loadable_as_cross_origin_module(plain):
    """<script type="module"> is fetched in CORS mode: embedding pages need ACAO on the script."""
    ok = request(plain, "/widget/trakt-widget.js", headers={"Origin": ALLOWED})
    assert ok.status == 200 and ok.headers.get("Access-Control-Allow-Origin") == ALLOWED
    foreign = request(plain, "/widget/trakt-widget.js", headers={"Origin": FOREIGN})
    assert foreign.status == 200 and foreign.headers.get("Access-Control-Allow-Origin") is None


def test_vary_origin_without_origin_header(plain):
    for path in ("/api/trakt/last", "/", "/widget/trakt-widget.js", "/nope"):
        assert request(plain, path).headers.get_all("Vary")[:1] == ["Origin"], path


def test_bad_request_is_json(plain):
    raw = raw_exchange(plain, b"GET / HTTP/1.1\r\n\r\n")          # HTTP/1.1 without Host
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/json; charset=utf-8" in head
    assert json.loads(body)["code"] == "BAD_REQUEST"


def test_uri_too_long_is_json(plain):
    assert_json_error(request(plain, "/api/" + "a" * 9000), 414, "URI_TOO_LONG")


def test_headers_too_large_is_json_431(plain):
    r = request(plain, "/api/trakt/last", headers={"X-Big": "b" * 9000})
    assert_json_error(r, 431, "HEADERS_TOO_LARGE")


def test_static_method_not_allowed_is_json(plain):
    assert_json_error(request(plain, "/widget/trakt-widget.js", method="POST"), 405, "METHOD_NOT_ALLOWED")


def test_demo_page(plain):
    r = request(plain, "/")
    assert r.status == 200 and b"trakt widget demo" in r.body
    assert r.headers.get("Content-Type") == "text/html; charset=utf-8"
    assert r.headers.get("Cache-Control") == "no-cache"
    assert r.headers.get("ETag")
    csp = r.headers.get("Content-Security-Policy")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_widget_script(plain):
    r = request(plain, "/widget/trakt-widget.js")
    assert r.status == 200 and r.body == JS.encode()
    assert r.headers.get("Content-Type").startswith("application/javascript")
    assert r.headers.get("Cache-Control") == "max-age=3600"
    etag = r.headers.get("ETag")
    assert request(plain, "/widget/trakt-widget.js", headers={"If-None-Match": etag}).status == 304


def test_shipped_demo_page_fits_the_csp():
    """The demo page's CSP (http file, $trakt_csp) allows only same-origin scripts, no inline ones."""
    html = (REPO / "web" / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>", html, re.I)
    assert scripts and all(re.search(r"\bsrc=\"/", attrs) for attrs in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    assert "javascript:" not in html


@pytest.mark.parametrize("path", ["/", "/widget/trakt-widget.js", "/api/trakt/last", "/api/nope"])
def test_security_headers_over_plain_http(plain, path):
    r = request(plain, path)
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert r.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert r.headers.get("Content-Security-Policy")
    assert r.headers.get("Server") == "nginx"                      # no version
    # HSTS only over TLS (browsers ignore it on plain HTTP; see the TLS tests).
    assert r.headers.get("Strict-Transport-Security") is None


def test_custom_origins(tmp_path, web_root):
    """The origins include is the one substitution point for the allow-list."""
    proc, (port,) = launch(tmp_path, lambda ports: render_plain(
        tmp_path, *ports, tmp_path / "none.sock", web_root, origins=["http://localhost:8000"]))
    try:
        ok = request(port, "/api/trakt/last", method="OPTIONS", headers={"Origin": "http://localhost:8000"})
        assert ok.headers.get("Access-Control-Allow-Origin") == "http://localhost:8000"
        other = request(port, "/api/trakt/last", method="OPTIONS", headers={"Origin": ALLOWED})
        assert other.headers.get("Access-Control-Allow-Origin") is None
    finally:
        stop_process(proc, 10)


# --------------------------------------------------------------------------------------------
# TLS with the shipped server file

@pytest.mark.parametrize("path,args,status", [
    ("/", [], 200), ("/widget/trakt-widget.js", [], 200), ("/api/trakt/last", [], 502),
    ("/nope", [], 404), ("/api/trakt/last", ["-X", "OPTIONS", "-H", f"Origin: {ALLOWED}"], 204),
])
def test_tls_hsts_on_every_response(tls, path, args, status):
    r = curl_headers(tls, *args, path=path)
    assert r.status == status
    assert r.headers.get_all("strict-transport-security") == [HSTS]     # present, exactly once


def test_tls_json_error_body(tls):
    r = curl(tls, "-w", "\n%{http_code} %{content_type}", path="/api/trakt/last", check=True)
    body, _, tail = r.stdout.rpartition("\n")
    assert tail == "502 application/json; charset=utf-8"
    assert json.loads(body)["code"] == "BACKEND_UNAVAILABLE"


def test_tls_http2_negotiated(tls):
    r = curl(tls, "--http2", "-o", "/dev/null", "-w", "%{http_version}", path="/widget/trakt-widget.js",
             check=True)
    assert r.stdout == "2"


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_tls_modern_versions_accepted(tls, version):
    r = curl(tls, f"--tlsv{version}", "--tls-max", version, "-o", "/dev/null", "-w", "%{http_code}")
    assert r.returncode == 0 and r.stdout == "200", r.stderr


@pytest.fixture(scope="module")
def legacy_tls_server(cert):
    """openssl s_server speaking TLS 1.0/1.1 only: proves the curl command below CAN do old TLS."""
    port = free_tcp_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert[0]), "-key", str(cert[1]),
         "-no_tls1_2", "-no_tls1_3", "-cipher", "DEFAULT:@SECLEVEL=0", "-www", "-quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: proc.poll() is None and tcp_port_accepts("127.0.0.1", port), 10.0, "s_server")
        yield {"port": port, "cert": cert[0]}
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_tls_legacy_versions_refused(tls, legacy_tls_server, version):
    # SECLEVEL=0 lets the client offer TLS 1.0/1.1 (OpenSSL 3 refuses them by default, which
    # would make this test pass whatever nginx is configured to do).
    legacy = [f"--tlsv{version}", "--tls-max", version, "--ciphers", "DEFAULT:@SECLEVEL=0",
              "-o", "/dev/null", "-w", "%{http_code}"]
    control = curl(legacy_tls_server, *legacy)
    assert control.returncode == 0 and control.stdout == "200", f"client cannot speak TLS {version}: {control.stderr}"
    r = curl(tls, *legacy)
    assert r.returncode != 0 and r.stdout == "000", f"TLS {version} accepted"


def assert_json_redirect(r: Response, location: str):
    assert r.status == 301
    assert r.headers.get("Location") == location
    # nginx's charset filter leaves redirects alone: no "; charset=utf-8" here.
    assert r.headers.get("Content-Type") == "application/json"
    assert r.json()["code"] == "HTTPS_REQUIRED"


def test_http_port_redirects_to_https(tls):
    assert_json_redirect(request(tls["http_port"], "/api/trakt/last?x=1"),
                         f"https://{SERVER_NAME}/api/trakt/last?x=1")


def test_http_port_serves_acme_challenge(tls):
    r = request(tls["http_port"], "/.well-known/acme-challenge/tok3n")
    assert r.status == 200 and r.body == b"tok3n.keyauth"
    assert r.headers.get("Content-Type") == "text/plain"


def test_http_port_errors_are_json(tls):
    missing = request(tls["http_port"], "/.well-known/acme-challenge/nope")
    assert missing.status == 404 and missing.json()["code"] == "NOT_FOUND"
    assert missing.headers.get("Content-Type") == "application/json; charset=utf-8"
    trace = request(tls["http_port"], "/", method="TRACE")
    assert trace.status == 405 and trace.json()["code"] == "METHOD_NOT_ALLOWED"
    assert trace.headers.get("Allow") == "GET, HEAD"
    bad = raw_exchange(tls["http_port"], b"GET / HTTP/1.1\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400 ") and b"application/json" in bad and b"<html" not in bad.lower()


def test_plain_http_on_tls_port_redirects(tls):
    assert_json_redirect(request(tls["port"], "/widget/trakt-widget.js"),
                         f"https://{SERVER_NAME}/widget/trakt-widget.js")


@pytest.mark.parametrize("path,method", [
    ("/api/trakt/last", "TRACE"), ("//api/trakt/health", "TRACE"), ("/", "TRACE"), ("/", "POST"),
    ("/widget/trakt-widget.js", "POST"),
])
def test_nginx_405_names_the_allowed_methods(plain, path, method):
    r = request(plain, path, method=method)
    assert_json_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers.get_all("Allow") == ["GET, HEAD"]     # as the responder's own 405s say


# --------------------------------------------------------------------------------------------
# systemd

def test_systemd_verify_is_clean(tmp_path):
    sock, service = unit_copies(tmp_path)
    r = systemd_analyze("verify", "--man=no", str(sock), str(service))
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def test_systemd_verify_reports_a_typo(tmp_path):
    """verify exits 0 on unknown keys; the clean check above relies on it printing them."""
    broken = SERVICE.read_text().replace("\nProtectSystem=", "\nProtectSytem=")
    sock, service = unit_copies(tmp_path, broken)
    r = systemd_analyze("verify", "--man=no", str(sock), str(service))
    assert "Unknown key" in r.stdout + r.stderr and "ProtectSytem" in r.stdout + r.stderr


def test_systemd_verify_reports_missing_executable(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    shutil.copy(SERVICE, tmp_path / SERVICE.name)
    shutil.copy(SOCKET_UNIT, tmp_path / SOCKET_UNIT.name)
    text = (tmp_path / SERVICE.name).read_text().replace(
        "ExecStart=/usr/local/bin/trakt-widget", f"ExecStart={tmp_path}/no-such-binary")
    (tmp_path / SERVICE.name).write_text(text)
    r = systemd_analyze("verify", "--man=no", str(tmp_path / SOCKET_UNIT.name), str(tmp_path / SERVICE.name))
    assert "no-such-binary" in r.stdout + r.stderr


def test_systemd_security_exposure(tmp_path):
    _, service = unit_copies(tmp_path)
    r = systemd_analyze("security", "--offline=true", "--threshold=20", str(service))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 2.0, r.stdout
    assert r.returncode == 0, r.stdout + r.stderr


def test_service_contract():
    assert unit_values(SERVICE, "ExecStart") == ["/usr/local/bin/trakt-widget serve"]
    assert unit_values(SERVICE, "StandardInput") == ["socket"]
    # StandardInput=socket would otherwise send logs into the FastCGI socket.
    assert unit_values(SERVICE, "StandardOutput") == ["journal"]
    assert unit_values(SERVICE, "StandardError") == ["journal"]
    assert unit_values(SERVICE, "EnvironmentFile") == ["-/etc/trakt-widget/env"]
    assert unit_values(SERVICE, "StateDirectory") == ["trakt-widget"]
    assert unit_values(SERVICE, "Restart") == ["on-failure"]
    creds = [v.split(":", 1) for v in unit_values(SERVICE, "LoadCredential")]
    assert sorted(c[0] for c in creds) == sorted(SECRETS)
    # Optional credentials: loaded by name (credstore search, a missing one is skipped), never
    # by an absolute path (a missing file would fail the unit with 243/CREDENTIALS).
    assert all(len(c) == 2 and not c[1].startswith("/") for c in creds), creds
    stop = unit_values(SERVICE, "TimeoutStopSec")
    assert len(stop) == 1 and 2 < int(stop[0].rstrip("s")) <= 30     # the app drains within 2 s
    # READY=1/WATCHDOG=1 come from the app (test_lifecycle.py); the watchdog must outlast the app's
    # 5 s heartbeat tolerance plus one ping interval (WatchdogSec/2).
    assert unit_values(SERVICE, "Type") == ["notify"]
    watchdog = unit_values(SERVICE, "WatchdogSec")
    assert len(watchdog) == 1 and 10 < int(watchdog[0].rstrip("s")) <= 60
    assert unit_values(SOCKET_UNIT, "SocketGroup") == ["www-data"]
    assert unit_values(SOCKET_UNIT, "SocketMode") == ["0660"]


ENV_VARS = ("TRAKT_CLIENT_ID", "TRAKT_USERNAME", "TRAKT_REDIRECT_URI", "TMDB_POSTER_SIZE", "CACHE_TTL",
            "TRAKT_API_URL", "TRAKT_AUTH_URL", "TMDB_API_URL", "TMDB_IMAGE_URL",
            "TRAKT_WIDGET_USER_AGENT", "DATABASE_URL", "WATCH_PROVIDER", "SIMKL_CLIENT_ID", "SIMKL_API_URL",
            "LETTERBOXD_USERNAME", "LETTERBOXD_URL")


def test_env_example_documents_every_variable_and_no_secret():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for var in ENV_VARS:
        idx = [i for i, l in enumerate(lines) if re.match(rf"#?{var}=", l)]
        assert len(idx) == 1, f"{var} must appear once as {var}= or #{var}="
        assert lines[idx[0] - 1].startswith("# "), f"{var} needs a comment line right above it"
    for secret in SECRETS + ("TRAKT_ACCESS_TOKEN", "TMDB_READ_TOKEN"):
        assert not any(re.match(rf"#?\s*{secret}=", l) for l in lines), f"{secret} is a credential"
    # Every active line is KEY=VALUE as systemd's EnvironmentFile= reads it.
    for l in lines:
        if l and not l.startswith("#"):
            assert re.match(r"^[A-Z][A-Z0-9_]*=\S*$", l), l
