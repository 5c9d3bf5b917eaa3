"""A FastCGI client for tests: one request through `cgi-fcgi -bind -connect SOCK`, CGI output parsed."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

CGI_FCGI = shutil.which("cgi-fcgi") or "/usr/bin/cgi-fcgi"


class FcgiError(RuntimeError):
    pass


class Headers:
    """Case-insensitive response headers; repeated headers are kept (get_all) and [] returns the last."""

    def __init__(self, pairs: list[tuple[str, str]] | None = None) -> None:
        self._pairs: list[tuple[str, str]] = list(pairs or [])

    def add(self, name: str, value: str) -> None:
        self._pairs.append((name, value))

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k.lower() == name.lower()]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.get_all(name)
        return values[-1] if values else default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.get_all(name))

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, _ in self._pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"


@dataclass
class FcgiResponse:
    status: int
    headers: Headers
    body: bytes
    stderr: str  # what the app wrote to FCGI_STDERR, forwarded by cgi-fcgi

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def parse_cgi_output(raw: bytes) -> tuple[int, Headers, bytes]:
    """Split `Status: 200 OK\\r\\nName: value\\r\\n\\r\\nbody`; no Status header means 200 (CGI/1.1)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            break
    else:
        raise FcgiError(f"no header/body separator in the responder output: {raw[:200]!r}")
    status = 200
    headers = Headers()
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise FcgiError(f"malformed header line {line!r}")
        value = value.strip()
        if name.strip().lower() == "status":
            status = int(value.split()[0])
        else:
            headers.add(name.strip(), value)
    return status, headers, body


def cgi_params(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The parameters nginx's stock fastcgi_params would send for this request."""
    params = {
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "SCRIPT_NAME": path,
        "REQUEST_URI": f"{path}?{query}" if query else path,
        "DOCUMENT_URI": path,
        "DOCUMENT_ROOT": "/var/www/html",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_SCHEME": "http",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "nginx/1.22.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_NAME": "localhost",
        "REDIRECT_STATUS": "200",
        "HTTP_HOST": "localhost",
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            params[key] = value
        else:
            params["HTTP_" + key] = value
    return params


def fcgi_request(
    sock: str,
    method: str = "GET",
    path: str = "/api/trakt/last",
    headers: Mapping[str, str] | None = None,
    query: str = "",
    body: bytes = b"",
    params: Mapping[str, str | None] | None = None,
    timeout: float = 15.0,
) -> FcgiResponse:
    """Send one request to the responder on unix socket `sock`.

    `params` adds or overrides raw FastCGI parameters; a None value removes one (e.g. to send a
    request without REQUEST_METHOD).
    """
    env = cgi_params(method, path, query, headers or {}, body)
    for name, value in (params or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    # cgi-fcgi forwards its whole environment as FastCGI params, so it gets nothing but the params.
    try:
        proc = subprocess.run(
            [CGI_FCGI, "-bind", "-connect", sock], env=env, input=body, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as err:
        raise FcgiError(f"no answer from {sock} within {timeout}s") from err
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 and not proc.stdout:
        raise FcgiError(f"cgi-fcgi exited with {proc.returncode}: {stderr.strip()}")
    status, parsed_headers, response_body = parse_cgi_output(proc.stdout)
    return FcgiResponse(status, parsed_headers, response_body, stderr)


def fcgi_get(sock: str, path: str = "/api/trakt/last", method: str = "GET",
             headers: Mapping[str, str] | None = None, **kwargs: Any) -> FcgiResponse:
    """The contract's name for the same thing, with (sock, path, method, headers) order."""
    return fcgi_request(sock, method=method, path=path, headers=headers, **kwargs)


def fcgi_concurrent(sock: str, count: int, **kwargs: Any) -> list[FcgiResponse]:
    """`count` identical requests at once, results in submission order."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: fcgi_request(sock, **kwargs), range(count)))
