"""Read-only access to the recorded API bodies in Tests/Fixtures/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "Fixtures"

# Loaded eagerly so a missing or broken fixture stops the fake at start-up, not in the middle of a test.
REQUIRED = (
    "trakt-history-movies.json",
    "trakt-history-episodes.json",
    "trakt-last-activities.json",
    "trakt-oauth-token.json",
    "trakt-oauth-error-invalid-grant.json",
    "trakt-device-code.json",
    "trakt-x-ratelimit-header.json",
    "tmdb-movie.json",
    "tmdb-tv.json",
    "tmdb-error-404.json",
    "simkl-oauth-pin.json",
    "simkl-oauth-pin-poll-pending.json",
    "simkl-sync-activities.json",
    "simkl-sync-all-items.json",
    "simkl-error-412.json",
    "letterboxd-rss-dave.xml",
    "letterboxd-rss-2020-with-lists.xml",
)
OPTIONAL = ("tmdb-configuration.json",)


class Fixtures:
    def __init__(self, directory: Path = DEFAULT_DIR) -> None:
        self.directory = directory
        self._raw: dict[str, bytes] = {}
        self._parsed: dict[str, Any] = {}
        for name in REQUIRED + OPTIONAL:
            path = directory / name
            if not path.exists() and name in OPTIONAL:
                continue
            raw = path.read_bytes()
            self._raw[name] = raw
            if name.endswith(".json"):
                self._parsed[name] = json.loads(raw)

    def has(self, name: str) -> bool:
        return name in self._raw

    def raw(self, name: str) -> bytes:
        """The body exactly as recorded, for answers that should be byte-identical to the real API."""
        return self._raw[name]

    def load(self, name: str) -> Any:
        """A private copy of the parsed body, safe to modify."""
        return copy.deepcopy(self._parsed[name])
