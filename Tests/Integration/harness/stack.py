"""The whole stack, nginx -> responder -> fake upstream, as one value (the `make_stack` fixture builds it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .fake import FakeUpstream
from .http import fresh_source, http_request
from .nginx import Nginx, UpstreamLine
from .responder import Responder
from .response import Response


@dataclass
class Stack:
    fake: FakeUpstream
    responder: Responder
    nginx: Nginx

    @property
    def base_url(self) -> str:
        return self.nginx.base_url

    def request(self, path: str = "/api/trakt/last", method: str = "GET", headers: Mapping[str, str] | None = None,
                body: bytes | None = None, source: str | None = None, timeout: float = 20.0) -> Response:
        """Through nginx, from `source` or a loopback address of its own (see http.fresh_source)."""
        return http_request(self.base_url + path, method, headers, body, timeout, source or fresh_source())

    def upstream_log(self) -> list[UpstreamLine]:
        return self.nginx.upstream_log()
