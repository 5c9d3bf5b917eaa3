"""The --demo sample: one movie and one episode that take turns being the newest.

The titles and TMDB ids are the ones in tmdb-movie.json (Star Wars, 11) and tmdb-tv.json
(Game of Thrones, 1399), so TMDB answers with the recorded bodies and their real poster paths.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

DEFAULT_PERIOD_S = 180.0


def _iso(epoch: float) -> str:
    # Trakt's format, milliseconds included (sub-second demo periods in tests rely on them).
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _latest_turn(now: float, period: float, parity: int) -> int:
    """Index of the most recent period (counting from the epoch) with the given parity."""
    index = int(now // period)
    return index if index % 2 == parity else index - 1


def history(now: float | None = None, period: float = DEFAULT_PERIOD_S) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(movies, episodes): the movie is "watched" in even periods, the episode in odd ones,
    so exactly one of them becomes the newest item each period and the widget visibly changes."""
    now = time.time() if now is None else now
    movie_turn = _latest_turn(now, period, 0)
    episode_turn = _latest_turn(now, period, 1)
    movie = {
        "id": 9_000_000_000 + movie_turn,
        "watched_at": _iso(movie_turn * period),
        "action": "scrobble",
        "type": "movie",
        "movie": {
            "title": "Star Wars",
            "year": 1977,
            "ids": {"trakt": 12, "slug": "star-wars-1977", "imdb": "tt0076759", "tmdb": 11},
        },
    }
    episode = {
        "id": 9_000_000_000 + episode_turn,
        "watched_at": _iso(episode_turn * period),
        "action": "watch",
        "type": "episode",
        "episode": {
            "season": 8,
            "number": 6,
            "title": "The Iron Throne",
            "ids": {"trakt": 3280645, "tvdb": 7121405, "imdb": "tt6027920", "tmdb": 1551830},
        },
        "show": {
            "title": "Game of Thrones",
            "year": 2011,
            "ids": {"trakt": 1390, "slug": "game-of-thrones", "tvdb": 121361, "imdb": "tt0944947", "tmdb": 1399},
        },
    }
    return [movie], [episode]
