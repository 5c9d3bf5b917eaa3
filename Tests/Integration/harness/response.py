"""The one response type: what a client saw, whether it came over HTTP or FastCGI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator


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

    def tokens(self, name: str) -> list[str]:
        """All comma-separated values of a possibly repeated header (Vary), case preserved."""
        return [token.strip() for value in self.get_all(name) for token in value.split(",") if token.strip()]

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
class Response:
    status: int
    headers: Headers
    body: bytes
    stderr: str = ""   # FastCGI only: what the app wrote to FCGI_STDERR
    source: str = ""   # a label for failure messages: "GET /api/trakt/last via 127.0.0.7"

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def cache_status(self) -> str:
        return self.headers.get("X-Cache-Status", "") or ""

    def raw(self) -> str:
        """Status, headers and body as one text, for searching a response for leaked secrets."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.status}\n{head}\n\n{self.text}"

    def __repr__(self) -> str:
        return f"<{self.status} {self.source} {self.cache_status} {self.body[:160]!r}>"
