"""The test-settable world: history lists, expected credentials, TMDB records, latency."""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any

OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
# Trakt documents 7 days since 2026 (reference doc, section 1.3).
DEFAULT_EXPIRES_IN = 7 * 24 * 3600


@dataclass
class Scenario:
    # None means "the default source": the recorded fixtures, or the demo sample in --demo mode.
    movies: list[dict[str, Any]] | None = None
    episodes: list[dict[str, Any]] | None = None
    # What /users/{id}/watching answers: a Trakt watching body, or None for idle (204).
    watching: dict[str, Any] | None = None
    # Trakt returns history newest first; switch off to serve the lists in the order given.
    sort_history: bool = True
    # Deep-merged over the values derived from the history lists.
    last_activities: dict[str, Any] = field(default_factory=dict)

    client_id: str = "test-client-id"
    client_secret: str = "test-client-secret-XYZ"
    redirect_uri: str = OOB_REDIRECT_URI
    expires_in: int = DEFAULT_EXPIRES_IN
    scope: str = "public"
    token_type: str = "bearer"
    device_interval: int = 5
    device_expires_in: int = 600

    # /users/{username}/...: public profiles answer, private ones 401, anyone else 404.
    public_users: list[str] = field(default_factory=lambda: ["test-user"])
    private_users: list[str] = field(default_factory=lambda: ["private-user"])

    tmdb_api_key: str = "test-tmdb-key-XYZ"
    tmdb_read_token: str = "test-tmdb-read-token-XYZ"
    # id -> fields merged over the fixture body, or None for "TMDB has no such id" (404).
    tmdb_movies: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    tmdb_tv: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # When true only ids listed above exist; otherwise any numeric id gets a generated record.
    tmdb_strict: bool = False
    # image file name (e.g. "fake-movie-155.jpg") -> None for a 404 at image.tmdb.org.
    tmdb_images: dict[str, None] = field(default_factory=dict)

    latency_ms: int = 0

    # api.simkl.com (simkl.py). None = the recorded all-items fixture; an object replaces it.
    simkl_client_id: str = "test-simkl-client-id"
    simkl_access_token: str = "test-simkl-token-XYZ"
    simkl_revoked: bool = False
    simkl_library: dict[str, Any] | None = None
    # How an empty library (or an empty delta) is answered: "empty" body, "null" or "{}".
    simkl_empty_as: str = "empty"
    # Deep-merged over the activities derived from the library.
    simkl_activities: dict[str, Any] = field(default_factory=dict)
    simkl_pin_interval: int = 5
    simkl_pin_expires_in: int = 900

    # letterboxd.com/{user}/rss/ (letterboxd.py). None = the recorded feed named by letterboxd_feed.
    letterboxd_users: list[str] = field(default_factory=lambda: ["dave"])
    letterboxd_feed: str = "letterboxd-rss-dave.xml"
    letterboxd_items: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Dict-valued settings are merged key by key so a test can add one TMDB record without restating the rest.
_MERGED = {"last_activities", "tmdb_movies", "tmdb_tv", "tmdb_images", "simkl_activities"}
_FIELDS = {f.name: f for f in dataclasses.fields(Scenario)}
_NULLABLE = {"movies", "episodes", "watching", "simkl_library", "letterboxd_items"}


def _type_ok(name: str, value: Any) -> bool:
    if value is None:
        return name in _NULLABLE
    default = getattr(Scenario(), name)
    if name in _NULLABLE:
        return isinstance(value, dict if name in ("simkl_library", "watching") else list)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class ScenarioHolder:
    """Copy-on-write holder: readers get a snapshot that a concurrent update cannot change under them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = Scenario()

    def get(self) -> Scenario:
        with self._lock:
            return self._current

    def reset(self) -> None:
        with self._lock:
            self._current = Scenario()

    def update(self, patch: dict[str, Any]) -> Scenario:
        """Apply a partial update; unknown keys or wrong types raise ValueError so typos fail loudly."""
        unknown = sorted(set(patch) - set(_FIELDS))
        if unknown:
            raise ValueError(f"unknown scenario keys: {', '.join(unknown)}")
        wrong = sorted(name for name, value in patch.items() if not _type_ok(name, value))
        if wrong:
            raise ValueError(f"wrong type for scenario keys: {', '.join(wrong)}")
        with self._lock:
            values = copy.deepcopy(self._current.to_json())
            for name, value in copy.deepcopy(patch).items():
                values[name] = _deep_merge(values[name], value) if name in _MERGED else value
            self._current = Scenario(**values)
            return self._current
