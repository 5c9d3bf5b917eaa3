"""The request/response values passed between the HTTP handler and the route functions."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Message
    body: bytes

    @cached_property
    def params(self) -> dict[str, str]:
        """Query parameters, first value wins (Trakt and TMDB never repeat the ones we read)."""
        return {k: v[0] for k, v in parse_qs(self.query, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def body_fields(self) -> dict[str, Any] | None:
        """The body as a dict: JSON (what Trakt documents) or a form (what some OAuth clients send).

        Returns None when the body is neither, so the route can answer like the real server does.
        """
        if not self.body:
            return None
        content_type = (self.header("Content-Type") or "").lower()
        if "application/x-www-form-urlencoded" in content_type:
            return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}
        try:
            parsed = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        return parsed if isinstance(parsed, dict) else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Close the connection instead of answering; with `reset` the peer sees a TCP RST, otherwise a FIN.
    drop: bool = False
    reset: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def is_json(self) -> bool:
        return (self.header("Content-Type") or "").startswith("application/json")


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    # ensure_ascii=False: the real APIs send UTF-8 titles as raw bytes, not \u escapes.
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return raw_json_response(status, body, headers)


def raw_json_response(status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


def empty_response(status: int, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, b"", list(headers or []))


def dropped(reset: bool = False) -> Response:
    return Response(0, drop=True, reset=reset)


_CLOUDFLARE_PAGE = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
        <h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> trakt.tv</h2>
      </div>
      <div class="cf-section cf-wrapper">
        <h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
        <p data-translate="blocked_why_detail">This website is using a security service to protect itself from online
        attacks. The action you just performed triggered the security solution.</p>
      </div>
      <div class="cf-error-footer cf-wrapper">
        <p>Cloudflare Ray ID: <strong class="font-semibold">{ray}</strong></p>
      </div>
    </div>
  </div>
</body>
</html>
"""


def cloudflare_block(status: int = 403) -> Response:
    """What Trakt's WAF answers to a request without a User-Agent: HTML, no x-request-id / x-runtime."""
    ray = secrets.token_hex(8)
    return Response(
        status,
        _CLOUDFLARE_PAGE.replace("{ray}", ray).encode("utf-8"),
        [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Server", "cloudflare"),
            ("CF-RAY", f"{ray}-FRA"),
            ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
        ],
    )
