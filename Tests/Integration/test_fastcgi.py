"""The real responder binary over a real FastCGI socket, against the fake Trakt/TMDB upstream.

Every response read through `call()` is checked for the invariants that hold for all of them: a
`Status:` line first, `Content-Type: application/json; charset=utf-8`, a JSON body (never HTML), no
body on HEAD or 304. Synchronisation is by polling with deadlines (harness.wait_until): a test waits
for a counter in the fake, a log line, or a response to change, never for a fixed time.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

import harness
from harness import (TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, FakeUpstream, Responder, Response,
                     free_tcp_port, responder_env, wait_until)
from harness import fastcgi
from harness.fixtures import require_binary

JSON_TYPE = "application/json; charset=utf-8"
LAST = "/api/trakt/last"
HEALTH = "/api/trakt/health"
TTL_SHORT = {"CACHE_TTL": "1"}  # expires the cache (and caps the backoff) at 1 s
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STATUS_LINE = re.compile(rb"^Status: (\d{3}) [A-Za-z ]+\r\n")
CACHE_CONTROL_OK = re.compile(r"^public, max-age=(\d+), stale-while-revalidate=(\d+), stale-if-error=86400$")
POSTER_BASE = "https://image.tmdb.org/t/p/w500"
CGI_FCGI = shutil.which("cgi-fcgi") or "/usr/bin/cgi-fcgi"
GOT_POSTER = "/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg"  # the recorded poster of TMDB tv 1399 (fixture body)

StartResponder = Callable[..., Responder]


# --- history items -----------------------------------------------------------------------------------


def movie(title: str | None = "The Dark Knight", watched_at: str = "2024-05-01T20:00:00.000Z", tmdb: int | None = 155,
          year: int | None = 2008, slug: str | None = "the-dark-knight-2008", history_id: int = 1) -> dict[str, Any]:
    return {
        "id": history_id, "watched_at": watched_at, "action": "watch", "type": "movie",
        "movie": {"title": title, "year": year,
                  "ids": {"trakt": 4, "slug": slug, "imdb": "tt0468569", "tmdb": tmdb}},
    }


def episode(title: str | None = "The Iron Throne", watched_at: str = "2024-05-02T21:00:00.000Z",
            show_title: str = "Game of Thrones", season: int = 8, number: int = 6, episode_tmdb: int = 1551830,
            show_tmdb: int | None = 1399, show_year: int = 2011, slug: str = "game-of-thrones",
            history_id: int = 2) -> dict[str, Any]:
    return {
        "id": history_id, "watched_at": watched_at, "action": "scrobble", "type": "episode",
        "episode": {"season": season, "number": number, "title": title,
                    "ids": {"trakt": 1000, "tvdb": 2000, "imdb": None, "tmdb": episode_tmdb}},
        "show": {"title": show_title, "year": show_year,
                 "ids": {"trakt": 1390, "slug": slug, "tvdb": 121361, "imdb": "tt0944947", "tmdb": show_tmdb}},
    }


def compact(value: Any) -> bytes:
    """The responder's wire format for plain values: no spaces, UTF-8 as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def expected_last_body(data: dict[str, Any] | None, cached_at: str, stale: bool = False,
                       watching: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {"ok": True, "data": data, "watching": watching, "cached_at": cached_at}
    if stale:
        body["stale"] = True
    return compact(body)


# --- requests, with the invariants every response must satisfy ---------------------------------------


def check_invariants(raw: bytes, method: str) -> Response:
    match = STATUS_LINE.match(raw)
    assert match, f"response does not start with a Status: line: {raw[:120]!r}"
    status, headers, body = fastcgi.parse_cgi_output(raw)
    assert int(match.group(1)) == status
    if status != 304:
        assert headers.get_all("Content-Type") == [JSON_TYPE], headers
    if method == "HEAD" or status == 304:
        assert body == b"", f"{method} answered {status} with a body: {body[:80]!r}"
    else:
        assert not body.lstrip().startswith(b"<") and b"<html" not in body.lower(), body[:200]
        parsed = json.loads(body)
        assert isinstance(parsed, dict) and isinstance(parsed.get("ok"), bool), body[:200]
    if method != "HEAD" and status != 304 and "Content-Length" in headers:
        assert int(headers["Content-Length"]) == len(body)
    return Response(status, headers, body, "")


def call(address: str | tuple[str, int], method: str = "GET", path: str = LAST,
         headers: Mapping[str, str] | None = None, timeout: float = 15.0, **kwargs: Any) -> Response:
    """One request through the harness's FastCGI client, checked against the universal invariants."""
    stdout, _ = fastcgi.exchange(address, method, path, headers, timeout=timeout, **kwargs)
    return check_invariants(stdout, method)


def data_of(response: Response) -> dict[str, Any] | None:
    assert response.status == 200, (response.status, response.body)
    body = response.json()
    assert body["ok"] is True
    return body["data"]


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, (response.status, response.body)
    body = response.json()
    assert list(body) == ["ok", "code", "error"], body
    assert body["ok"] is False and body["code"] == code and isinstance(body["error"], str) and body["error"]
    return body


def assert_unavailable(response: Response, code: str = "UPSTREAM_UNAVAILABLE") -> int:
    """A 503 error that must not be cached and tells when to come back; returns Retry-After."""
    assert_error(response, 503, code)
    assert response.headers.get_all("Cache-Control") == ["no-store"]
    retry_after = response.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1, response.headers
    return int(retry_after)


def wait_for_stale(sock: str, timeout: float = 10.0) -> Response:
    """Requests until the responder serves its stale copy (each request may start a refresh)."""
    def stale() -> Response | None:
        response = call(sock)
        assert response.status == 200, (response.status, response.body)
        return response if response.json().get("stale") is True else None

    return wait_until(stale, timeout, "a stale result")


def trakt_requests(fake: FakeUpstream) -> list[dict[str, Any]]:
    return [r for r in fake.requests() if not r["path"].startswith("/3/")]


def tmdb_calls(fake: FakeUpstream) -> int:
    return sum(n for path, n in fake.counters().items() if path.startswith("/3/"))


def sync_counts(fake: FakeUpstream) -> dict[str, int]:
    return {p: n for p, n in fake.counters().items() if p.startswith(("/sync", "/users", "/oauth"))}


def version() -> str:
    out = subprocess.run([str(require_binary()), "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 30.0) -> subprocess.CompletedProcess[bytes]:
    return harness.run_cli(args, env, cwd, timeout, require_binary())


def cgi_fcgi(sock: str) -> Response:
    """GET /api/trakt/last through libfcgi's own client, `cgi-fcgi`, which forwards its whole
    environment as the request's parameters."""
    env = fastcgi.cgi_params("GET", LAST, "", {}, b"")
    proc = subprocess.run([CGI_FCGI, "-bind", "-connect", sock], env=env, capture_output=True, timeout=15)
    status, headers, body = fastcgi.parse_cgi_output(proc.stdout)
    return Response(status, headers, body, proc.stderr.decode("utf-8", "replace"))


@pytest.fixture
def cli_env(fake: FakeUpstream, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """Environment for running the binary directly, with its own state directory each call."""
    counter = iter(range(1000))

    def make(overrides: Mapping[str, Any] | None = None, state: Path | None = None) -> dict[str, str]:
        state = state or tmp_path / f"cli-state{next(counter)}"
        state.mkdir(parents=True, exist_ok=True)
        return responder_env(fake.url, state, fake.tokens()["refresh_token"], overrides)

    return make


# --- the happy paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["spawn-fcgi", "listen"])
@pytest.mark.parametrize("client", ["raw", "cgi-fcgi"])
def test_movie(fake: FakeUpstream, responder: StartResponder, via: str, client: str) -> None:
    fake.scenario(movies=[movie()], episodes=[episode(watched_at="2020-01-01T00:00:00.000Z")])
    proc = responder(via=via)
    response = call(proc.sock) if client == "raw" else cgi_fcgi(proc.sock)
    assert response.status == 200
    cached_at = response.json()["cached_at"]
    assert TIMESTAMP.match(cached_at), cached_at
    data = {
        "type": "movie", "title": "The Dark Knight", "year": 2008,
        "poster_url": f"{POSTER_BASE}/fake-movie-155.jpg",
        "trakt_url": "https://trakt.tv/movies/the-dark-knight-2008",
        "watched_at": "2024-05-01T20:00:00.000Z",
    }
    assert response.body == expected_last_body(data, cached_at)  # exact bytes: key order, no spaces
    assert response.headers["Content-Type"] == JSON_TYPE
    assert re.fullmatch(r'"[0-9a-f]{16}"', response.headers["ETag"])
    cache_control = CACHE_CONTROL_OK.match(response.headers["Cache-Control"])
    assert cache_control and 0 < int(cache_control.group(1)) <= 300 and cache_control.group(2) == "300"
    assert fake.count("/3/movie/155") == 1
    # The second request is served from memory: no upstream call at all.
    before = fake.counters()
    again = call(proc.sock)
    assert again.body == response.body and again.headers["ETag"] == response.headers["ETag"]
    assert fake.counters() == before


def test_episode_keys_and_poster_from_the_show(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie(watched_at="2024-05-01T20:00:00.000Z")],
                  episodes=[episode(watched_at="2024-05-02T21:00:00.000Z")])
    response = call(responder().sock)
    assert response.status == 200
    parsed = json.loads(response.body, object_pairs_hook=lambda pairs: pairs)
    assert [k for k, _ in parsed] == ["ok", "data", "watching", "cached_at"]
    assert [k for k, _ in dict(parsed)["data"]] == [
        "type", "title", "show_title", "season", "episode", "year", "poster_url", "trakt_url", "watched_at"]
    cached_at = response.json()["cached_at"]
    data = {
        "type": "episode", "title": "The Iron Throne", "show_title": "Game of Thrones", "season": 8, "episode": 6,
        "year": 2011, "poster_url": POSTER_BASE + GOT_POSTER,
        "trakt_url": "https://trakt.tv/shows/game-of-thrones/seasons/8/episodes/6",
        "watched_at": "2024-05-02T21:00:00.000Z",
    }
    assert response.body == expected_last_body(data, cached_at)
    counts = fake.counters()
    assert counts.get("/3/tv/1399") == 1, counts  # the show's TMDB id ...
    assert "/3/tv/1551830" not in counts and "/3/movie/1551830" not in counts, counts  # ... never the episode's
    assert counts.get("/3/movie/155") == 1, counts  # the older movie is a recent item too


@pytest.mark.parametrize("title", [None, ""])
def test_episode_without_title_is_named_after_show_and_number(fake: FakeUpstream, responder: StartResponder,
                                                              title: str | None) -> None:
    fake.scenario(movies=[], episodes=[episode(title=title, show_title="Parks and Recreation", season=2, number=1,
                                               show_tmdb=8592, slug="parks-and-recreation")])
    data = data_of(call(responder().sock))
    assert data is not None
    assert data["title"] == "Parks and Recreation S2E1"
    assert data["show_title"] == "Parks and Recreation" and (data["season"], data["episode"]) == (2, 1)
    assert data["poster_url"] == f"{POSTER_BASE}/fake-tv-8592.jpg"


@pytest.mark.parametrize("newer", ["movie", "episode"])
def test_newest_of_movie_and_episode_wins(fake: FakeUpstream, responder: StartResponder, newer: str) -> None:
    old, new = "2024-03-01T10:00:00.000Z", "2024-03-01T10:00:01.000Z"
    fake.scenario(movies=[movie(watched_at=new if newer == "movie" else old)],
                  episodes=[episode(watched_at=new if newer == "episode" else old)])
    data = data_of(call(responder().sock))
    assert data is not None and data["type"] == newer and data["watched_at"] == new
    counts = fake.counters()
    # One mixed history call; both are recent items (the history list and the card show them), so both
    # posters are looked up, once each.
    assert counts.get("/sync/history") == 1 and counts.get("/users/me/watching") == 1
    assert counts.get("/3/movie/155") == 1 and counts.get("/3/tv/1399") == 1 and tmdb_calls(fake) == 2


def test_empty_history(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[], episodes=[])
    response = call(responder().sock)
    assert response.status == 200
    body = response.json()
    assert body["data"] is None and TIMESTAMP.match(body["cached_at"])
    assert response.body == expected_last_body(None, body["cached_at"])
    assert "ETag" in response.headers and CACHE_CONTROL_OK.match(response.headers["Cache-Control"])
    assert tmdb_calls(fake) == 0


@pytest.mark.parametrize("title", ["千と千尋の神隠し", "Amélie"])
def test_utf8_title_is_byte_identical(fake: FakeUpstream, responder: StartResponder, title: str) -> None:
    fake.scenario(movies=[movie(title=title, tmdb=129, year=2001, slug="spirited-away-2001")], episodes=[])
    response = call(responder().sock)
    assert response.status == 200
    assert b'"title":"' + title.encode("utf-8") + b'"' in response.body  # raw UTF-8, not \u escapes
    assert b"\\u" not in response.body
    assert int(response.headers["Content-Length"]) == len(response.body)
    assert data_of(response)["title"] == title  # type: ignore[index]


# --- TMDB --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [{"kind": "drop"},
                                   {"kind": "status", "status": 503, "json": {"success": False, "status_code": 9}},
                                   {"kind": "html403"}])
def test_tmdb_down_gives_null_poster_then_recovers(fake: FakeUpstream, responder: StartResponder,
                                                   fault: dict[str, Any]) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    fake.fault(prefix="/3", **fault)
    proc = responder(TTL_SHORT)
    data = data_of(call(proc.sock))
    assert data is not None and data["title"] == "The Dark Knight" and data["poster_url"] is None
    assert fake.count("/3/movie/155") >= 1
    # A TMDB failure is not cached as "no poster": once TMDB is back, a later refresh fills it in.
    fake.clear_faults()

    def poster() -> str | None:
        return data_of(call(proc.sock))["poster_url"]  # type: ignore[index]

    assert wait_until(poster, 10, "the poster after TMDB recovered") == f"{POSTER_BASE}/fake-movie-155.jpg"


@pytest.mark.parametrize("how", ["null poster_path", "unknown id"])
def test_no_poster_at_tmdb_gives_null(fake: FakeUpstream, responder: StartResponder, how: str) -> None:
    fake.scenario(movies=[movie(tmdb=424242)], episodes=[])
    if how == "null poster_path":
        fake.tmdb("movie", 424242, poster_path=None)
    else:
        fake.tmdb_missing("movie", 424242)
    data = data_of(call(responder().sock))
    assert data is not None and data["poster_url"] is None and data["title"] == "The Dark Knight"
    assert fake.count("/3/movie/424242") == 1


# --- Trakt failures ----------------------------------------------------------------------------------


TRAKT_FAULTS = {
    "503": ({"kind": "status", "status": 503, "json": {"error": "down"}}, {}),
    "reset": ({"kind": "drop"}, {}),
    "cloudflare-html": ({"kind": "html403"}, {}),
    "hang": ({"kind": "hang", "seconds": 30}, {"UPSTREAM_TIMEOUT": "1"}),
}


@pytest.mark.parametrize("name", list(TRAKT_FAULTS))
def test_trakt_down_while_cold_is_503(fake: FakeUpstream, responder: StartResponder, name: str) -> None:
    fault, env = TRAKT_FAULTS[name]
    fake.fault(prefix="/sync", **fault)
    proc = responder(env)
    response = call(proc.sock)
    assert_unavailable(response)
    assert b"Cloudflare" not in response.body and b"blocked" not in response.body
    assert fake.count("/sync/history") >= 1  # it did try
    health = call(proc.sock, path=HEALTH)
    assert health.status == 503 and health.json()["ok"] is False
    assert health.json()["upstream"]["last_error_code"]


def test_trakt_down_while_warm_serves_stale_then_recovers(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder(TTL_SHORT)
    first = call(proc.sock)
    good = data_of(first)
    cached_at = first.json()["cached_at"]
    fake.fault("status", prefix="/sync", status=503, json={"error": "down"})
    seen = len(fake.requests())
    stale = wait_for_stale(proc.sock)
    assert stale.body == expected_last_body(good, cached_at, stale=True)
    assert stale.headers.get_all("Cache-Control") and CACHE_CONTROL_OK.match(stale.headers["Cache-Control"])
    failed = fake.requests()[seen:]
    assert failed and all(r["status"] == 503 for r in failed if r["path"].startswith("/sync")), failed
    health = call(proc.sock, path=HEALTH)
    assert health.status == 200
    assert health.json()["cache"]["stale"] is True and health.json()["upstream"]["last_error_code"] == "TRAKT_HTTP_503"
    # Trakt comes back: the stale flag goes away on a later refresh.
    fake.clear_faults()

    def fresh() -> bool:
        return "stale" not in call(proc.sock).json()

    wait_until(fresh, 10, "a fresh result after Trakt recovered")
    assert data_of(call(proc.sock)) == good


def test_rate_limit_retry_after_is_honoured(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    retry_after = 3
    # Exactly the first Trakt round (history x2 + last_activities) is rate limited.
    fake.fault("rate_limit", prefix="/sync", count=3, retry_after=retry_after)
    proc = responder(TTL_SHORT)
    started = time.monotonic()
    first = call(proc.sock)
    told = assert_unavailable(first)
    assert 2 <= told <= retry_after
    limited = [r for r in fake.requests() if r["path"].startswith("/sync")]
    assert limited and all(r["status"] == 429 for r in limited), limited
    counts = sync_counts(fake)
    # Until Retry-After passes, requests are answered without a single Trakt call.
    while time.monotonic() < started + retry_after - 0.6:
        response = call(proc.sock)
        assert_unavailable(response)
        assert sync_counts(fake) == counts, "Trakt was called before Retry-After passed"
        time.sleep(0.05)  # pacing only: the assertion is about the window, not about an event
    def recovered() -> dict[str, Any] | None:
        response = call(proc.sock)
        return data_of(response) if response.status == 200 else None

    assert wait_until(recovered, 10, "recovery after the 429")["title"] == "The Dark Knight"
    later = [r for r in fake.requests() if r["path"].startswith("/sync") and r["seq"] > limited[-1]["seq"]]
    assert later, "no Trakt call after the rate limit"
    assert later[0]["time"] - max(r["time"] for r in limited) >= retry_after - 0.1, \
        "the first Trakt call after the 429 came before Retry-After passed"


def refresh_failures(proc: Responder, code: str) -> int:
    return proc.log_text().count(f"refresh failed ({code})")


def test_invalid_grant_while_cold_is_reauth_required(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = responder({**TTL_SHORT, "TRAKT_REFRESH_TOKEN": "a-refresh-token-trakt-does-not-know"})
    assert_unavailable(call(proc.sock), "REAUTH_REQUIRED")
    assert fake.counters() == {"/oauth/token": 1}
    assert fake.requests("/oauth/token")[0]["status"] == 400
    # The refresh loop keeps running (1 s backoff) but never spends the dead token again.
    def more_attempts() -> bool:
        assert_unavailable(call(proc.sock), "REAUTH_REQUIRED")
        return refresh_failures(proc, "REAUTH_REQUIRED") >= 3

    wait_until(more_attempts, 10, "three failed refresh attempts")
    assert fake.counters() == {"/oauth/token": 1}
    health = call(proc.sock, path=HEALTH)
    assert health.status == 503 and health.json()["token"]["state"] == "reauth_required"


def test_invalid_grant_while_warm_serves_stale(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder(TTL_SHORT)
    first = call(proc.sock)
    good = data_of(first)
    assert fake.count("/oauth/token") == 1
    # Trakt forgets the responder's grant: its access token now gets 401 and its refresh token invalid_grant.
    fake.set_tokens(access_token="someone-elses-access-token", refresh_token="someone-elses-refresh-token")
    stale = wait_for_stale(proc.sock)
    assert stale.body == expected_last_body(good, first.json()["cached_at"], stale=True)
    assert fake.count("/oauth/token") == 2
    assert [r["status"] for r in fake.requests("/oauth/token")] == [200, 400]
    activities = fake.count("/sync/last_activities")
    failures = refresh_failures(proc, "REAUTH_REQUIRED")
    assert failures >= 1

    def more_attempts() -> bool:
        assert call(proc.sock).body == stale.body
        return refresh_failures(proc, "REAUTH_REQUIRED") >= failures + 2

    wait_until(more_attempts, 10, "two more failed refresh attempts")
    assert fake.count("/oauth/token") == 2, "the rejected refresh token was sent again"
    assert fake.count("/sync/last_activities") == activities
    assert call(proc.sock, path=HEALTH).json()["token"]["state"] == "reauth_required"


# --- routing, methods, HEAD, ETag --------------------------------------------------------------------


@pytest.mark.parametrize("via", ["spawn-fcgi", "listen"])
def test_unknown_paths_are_json_404(fake: FakeUpstream, responder: StartResponder, via: str) -> None:
    proc = responder(via=via)
    for path in ["/", "/api", "/api/trakt", "/api/trakt/last/", "/api/trakt/lastx", "/api/trakt/last.json",
                 "/API/TRAKT/LAST", "/index.html", "/api/trakt/health/x"]:
        for method in ["GET", "POST"]:
            response = call(proc.sock, method, path)
            assert_error(response, 404, "NOT_FOUND")
    assert fake.counters() == {}, "routing must not call upstream"


def test_bad_request_uris(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = responder()
    too_long = call(proc.sock, params={"REQUEST_URI": LAST + "?" + "x" * 4096})
    assert_error(too_long, 414, "URI_TOO_LONG")
    not_utf8 = call(proc.sock, params={"REQUEST_URI": "/api/trakt/\udcff\udcfe"})
    assert_error(not_utf8, 400, "BAD_REQUEST")
    with_query = call(proc.sock, params={"REQUEST_URI": LAST + "?callback=x&_=1"})
    assert data_of(with_query) is not None  # a query string does not change the route
    assert fake.count("/sync/history") == 1


def test_head_on_an_error_has_no_body(fake: FakeUpstream, responder: StartResponder) -> None:
    """HEAD never gets a body, whatever the status (RFC 9110 §9.3.2); the headers stay those of GET."""
    proc = responder()
    cases = {"404": {"REQUEST_URI": "/nope"}, "414": {"REQUEST_URI": LAST + "?" + "x" * 4096},
             "400": {"REQUEST_URI": "/api/trakt/\udcff"}}
    failures = []
    for status, params in cases.items():
        get = call(proc.sock, params=params)
        assert get.status == int(status)
        head_stdout, _ = fastcgi.exchange(proc.sock, "HEAD", params=params)
        head_status, head_headers, head_body = fastcgi.parse_cgi_output(head_stdout)
        assert head_status == get.status and head_headers["Content-Type"] == JSON_TYPE
        if head_body:
            failures.append(f"HEAD answered {status} with a {len(head_body)}-byte body")
    assert not failures, failures
    assert fake.counters() == {}


@pytest.mark.parametrize("path", [LAST, HEALTH])
def test_other_methods_are_405(fake: FakeUpstream, responder: StartResponder, path: str) -> None:
    proc = responder()
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]:
        response = call(proc.sock, method, path, body=b'{"x":1}' if method in ("POST", "PUT", "PATCH") else b"")
        assert_error(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers.get_all("Allow") == ["GET, HEAD"]
    assert fake.counters() == {}, "a refused method must not call upstream"


def test_head_has_the_get_headers_and_no_body(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = responder()
    get = call(proc.sock)
    head = call(proc.sock, "HEAD")
    assert head.status == 200 and head.body == b""
    for name in ("Content-Type", "ETag", "Content-Length"):
        assert head.headers.get_all(name) == get.headers.get_all(name), name
    assert CACHE_CONTROL_OK.match(head.headers["Cache-Control"])
    assert int(head.headers["Content-Length"]) == len(get.body)
    health_get, health_head = call(proc.sock, path=HEALTH), call(proc.sock, "HEAD", HEALTH)
    assert health_head.body == b"" and health_head.status == health_get.status
    assert health_head.headers["Content-Type"] == JSON_TYPE


def test_etag_and_if_none_match(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = responder()
    first = call(proc.sock)
    etag = first.headers["ETag"]
    for header in [etag, f"W/{etag}", f'"0000000000000000", {etag}', "*"]:
        response = call(proc.sock, headers={"If-None-Match": header})
        assert response.status == 304, header
        assert response.body == b"" and response.headers["ETag"] == etag
        assert "Content-Length" not in response.headers or response.headers["Content-Length"] == "0"
    for header in ['"0000000000000000"', "garbage", etag[1:-1]]:
        response = call(proc.sock, headers={"If-None-Match": header})
        assert response.status == 200 and response.body == first.body, header
    head = call(proc.sock, "HEAD", headers={"If-None-Match": etag})
    assert head.status == 304 and head.body == b""


# --- many clients at once, and clients that go away --------------------------------------------------


def test_stampede_of_cold_requests_makes_one_fetch(fake: FakeUpstream, responder: StartResponder) -> None:
    count = 200
    fake.scenario(movies=[movie()], episodes=[episode(watched_at="2020-01-01T00:00:00.000Z")], latency_ms=300)
    proc = responder(workers=count)
    sockets = [fastcgi.connect(proc.sock, timeout=30) for _ in range(count)]
    request = fastcgi.request_bytes()
    go = threading.Barrier(count + 1)
    sent_at: list[float] = []
    answered_at: list[float] = []
    results: list[Any] = [None] * count

    def client(index: int) -> None:
        sock = sockets[index]
        try:
            go.wait()
            sock.sendall(request)
            sent_at.append(time.monotonic())
            raw = fastcgi.raw_stdout(sock)
            answered_at.append(time.monotonic())
            results[index] = raw
        except Exception as err:  # reported below, with the index
            results[index] = err
        finally:
            sock.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    go.wait()
    for thread in threads:
        thread.join(60)
    failures = [(i, r) for i, r in enumerate(results) if not isinstance(r, bytes)]
    assert not failures, failures[:5]
    responses = [check_invariants(raw, "GET") for raw in results]
    assert all(r.status == 200 for r in responses), {r.status for r in responses}
    assert len({r.body for r in responses}) == 1
    assert data_of(responses[0])["title"] == "The Dark Knight"  # type: ignore[index]
    counts = fake.counters()
    assert counts.get("/sync/history") == 1, counts
    assert counts.get("/users/me/watching") == 1, counts
    assert counts.get("/sync/last_activities", 0) <= 1 and counts.get("/oauth/token", 0) <= 1, counts
    assert tmdb_calls(fake) <= 10, counts  # the recent items' posters, each once
    # All of them were sent before the first answer came back: they really were simultaneous and cold.
    assert max(sent_at) < min(answered_at), f"sends spread over {max(sent_at) - min(sent_at):.2f} s"


def _abort(address: str, how: str, request: bytes) -> None:
    sock = fastcgi.connect(address, timeout=5)
    try:
        if how == "rst":
            sock.sendall(request)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif how == "close":
            sock.sendall(request)
        elif how == "half":
            sock.sendall(request[: len(request) // 2])
        elif how == "abort-record":
            sock.sendall(request + fastcgi.record(fastcgi.ABORT_REQUEST))
        elif how == "shutdown-write":
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        # "nothing": connect and leave
    finally:
        sock.close()


def test_clients_that_go_away_do_not_kill_workers(fake: FakeUpstream, responder: StartResponder) -> None:
    workers = 4
    fake.scenario(movies=[movie()], episodes=[])
    fake.fault("latency", prefix="/sync", ms=300)
    proc = responder({"TRAKT_WIDGET_LOG_LEVEL": "debug"}, workers=workers)
    request = fastcgi.request_bytes()
    # Cold: these clients are gone by the time the fetch lands and the workers write their answers.
    for _ in range(workers * 2):
        _abort(proc.sock, "rst", request)
    wait_until(lambda: call(proc.sock, path=HEALTH).json()["upstream"]["last_success_at"], 10, "the cold fetch")
    # Warm: the answer is written at once, into a socket that is closing or already reset.
    kinds = ["rst", "close", "half", "abort-record", "shutdown-write", "nothing"]
    for index in range(300):
        _abort(proc.sock, kinds[index % len(kinds)], request)
    assert proc.alive(), proc.log_text()
    assert data_of(call(proc.sock))["title"] == "The Dark Knight"  # type: ignore[index]
    # Every worker is still there: hold all but one on stalled requests, the last one must still answer.
    stalled = [fastcgi.connect(proc.sock, timeout=5) for _ in range(workers - 1)]
    try:
        for sock in stalled:
            sock.sendall(fastcgi.begin_record())
        response = call(proc.sock, timeout=5)
        assert response.status == 200
    finally:
        for sock in stalled:
            sock.close()
    assert call(proc.sock).status == 200 and proc.alive()
    # The test did make workers write into dead connections (the responder logs those at debug level).
    assert "client went away" in proc.log_text(), proc.log_text()


# --- SIGTERM -----------------------------------------------------------------------------------------


def test_sigterm_finishes_the_request_in_flight(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    fake.fault("latency", prefix="/sync", ms=1000)
    proc = responder()
    outcome: dict[str, Any] = {}

    def client() -> None:
        try:
            outcome["response"] = call(proc.sock, timeout=10)
        except Exception as err:
            outcome["response"] = err
        outcome["at"] = time.monotonic()

    thread = threading.Thread(target=client)
    thread.start()
    # Cold cache: the request is waiting on the fetch, which is waiting on Trakt.
    wait_until(lambda: any(r["path"] == "/sync/history" and r["status"] is None for r in fake.requests()),
               10, "the history request in flight at the fake")
    signalled = time.monotonic()
    proc.signal(signal.SIGTERM)
    code = proc.wait_exit(5)
    exited = time.monotonic()
    thread.join(10)
    assert code == 0, proc.log_text()
    assert exited - signalled < 2.0, f"exit took {exited - signalled:.2f} s"
    response = outcome["response"]
    assert isinstance(response, Response), response
    assert response.status == 200, f"in-flight request answered {response.status}: {response.body!r}"
    assert data_of(response)["title"] == "The Dark Knight"  # type: ignore[index]
    assert outcome["at"] - signalled < 2.0


# --- modes, headers, secrets -------------------------------------------------------------------------


def test_public_mode_uses_no_oauth(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[episode(watched_at="2020-01-01T00:00:00.000Z")])
    proc = responder({"TRAKT_USERNAME": "test-user", "TRAKT_CLIENT_SECRET": None, "TRAKT_REFRESH_TOKEN": None})
    assert data_of(call(proc.sock))["title"] == "The Dark Knight"  # type: ignore[index]
    counts = fake.counters()
    assert not any(p.startswith(("/oauth", "/sync")) for p in counts), counts
    assert counts.get("/users/test-user/history") == 1 and counts.get("/users/test-user/watching") == 1
    for request in trakt_requests(fake):
        assert "authorization" not in request["headers"], request
        assert request["headers"].get("trakt-api-key") == TEST_CLIENT_ID
    health = call(proc.sock, path=HEALTH).json()
    assert health["mode"] == "public" and health["token"]["state"] == "not_used"


def test_trakt_requests_carry_the_required_headers(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder(TTL_SHORT)
    call(proc.sock)
    # Force a 401 and a second refresh, so a rotated token is in use too.
    fake.set_tokens(expired=True)
    wait_until(lambda: call(proc.sock).status == 200 and fake.count("/oauth/token") >= 2, 10, "a second rotation")
    access = fake.tokens()["access_token"]
    wait_until(lambda: call(proc.sock) and any(
        r["headers"].get("authorization") == f"Bearer {access}" for r in fake.requests() if r["path"].startswith("/sync")),
        10, "a Trakt call with the rotated token")
    user_agent = f"trakt-widget/{version()}"
    requests = trakt_requests(fake)
    assert {r["path"] for r in requests} >= {"/oauth/token", "/sync/history", "/users/me/watching"}
    for request in requests:
        headers = request["headers"]
        assert headers.get("user-agent") == user_agent, request
        assert headers.get("trakt-api-version") == "2", request
        assert headers.get("trakt-api-key") == TEST_CLIENT_ID, request
        if request["path"].startswith("/sync"):
            assert re.fullmatch(r"Bearer [0-9a-f]{64}", headers.get("authorization", "")), request
    tmdb = [r for r in fake.requests() if r["path"].startswith("/3/")]
    assert tmdb and all(r["headers"].get("user-agent") == user_agent for r in tmdb)


def test_secrets_never_leak(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder({**TTL_SHORT, "TRAKT_WIDGET_LOG_LEVEL": "debug"})
    responses = [call(proc.sock), call(proc.sock, "HEAD"), call(proc.sock, path=HEALTH), call(proc.sock, "POST"),
                 call(proc.sock, path="/nope")]
    pairs = [fake.tokens()]
    fake.set_tokens(expired=True)  # 401, refresh, a second rotated pair
    wait_until(lambda: call(proc.sock).status == 200 and fake.count("/oauth/token") >= 2, 10, "a second rotation")
    pairs.append(fake.tokens())
    fake.fault("status", prefix="/sync", status=500, json={"error": "server_error"})
    fake.fault("status", prefix="/3", status=401, json={"status_code": 7})
    responses.append(wait_for_stale(proc.sock))
    responses.append(call(proc.sock, path=HEALTH))
    fake.clear_faults()
    fake.set_tokens(access_token="dead-access-token-0123456789", refresh_token="dead-refresh-token-0123456789")
    wait_until(lambda: call(proc.sock).status == 200 and refresh_failures(proc, "REAUTH_REQUIRED") >= 1, 10,
               "a rejected refresh")
    responses.append(call(proc.sock, path=HEALTH))
    tokens = fake.tokens()
    secrets = {TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, *tokens["used_refresh_tokens"]}
    secrets |= {pair[name] for pair in pairs for name in ("access_token", "refresh_token")}
    secrets |= {r["headers"]["authorization"].split()[-1] for r in fake.requests() if "authorization" in r["headers"]}
    assert len(secrets) >= 6, secrets  # client secret, TMDB key, 2 used refresh tokens, 2 access tokens
    # The secrets really were in use, so their absence below means something.
    assert any(r["params"].get("api_key") == TEST_TMDB_API_KEY for r in fake.requests() if r["path"].startswith("/3/"))
    assert any((r["json"] or {}).get("client_secret") == TEST_CLIENT_SECRET for r in fake.requests("/oauth/token"))
    log = proc.log_text()
    assert "rotated the Trakt token" in log and "refresh failed" in log  # the log did talk about tokens
    for response in responses:
        blob = response.body.decode() + repr(response.headers.items())
        for secret in secrets:
            assert secret not in blob, f"secret in a response: {response}"
    for secret in secrets:
        assert secret not in log, f"secret in the responder log:\n{log}"


# --- health ------------------------------------------------------------------------------------------


def test_health_reports_state_and_never_calls_upstream(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder()
    for _ in range(5):
        health = call(proc.sock, path=HEALTH)
        assert health.status == 200 and health.headers.get_all("Cache-Control") == ["no-store"]
    assert fake.counters() == {}, "health called upstream"
    body = health.json()
    assert list(body)[:3] == ["ok", "provider", "mode"] and body["ok"] is True and body["mode"] == "oauth"
    assert body["provider"] == "trakt"
    assert {"token", "cache", "upstream"} <= set(body)
    assert body["cache"]["age_s"] is None and body["upstream"]["last_success_at"] is None
    call(proc.sock)
    counts = fake.counters()
    for _ in range(5):
        body = call(proc.sock, path=HEALTH).json()
    assert fake.counters() == counts
    assert body["ok"] is True and body["token"]["state"] == "valid" and TIMESTAMP.match(body["token"]["expires_at"])
    assert isinstance(body["cache"]["age_s"], int) and body["cache"]["stale"] is False
    assert TIMESTAMP.match(body["upstream"]["last_success_at"]) and body["upstream"]["last_error_code"] is None


def test_health_is_503_when_cold_and_failing(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.fault("status", prefix="/sync", status=502, json={"error": "bad gateway"})
    proc = responder()
    assert_unavailable(call(proc.sock))
    counts = fake.counters()
    for _ in range(5):
        health = call(proc.sock, path=HEALTH)
        assert health.status == 503 and health.headers.get_all("Cache-Control") == ["no-store"]
    assert fake.counters() == counts, "health called upstream"
    body = health.json()
    assert body["ok"] is False and body["mode"] == "oauth"
    assert body["upstream"]["last_error_code"] == "TRAKT_HTTP_502" and body["upstream"]["last_success_at"] is None
    assert body["cache"]["age_s"] is None


def test_a_full_disk_is_a_store_error_not_an_upstream_one(fake: FakeUpstream, responder: StartResponder) -> None:
    """Every state-file write fails with ENOSPC (the debug build's TRAKT_WIDGET_INJECT_ERRNO): the item is
    still served, and health names the store's failure under `store`, never under `upstream`."""
    fake.scenario(movies=[movie()], episodes=[])
    proc = responder({"TRAKT_USERNAME": "test-user", "TRAKT_CLIENT_SECRET": None, "TRAKT_REFRESH_TOKEN": None,
                      "TRAKT_WIDGET_INJECT_ERRNO": "write:ENOSPC"})
    assert data_of(call(proc.sock))["title"] == "The Dark Knight"  # type: ignore[index]
    # The result is written after the waiting request got it.
    body = wait_until(lambda: (b := call(proc.sock, path=HEALTH).json())["store"]["last_error_code"] and b, 5,
                      "health to report the failed write")
    assert body["store"]["last_error_code"] == "TOKEN_STORE_ERROR", body
    assert body["upstream"]["last_error_code"] is None and TIMESTAMP.match(body["upstream"]["last_success_at"]), body
    assert "No space left on device" in proc.log_text()
    assert proc.state_dir is not None and not (proc.state_dir / "last-result.json").exists()


# --- persistence, CGI, CLI ---------------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_last_good_result_survives_a_restart_during_an_outage(fake: FakeUpstream, responder: StartResponder,
                                                              tmp_path: Path, stop: str) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    state = tmp_path / "shared-state"
    first_proc = responder(TTL_SHORT, state_dir=state)
    first = call(first_proc.sock)
    good = data_of(first)
    fake.fault("status", prefix="/sync", status=503, json={"error": "down"})
    wait_for_stale(first_proc.sock)
    if stop == "sigterm":
        assert first_proc.stop() == 0
    else:
        first_proc.kill9()
    seen = len(fake.requests())
    second = responder(TTL_SHORT, state_dir=state)
    # The very first answer is the old data. Whether it already says "stale" depends on whether the first
    # process had persisted its failed refresh before it stopped (a SIGKILL can land in between).
    response = call(second.sock)
    assert data_of(response) == good and response.json()["cached_at"] == first.json()["cached_at"]
    assert wait_for_stale(second.sock).body == expected_last_body(good, first.json()["cached_at"], stale=True)
    since_restart = [r for r in fake.requests()[seen:] if r["path"].startswith("/sync")]
    assert all(r["status"] != 200 for r in since_restart), "a Trakt call succeeded: the test proves nothing"
    assert call(second.sock, path=HEALTH).status == 200


def cgi_env(base: Mapping[str, str], method: str = "GET", uri: str = LAST, **extra: str) -> dict[str, str]:
    env = dict(base)
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method, "REQUEST_URI": uri,
                "SCRIPT_NAME": uri.split("?")[0], "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", **extra})
    return env


def test_plain_cgi_mode(fake: FakeUpstream, cli_env: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    base = cli_env()
    first = run_cli([], cgi_env(base), tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(b"Status: 200 OK\r\n"), first.stdout[:100]
    response = check_invariants(first.stdout, "GET")
    assert data_of(response)["title"] == "The Dark Knight"  # type: ignore[index]
    counts = fake.counters()
    assert counts.get("/sync/history") == 1
    # A second process within the TTL answers from the persisted result, without any upstream call.
    second = run_cli([], cgi_env(base), tmp_path)
    assert second.returncode == 0, second.stderr
    assert check_invariants(second.stdout, "GET").body == response.body
    assert fake.counters() == counts
    etag = response.headers["ETag"]
    not_modified = run_cli([], cgi_env(base, HTTP_IF_NONE_MATCH=etag), tmp_path)
    assert not_modified.returncode == 0 and not_modified.stdout.startswith(b"Status: 304 Not Modified\r\n")
    assert check_invariants(not_modified.stdout, "GET").body == b""
    head = run_cli([], cgi_env(base, "HEAD"), tmp_path)
    assert head.returncode == 0 and check_invariants(head.stdout, "HEAD").headers["ETag"] == etag
    missing = run_cli([], cgi_env(base, uri="/nope"), tmp_path)
    assert missing.returncode == 0
    assert_error(check_invariants(missing.stdout, "GET"), 404, "NOT_FOUND")
    post = run_cli([], cgi_env(base, "POST"), tmp_path)
    assert_error(check_invariants(post.stdout, "POST"), 405, "METHOD_NOT_ALLOWED")
    assert fake.counters() == counts


def test_last_command(fake: FakeUpstream, cli_env: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    env = cli_env()
    ok = run_cli(["last"], env, tmp_path)
    assert ok.returncode == 0, ok.stderr
    body = json.loads(ok.stdout)
    assert body["ok"] is True and body["data"]["title"] == "The Dark Knight"
    fake.fault("status", prefix="/sync", status=503, json={"error": "down"})
    cold = run_cli(["last"], cli_env(), tmp_path)
    assert cold.returncode == 1, (cold.stdout, cold.stderr)
    assert json.loads(cold.stdout)["ok"] is False
    warm = run_cli(["last"], env, tmp_path)  # data persisted by the first run, but Trakt is down: still 1
    assert warm.returncode == 1, (warm.stdout, warm.stderr)
    for run in (ok, cold, warm):
        text = (run.stdout + run.stderr).decode()
        for secret in (TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, *fake.tokens()["used_refresh_tokens"],
                       fake.tokens()["access_token"]):
            assert secret not in text


def test_check_command_prints_no_secret(fake: FakeUpstream, cli_env: Callable[..., dict[str, str]],
                                        tmp_path: Path) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    initial = fake.tokens()
    env = cli_env({"TRAKT_WIDGET_LOG_LEVEL": "debug", "TRAKT_ACCESS_TOKEN": initial["access_token"]})
    good = run_cli(["check"], env, tmp_path)
    assert good.returncode == 0, (good.stdout, good.stderr)
    assert b"The Dark Knight" in good.stdout
    fake.fault("status", prefix="/sync", status=503, json={"error": "down"})
    bad = run_cli(["check"], cli_env({"TRAKT_WIDGET_LOG_LEVEL": "debug"}), tmp_path)
    assert bad.returncode != 0
    tokens = fake.tokens()
    secrets = {TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, initial["access_token"], initial["refresh_token"],
               tokens["access_token"], tokens["refresh_token"], *tokens["used_refresh_tokens"]}
    for run in (good, bad):
        text = (run.stdout + run.stderr).decode()
        for secret in secrets:
            assert secret not in text, f"check printed a secret:\n{text}"


@pytest.mark.parametrize("command", [[], ["serve"], ["last"], ["check"]])
@pytest.mark.parametrize("overrides, variable", [
    ({"CACHE_TTL": "abc"}, "CACHE_TTL"),
    ({"TRAKT_API_URL": "nope"}, "TRAKT_API_URL"),
    ({"TRAKT_CLIENT_ID": None}, "TRAKT_CLIENT_ID"),
    ({"TRAKT_CLIENT_SECRET": None, "TRAKT_USERNAME": None}, "TRAKT_CLIENT_SECRET"),
], ids=["ttl", "api-url", "no-client-id", "no-secret-no-username"])
def test_invalid_configuration_is_one_line(fake: FakeUpstream, cli_env: Callable[..., dict[str, str]], tmp_path: Path,
                                           command: list[str], overrides: dict[str, Any], variable: str) -> None:
    run = run_cli(command, cli_env(overrides), tmp_path)
    assert run.returncode != 0
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert variable in lines[0], lines
    assert TEST_CLIENT_SECRET not in lines[0] and TEST_TMDB_API_KEY not in lines[0]
    assert fake.counters() == {}


# --- TCP --listen ------------------------------------------------------------------------------------


def test_listen_on_tcp(fake: FakeUpstream, cli_env: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    fake.scenario(movies=[movie()], episodes=[])
    port = free_tcp_port()
    log = open(tmp_path / "tcp.log", "wb")
    proc = subprocess.Popen([str(require_binary()), "serve", "--listen", f"127.0.0.1:{port}", "--workers", "2"],
                            env=cli_env(), cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        def answers() -> Response | None:
            assert proc.poll() is None, (tmp_path / "tcp.log").read_text()
            return call(("127.0.0.1", port), path=HEALTH)

        assert wait_until(answers, 10, "the TCP listener").status == 200
        assert data_of(call(("127.0.0.1", port)))["title"] == "The Dark Knight"  # type: ignore[index]
        assert_error(call(("127.0.0.1", port), path="/x"), 404, "NOT_FOUND")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(5)
        log.close()
    assert code == 0
