"""The fake Letterboxd's memory of when each distinct feed body first appeared (its Last-Modified)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone


class FeedVersions:
    """Remembers when each distinct feed body was first served: its Last-Modified."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first_seen: dict[str, datetime] = {}

    def reset(self) -> None:
        with self._lock:
            self._first_seen.clear()

    def last_modified(self, etag: str) -> datetime:
        with self._lock:
            return self._first_seen.setdefault(etag, datetime.now(timezone.utc).replace(microsecond=0))
