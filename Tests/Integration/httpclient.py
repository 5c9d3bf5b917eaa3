"""Plain HTTP/1.1 requests to the test nginx: no proxies, no redirects, no caching, raw headers kept."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from fcgiclient import Headers


@dataclass
class HttpResponse:
    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http_request(url: str, method: str = "GET", headers: Mapping[str, str] | None = None,
                 body: bytes | None = None, timeout: float = 15.0) -> HttpResponse:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request(method, target, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        payload = response.read()
        return HttpResponse(response.status, Headers(response.getheaders()), payload)
    finally:
        conn.close()
