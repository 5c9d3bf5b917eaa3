"""Simkl and Letterboxd through the real responder (FastCGI socket), against the fake upstream.

The same contract, failure behaviour and single-flight as Trakt: `/api/watch/last` for every provider,
stale-or-503 on faults, one upstream fetch set for a stampede. Simkl's politeness rule (activities
first, all-items only when they moved, never again after a restart) is counted in the fake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from harness import (FakeUpstream, Responder, Response, fcgi_concurrent, provider_overrides, responder_env,
                     run_cli, wait_until)
from harness.fixtures import require_binary

WATCH = "/api/watch/last"
StartResponder = Callable[..., Responder]
DATA_KEYS_EPISODE = ["type", "title", "show_title", "season", "episode", "year", "poster_url", "url", "watched_at"]
DATA_KEYS_MOVIE = ["type", "title", "year", "poster_url", "url", "watched_at"]
# `watching` (what plays now) is Trakt's only: always null for Simkl and Letterboxd.
TOP_KEYS = ["ok", "data", "watching", "provider", "rating", "rewatch", "cached_at"]
FAKE_TMDB_IMAGE = "https://image.tmdb.org/t/p/w500"


def start(fake: FakeUpstream, responder: StartResponder, provider: str, **env: Any) -> Responder:
    return responder({**provider_overrides(provider, fake.url), **env})


def body(response: Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.body)


def ok_data(response: Response) -> dict[str, Any] | None:
    assert response.status == 200, response.body
    answer = body(response)
    assert list(answer)[:7] == TOP_KEYS and answer["watching"] is None
    return answer["data"]


def simkl_show(title: str, watched_at: str, marker: str | None, simkl_id: int, tmdb: Any = None,
               anime_type: str | None = None, poster: str | None = None) -> dict[str, Any]:
    ids: dict[str, Any] = {"simkl": simkl_id, "slug": title.lower().replace(" ", "-")}
    if tmdb is not None:
        ids["tmdb"] = tmdb
    entry: dict[str, Any] = {"last_watched_at": watched_at, "last_watched": marker, "status": "watching",
                             "show": {"title": title, "year": 2020, "ids": ids, **({"poster": poster} if poster else {})}}
    if anime_type:
        entry["anime_type"] = anime_type
    return entry


def simkl_movie(title: str, watched_at: str, simkl_id: int, tmdb: Any = None) -> dict[str, Any]:
    ids: dict[str, Any] = {"simkl": simkl_id, "slug": title.lower().replace(" ", "-")}
    if tmdb is not None:
        ids["tmdb"] = tmdb
    return {"last_watched_at": watched_at, "status": "completed", "movie": {"title": title, "year": 1995, "ids": ids}}


# --- Simkl: the contract -------------------------------------------------------------------------------------


def test_simkl_anime_episode_without_season(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "simkl")  # the documented library: Hunter x Hunter at "E148"
    data = ok_data(proc.request(path=WATCH))
    assert data is not None and list(data) == DATA_KEYS_EPISODE
    assert data == {
        "type": "episode", "title": "Hunter x Hunter E148", "show_title": "Hunter x Hunter", "season": None,
        "episode": 148, "year": 2011, "poster_url": "https://simkl.in/posters/83/83975f751784587_m.webp",
        "url": "https://simkl.com/anime/40398", "watched_at": "2014-11-06T22:05:52Z",
    }
    assert body(proc.request(path=WATCH))["provider"] == "simkl"


def test_simkl_episode_movie_and_anime_movie(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(simkl_library={
        "shows": [simkl_show("Severance", "2026-08-01T20:00:00Z", "S02E07", 11, tmdb="95396")],
        "movies": [simkl_movie("Heat", "2026-07-01T20:00:00Z", 12, tmdb=949)],
    })
    proc = start(fake, responder, "simkl")
    data = ok_data(proc.request(path=WATCH))
    assert data is not None
    assert (data["title"], data["season"], data["episode"]) == ("Severance S2E7", 2, 7)
    assert data["url"] == "https://simkl.com/tv/11/severance"
    assert data["poster_url"] == f"{FAKE_TMDB_IMAGE}/fake-tv-95396.jpg"

    fake.scenario(simkl_library={"anime": [simkl_show("Your Name", "2026-08-02T10:00:00Z", None, 13, tmdb=372058,
                                                        anime_type="movie")]})
    proc2 = start(fake, responder, "simkl")
    data = ok_data(proc2.request(path=WATCH))
    assert data is not None and list(data) == DATA_KEYS_MOVIE
    assert data["type"] == "movie" and data["poster_url"] == f"{FAKE_TMDB_IMAGE}/fake-movie-372058.jpg"


@pytest.mark.parametrize("shape", ["empty", "null", "{}"])
def test_simkl_empty_library(fake: FakeUpstream, responder: StartResponder, shape: str) -> None:
    fake.scenario(simkl_library={}, simkl_empty_as=shape)
    proc = start(fake, responder, "simkl")
    assert ok_data(proc.request(path=WATCH)) is None


def test_simkl_unicode_title_and_missing_poster(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(simkl_library={"movies": [simkl_movie("Amélie & <進撃>", "2026-08-01T00:00:00Z", 5)]})
    proc = start(fake, responder, "simkl")
    response = proc.request(path=WATCH)
    data = ok_data(response)
    assert data is not None and data["title"] == "Amélie & <進撃>" and data["poster_url"] is None
    assert b"\\u003c" in response.body  # escaped for careless HTML inlining, as on the Trakt route


def test_simkl_sends_identification_token_and_user_agent(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "simkl")
    ok_data(proc.request(path=WATCH))
    for logged in fake.requests(prefix="/sync"):
        assert logged["params"]["client_id"] == "test-simkl-client-id"
        assert logged["params"]["app-name"] == "trakt-widget" and logged["params"]["app-version"]
        assert logged["headers"]["authorization"] == "Bearer test-simkl-token-XYZ"
        assert logged["headers"]["user-agent"].startswith("trakt-widget/")


def test_trakt_route_points_simkl_deployments_to_watch_last(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "simkl")
    response = proc.request(path="/api/trakt/last")
    assert response.status == 404
    answer = body(response)
    assert answer["code"] == "NOT_FOUND" and "/api/watch/last" in answer["error"]
    health = body(proc.request(path="/api/watch/health"))
    assert health["provider"] == "simkl" and health["token"]["state"] == "valid"


# --- Simkl: politeness and tokens ----------------------------------------------------------------------------


def test_simkl_reads_the_library_once_then_only_on_activity_and_never_after_restart(
        fake: FakeUpstream, responder: StartResponder, tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = responder({**provider_overrides("simkl", fake.url), "CACHE_TTL": "1"}, state_dir=state)
    ok_data(proc.request(path=WATCH))
    # Several refreshes with nothing new: activities each time, all-items never again.
    for n in range(2, 5):
        wait_until(lambda: (proc.request(path=WATCH), fake.count("/sync/activities") >= n)[1], 15, f"refresh {n}")
    assert fake.simkl()["all_items_calls"] == 1

    # One new watch: exactly one more all-items read, a delta from the last seen activity.
    library = json.loads((Path(__file__).resolve().parents[1] / "Fixtures" / "simkl-sync-all-items.json").read_text())
    library["movies"].append(simkl_movie("Heat", "2026-08-02T10:00:00Z", 99, tmdb=949))
    fake.scenario(simkl_library=library)
    wait_until(lambda: (data := ok_data(proc.request(path=WATCH))) is not None and data["title"] == "Heat", 15,
               "the new watch")
    assert fake.simkl()["all_items_calls"] == 2
    delta = fake.requests(path="/sync/all-items/")[-1]
    assert delta["params"]["date_from"] == "2016-10-29T09:03:45Z"

    # A restart finds the persisted activities and item: no library read at all.
    proc.stop()
    proc.cleanup()
    again = responder({**provider_overrides("simkl", fake.url), "CACHE_TTL": "1"}, state_dir=state)
    assert ok_data(again.request(path=WATCH))["title"] == "Heat"  # type: ignore[index]
    calls = fake.count("/sync/activities")
    wait_until(lambda: (again.request(path=WATCH), fake.count("/sync/activities") > calls)[1], 15, "a refresh")
    record = fake.simkl()
    assert (record["all_items_calls"], record["needless_all_items"], record["suspended"]) == (2, 0, False)


def test_simkl_revoked_token_serves_stale_and_says_reauth(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "simkl", CACHE_TTL="1")
    first = ok_data(proc.request(path=WATCH))
    fake.scenario(simkl_revoked=True)
    wait_until(lambda: body(proc.request(path=WATCH)).get("stale") is True, 15, "stale data")
    assert ok_data(proc.request(path=WATCH)) == first
    health = body(proc.request(path="/api/watch/health"))
    assert health["upstream"]["last_error_code"] == "REAUTH_REQUIRED"
    assert health["token"]["state"] == "reauth_required"


def test_simkl_revoked_while_cold_is_reauth_required(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(simkl_revoked=True)
    proc = start(fake, responder, "simkl")
    response = proc.request(path=WATCH)
    assert response.status == 503 and body(response)["code"] == "REAUTH_REQUIRED"
    assert "--provider simkl" in body(response)["error"]


# --- Letterboxd ---------------------------------------------------------------------------------------------


def test_letterboxd_movie_with_day_precision_rating_and_rewatch(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "letterboxd")
    response = proc.request(path=WATCH)
    data = ok_data(response)
    assert data is not None and list(data) == DATA_KEYS_MOVIE
    assert data == {
        "type": "movie", "title": "Toy Story 4", "year": 2019, "poster_url": f"{FAKE_TMDB_IMAGE}/fake-movie-301528.jpg",
        "url": "https://letterboxd.com/dave/film/toy-story-4/1/", "watched_at": "2026-06-25",
    }
    answer = body(response)
    assert (answer["provider"], answer["rating"], answer["rewatch"]) == ("letterboxd", 3.5, True)
    health = body(proc.request(path="/api/watch/health"))
    assert health["provider"] == "letterboxd" and health["last_watched"] == "watched on 25 Jun"


def test_letterboxd_entities_unicode_lists_and_missing_poster(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(letterboxd_items=[
        {"list": True, "title": "A list", "guid": "letterboxd-list-1", "pub_date": "Sun, 02 Aug 2026 12:00:00 +0000"},
        {"title_xml": "Schindler&amp;#039;s List &#8211; Léon", "year": 1993, "watched_date": "2026-08-01",
         "guid": "letterboxd-watch-2"},
        {"title": "Older", "watched_date": "2026-07-01", "tmdb_id": 5, "guid": "letterboxd-watch-3"},
    ])
    proc = start(fake, responder, "letterboxd")
    data = ok_data(proc.request(path=WATCH))
    assert data is not None
    assert data["title"] == "Schindler's List – Léon" and data["poster_url"] is None
    assert data["watched_at"] == "2026-08-01"


def test_letterboxd_empty_feed(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(letterboxd_items=[])
    assert ok_data(start(fake, responder, "letterboxd").request(path=WATCH)) is None


def test_letterboxd_revalidates_with_one_conditional_get(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = start(fake, responder, "letterboxd", CACHE_TTL="1")
    first = proc.request(path=WATCH)
    ok_data(first)
    wait_until(lambda: (proc.request(path=WATCH), fake.count("/dave/rss/") >= 3)[1], 15, "two revalidations")
    feed = fake.requests(path="/dave/rss/")
    assert [r["status"] for r in feed][:3] == [200, 304, 304]
    assert feed[1]["headers"]["if-none-match"] and feed[1]["headers"]["if-modified-since"]
    later = proc.request(path=WATCH)
    assert later.body == first.body and later.headers["ETag"] == first.headers["ETag"]
    assert fake.count("/3/movie/301528") == 1  # the poster is not looked up again on a 304


# --- Faults: the same as Trakt's ----------------------------------------------------------------------------

FAULTS = [
    ("5xx", {"kind": "status", "status": 502, "json": {"error": "bad gateway"}}),
    ("hang", {"kind": "hang", "seconds": 30}),
    ("429", {"kind": "rate_limit", "retry_after": 120}),
    ("malformed", {"kind": "malformed", "status": 200}),
    ("cloudflare", {"kind": "html403"}),
]
PREFIX = {"simkl": "/sync", "letterboxd": "/dave"}


@pytest.mark.parametrize("provider", ["simkl", "letterboxd"])
@pytest.mark.parametrize("name,fault", FAULTS, ids=[name for name, _ in FAULTS])
def test_fault_while_cold_is_503(fake: FakeUpstream, responder: StartResponder, provider: str, name: str,
                                 fault: dict[str, Any]) -> None:
    if provider == "letterboxd" and name == "malformed":
        fault = {"kind": "status", "status": 200, "body": "<rss><channel><item>", "content_type": "application/rss+xml"}
    fake.fault(prefix=PREFIX[provider], **fault)
    proc = start(fake, responder, provider, UPSTREAM_TIMEOUT="2")
    response = proc.request(path=WATCH, timeout=30)
    assert response.status == 503, response.body
    assert body(response)["code"] == "UPSTREAM_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) >= (120 if name == "429" else 1)


@pytest.mark.parametrize("provider", ["simkl", "letterboxd"])
@pytest.mark.parametrize("name,fault", FAULTS, ids=[name for name, _ in FAULTS])
def test_fault_while_warm_serves_stale(fake: FakeUpstream, responder: StartResponder, provider: str, name: str,
                                       fault: dict[str, Any]) -> None:
    proc = start(fake, responder, provider, CACHE_TTL="1", UPSTREAM_TIMEOUT="2")
    good = ok_data(proc.request(path=WATCH))
    if provider == "simkl":
        # The check call must move for all-items to be read; fault both so either one fails.
        fake.scenario(simkl_activities={"movies": {"all": "2030-01-01T00:00:00Z"}})
    fake.fault(prefix=PREFIX[provider], **fault)
    # Past TTL + grace the answer is stale anyway; wait for the refresh (a request starts one) to fail.
    def refresh_failed() -> bool:
        proc.request(path=WATCH)
        return bool(body(proc.request(path="/api/watch/health"))["upstream"]["last_error_code"])

    wait_until(refresh_failed, 30, "the failed refresh", interval=0.2)
    answer = body(proc.request(path=WATCH))
    assert answer["stale"] is True and answer["data"] == good


@pytest.mark.parametrize("provider", ["simkl", "letterboxd"])
def test_stampede_makes_one_fetch_set(fake: FakeUpstream, responder: StartResponder, provider: str) -> None:
    fake.scenario(latency_ms=300)
    proc = start(fake, responder, provider, CACHE_TTL="300")
    answers = fcgi_concurrent(proc.sock, 50, path=WATCH, timeout=30)
    assert {a.status for a in answers} == {200}
    assert len({a.body for a in answers}) == 1
    counts = fake.counters()
    if provider == "simkl":
        assert (counts.get("/sync/activities"), counts.get("/sync/all-items/")) == (1, 1), counts
    else:
        assert counts.get("/dave/rss/") == 1, counts


# --- Simkl PIN flow (`trakt-widget auth --provider simkl`) -------------------------------------------------


def auth_env(fake: FakeUpstream, state: Path) -> dict[str, str]:
    overrides = provider_overrides("simkl", fake.url)
    overrides["SIMKL_ACCESS_TOKEN"] = None
    return responder_env(fake.url, state, "unused", overrides)


def test_pin_flow_pending_twice_then_ok_stores_the_token(fake: FakeUpstream, responder: StartResponder,
                                                         tmp_path: Path) -> None:
    require_binary()
    fake.scenario(simkl_pin_interval=1)
    fake.simkl(["pending", "pending", "ok"])
    state = tmp_path / "state"
    state.mkdir()
    result = run_cli(["auth", "--provider", "simkl"], auth_env(fake, state), tmp_path, timeout=30)
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert "simkl.com/pin" in out and fake.simkl()["polls"] == 3
    assert "test-simkl-token-XYZ" not in out + result.stderr.decode()
    # The stored token is what a responder without SIMKL_ACCESS_TOKEN uses.
    overrides = provider_overrides("simkl", fake.url)
    overrides["SIMKL_ACCESS_TOKEN"] = None
    proc = responder(overrides, state_dir=state)
    assert ok_data(proc.request(path=WATCH)) is not None


def test_pin_flow_stops_when_the_code_is_gone(fake: FakeUpstream, tmp_path: Path) -> None:
    require_binary()
    fake.scenario(simkl_pin_interval=1)
    fake.simkl(["pending", "gone"])
    result = run_cli(["auth", "--provider", "simkl"], auth_env(fake, tmp_path), tmp_path, timeout=30)
    assert result.returncode == 5, result.stdout.decode() + result.stderr.decode()
    assert "no longer valid" in result.stdout.decode()


def test_pin_flow_gives_up_when_the_code_expires(fake: FakeUpstream, tmp_path: Path) -> None:
    require_binary()
    fake.scenario(simkl_pin_interval=1, simkl_pin_expires_in=3)
    fake.simkl(["pending"])
    result = run_cli(["auth", "--provider", "simkl"], auth_env(fake, tmp_path), tmp_path, timeout=30)
    assert result.returncode == 4, result.stdout.decode() + result.stderr.decode()
    assert "expired" in result.stdout.decode()


# --- Trakt on /api/watch/last, and nginx in front of the new paths ---------------------------------------


def test_trakt_watch_last_is_the_same_item_with_url(fake: FakeUpstream, responder: StartResponder) -> None:
    proc = responder()
    trakt = json.loads(proc.request(path="/api/trakt/last").body)
    watch = body(proc.request(path=WATCH))
    assert "provider" not in trakt and watch["provider"] == "trakt"
    assert watch["data"]["url"] == trakt["data"]["trakt_url"] and watch["data"]["url"]
    assert {k: v for k, v in watch["data"].items() if k != "url"} == \
        {k: v for k, v in trakt["data"].items() if k != "trakt_url"}
    assert (watch["rating"], watch["rewatch"]) == (None, None)
    assert list(watch["data"]) == [k if k != "trakt_url" else "url" for k in trakt["data"]]


def test_nginx_treats_watch_paths_like_the_trakt_ones(fake: FakeUpstream, make_stack: Callable[..., Any]) -> None:
    stack = make_stack(provider_overrides("letterboxd", fake.url))
    origin = "http://allowed.test"
    first = stack.request(WATCH, headers={"Origin": origin})
    second = stack.request(WATCH, headers={"Origin": origin})
    assert first.status == second.status == 200
    assert first.headers["X-Cache-Status"] == "MISS" and second.headers["X-Cache-Status"] == "HIT"
    assert second.headers.get_all("Access-Control-Allow-Origin") == [origin]
    preflight = stack.request(WATCH, method="OPTIONS", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == origin
    health = stack.request("/api/watch/health")
    assert health.status == 200 and health.json()["provider"] == "letterboxd"
    assert "X-Cache-Status" not in health.headers or health.headers["X-Cache-Status"] == ""
    # The rate limit covers the new path too: one client address, a burst well over 5 r/s + 10.
    statuses = [stack.request(WATCH, source="127.9.9.9").status for _ in range(30)]
    assert 429 in statuses and statuses[0] == 200
    assert stack.request("/api/watch/nope").status == 404
    assert fake.count("/dave/rss/") == 1
