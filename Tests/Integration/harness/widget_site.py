"""The widget's browser tests against the real stack: nginx (shipped config) -> responder -> fake upstream.

`StackSite` is the `site` interface of test_widget.py over the real thing. A test describes what Trakt and
TMDB hold (real Trakt history items, TMDB poster paths, upstream faults) and the browser then loads the demo
page from nginx, which gets /api/trakt/last from the real responder binary, which asks the fake.

The stack starts lazily, on the first `base_url`: the responder fetches nothing until its first request,
so whatever a test sets up before loading the page is what the (cold) responder sees. Each test gets its
own stack, so neither the responder's cache nor nginx's fastcgi_cache carries over between tests.

Posters. The responder builds `poster_url` as `TMDB_IMAGE_URL/<size><poster_path>`, and the demo page's
CSP (`$trakt_csp`) allows images from 'self', https: and data: only; there is no internet here either.
The shipped locations file serves nothing from the web root but `/` and single-segment `/widget/<file>`,
which no `<base>/w500/<path>` URL can hit. So the test server gets one extra location, a stand-in for
image.tmdb.org's `/t/p/<size>/<file>` layout on nginx's own origin, and TMDB_IMAGE_URL points at it.
That needs nginx's port before the responder starts, which is why this module wires the stack itself
(same Responder and Nginx classes as the `make_stack` fixture) instead of calling `make_stack`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .fake import FakeUpstream
from .http import http_request
from .nginx import Nginx, NginxError
from .responder import Responder, ResponderError, binary_path, responder_env
from .response import Response

POSTER_ROUTE = "/t/p"  # image.tmdb.org's layout: /t/p/<size>/<file>
POSTER_SIZE = "w500"
POSTER_OK = "/poster.png"  # a TMDB poster_path that nginx serves
POSTER_MISSING = "/missing.png"  # a TMDB poster_path that nginx answers with 404
START_TIMEOUT = 30.0  # generous: the 2-core machine is shared with other test runs


class StackSite:
    """The real stack behind the interface test_widget.py's tests use.

      base_url                 the nginx origin (starts the stack on first use)
      poster_ok/poster_missing TMDB poster paths: one nginx serves, one it answers with 404
      answer(*items, poster)   Trakt's history holds just `items` (None = empty history); TMDB knows
                               `poster` as their poster_path (None = TMDB has no poster)
      fail()                   Trakt answers 500 to everything: a cold responder answers 503
      trakt_down()             the same at any time (a warm responder then serves stale data)
      reauth()                 the responder's refresh token is dead: a cold responder answers 503
                               REAUTH_REQUIRED
      delay(seconds)           every Trakt/TMDB call takes that much longer
      api_hits                 GET /api/{trakt,watch}/last requests nginx has answered
      get(path)                a plain HTTP request through nginx
      env(**overrides)         responder environment (e.g. CACHE_TTL=1), before the stack starts
    """

    poster_ok = POSTER_OK
    poster_missing = POSTER_MISSING

    def __init__(self, fake: FakeUpstream, workdir: Path, poster_png: bytes) -> None:
        self.fake = fake
        self.workdir = workdir
        self.poster_png = poster_png
        self._env: dict[str, Any] = {}
        self.responder: Responder | None = None
        self.nginx: Nginx | None = None

    # --- what upstream holds ---------------------------------------------------------------

    def answer(self, *items: dict | None, poster: str | None = POSTER_OK) -> None:
        """Trakt's history holds exactly `items` (Trakt history entries; none or None = empty history),
        and TMDB gives each of them `poster` as its poster_path (None = TMDB has no poster)."""
        real = [item for item in items if item]
        movies = [item for item in real if item["type"] == "movie"]
        episodes = [item for item in real if item["type"] == "episode"]
        settings: dict[str, Any] = {
            "movies": movies, "episodes": episodes,
            "tmdb_movies": {str(m["movie"]["ids"]["tmdb"]): {"poster_path": poster} for m in movies},
            "tmdb_tv": {str(e["show"]["ids"]["tmdb"]): {"poster_path": poster} for e in episodes},
        }
        self.fake.scenario(**settings)

    def fail(self) -> None:
        """Trakt is down before anything was fetched: the cold responder answers 503 UPSTREAM_UNAVAILABLE."""
        self._require_cold("fail()")
        self.trakt_down()

    def trakt_down(self) -> None:
        """Every Trakt API call answers 500 from now on. A warm responder (rightly) keeps serving what it
        has, marked stale; only a cold one has nothing to serve and answers 503."""
        for prefix in ("/sync", "/users"):
            self.fake.fault("status", prefix=prefix, status=500, json={"error": "server error"})

    def reauth(self) -> None:
        """The responder boots with a refresh token Trakt does not know: OAuth answers invalid_grant."""
        self._require_cold("reauth()")
        self._env["TRAKT_REFRESH_TOKEN"] = "revoked-refresh-token-" + "0" * 40

    def delay(self, seconds: float) -> None:
        self.fake.fault("latency", ms=int(seconds * 1000))

    def env(self, **overrides: Any) -> None:
        self._require_cold("env()")
        self._env.update(overrides)

    # --- the stack ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.nginx is None:
            self._start()
        assert self.nginx is not None
        return self.nginx.base_url

    def poster_url(self, poster_path: str) -> str:
        """The poster_url the responder builds for a TMDB poster_path."""
        return f"{self.base_url}{POSTER_ROUTE}/{POSTER_SIZE}{poster_path}"

    @property
    def api_hits(self) -> int:
        if self.nginx is None:
            return 0
        return sum(1 for line in self.nginx.access_log_text().splitlines()
                   if '"GET /api/trakt/last ' in line or '"GET /api/watch/last ' in line)

    def get(self, path: str = "/api/trakt/last") -> Response:
        """A request through nginx, as a browser without a cache would make it."""
        return http_request(self.base_url + path)

    def _require_cold(self, what: str) -> None:
        if self.nginx is not None:
            raise RuntimeError(f"{what} must come before the page is loaded (the stack is already running)")

    def _start(self) -> None:
        images = self.workdir / "images"
        poster_dir = images / POSTER_ROUTE.strip("/") / POSTER_SIZE
        poster_dir.mkdir(parents=True)
        (poster_dir / POSTER_OK.lstrip("/")).write_bytes(self.poster_png)

        state = self.workdir / "state"
        state.mkdir(parents=True)
        responder_dir = self.workdir / "responder"
        responder_dir.mkdir()
        env = responder_env(self.fake.url, state, self.fake.tokens()["refresh_token"], self._env)
        self.responder = Responder(binary_path(), env, responder_dir, workers=4)
        # The socket path is fixed at construction, so nginx can start first and give us its port.
        # A test-only location next to the shipped ones: a same-origin image.tmdb.org (see module doc).
        self.nginx = Nginx(self.workdir / "nginx", self.responder.sock,
                           extra_server=f"        location ^~ {POSTER_ROUTE}/ {{ root {images}; }}\n")
        self.nginx.start(timeout=START_TIMEOUT)
        self.responder.env.setdefault("TMDB_IMAGE_URL", self.nginx.base_url + POSTER_ROUTE)
        self.responder.env["TMDB_POSTER_SIZE"] = POSTER_SIZE
        self.responder.start(timeout=START_TIMEOUT)

    def close(self) -> list[str]:
        """Stops the stack; returns problems (a responder that did not exit 0 on SIGTERM)."""
        problems = []
        # Nginx.stop() is a fast shutdown: Chromium keeps a preconnected socket open that never sends a
        # request, and nginx 1.22's graceful shutdown would wait for it until client_header_timeout.
        if self.nginx is not None:
            try:
                self.nginx.stop()
            except NginxError as err:
                problems.append(f"{err}:\n{self.nginx.error_log_text()[-6000:]}")
        if self.responder is not None:
            try:
                if self.responder.alive():
                    code = self.responder.stop()
                    if code != 0:
                        problems.append(f"responder exited {code} on SIGTERM:\n{self.responder.log_text()}")
                elif self.responder.returncode not in (None, 0):
                    problems.append(f"responder died ({self.responder.returncode}):\n{self.responder.log_text()}")
            except ResponderError as err:
                problems.append(str(err))
            finally:
                self.responder.cleanup()
        return problems

    def logs(self) -> str:
        """Both logs, for a failing test's message."""
        parts = []
        if self.responder is not None:
            parts.append("--- responder log ---\n" + self.responder.log_text()[-4000:])
        if self.nginx is not None:
            parts.append("--- nginx error log ---\n" + self.nginx.error_log_text()[-4000:])
        return "\n".join(parts)


# --- real Trakt history entries ------------------------------------------------------------------

_next_id = iter(range(9_000_000, 10_000_000))


def trakt_movie(watched_at: str, title: str | None = "The Matrix", year: int | None = 1999,
                slug: str | None = "the-matrix-1999", tmdb: int = 603) -> dict:
    """A `/sync/history/movies` entry. slug=None leaves the slug out (no trakt_url then)."""
    ids: dict[str, Any] = {"trakt": 481, "imdb": "tt0133093", "tmdb": tmdb}
    if slug is not None:
        ids["slug"] = slug
    return {"id": next(_next_id), "watched_at": watched_at, "action": "scrobble", "type": "movie",
            "movie": {"title": title, "year": year, "ids": ids}}


def trakt_episode(watched_at: str, title: str | None = "Chikhai Bardo", show: str = "Severance",
                  season: int = 2, number: int = 7, year: int | None = 2022, slug: str | None = "severance",
                  show_tmdb: int = 95396) -> dict:
    """A `/sync/history/episodes` entry; the poster is the show's (TMDB tv id `show_tmdb`)."""
    show_ids: dict[str, Any] = {"trakt": 163639, "tvdb": 371980, "imdb": "tt11280740", "tmdb": show_tmdb}
    if slug is not None:
        show_ids["slug"] = slug
    return {"id": next(_next_id), "watched_at": watched_at, "action": "watch", "type": "episode",
            "episode": {"season": season, "number": number, "title": title,
                        "ids": {"trakt": 11111111, "tvdb": 9999999, "imdb": None, "tmdb": 4444444}},
            "show": {"title": show, "year": year, "ids": show_ids}}
