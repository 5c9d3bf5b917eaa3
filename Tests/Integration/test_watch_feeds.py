"""`/api/watch/history?limit=N` and the `watching` addition to `/api/trakt/last` and `/api/watch/last`,
through nginx and the real responder, against the fake Trakt (mixed history, `/users/{id}/watching`).
Also the politeness promise: a refresh with nothing changed costs Trakt two calls."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from harness import wait_until
from harness.widget_site import trakt_episode, trakt_movie

ITEM_KEYS = ["type", "title", "year", "poster_url", "url", "watched_at"]
EPISODE_KEYS = ["type", "title", "show_title", "season", "episode", "year", "poster_url", "url", "watched_at"]


def iso(**delta: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ordered(body: bytes) -> list[tuple[str, Any]]:
    return json.loads(body, object_pairs_hook=lambda pairs: pairs)


def mixed(count: int, newest: str = "movie") -> tuple[list[dict], list[dict]]:
    """`count` items alternating movie/episode, one hour apart, `newest` first."""
    movies, episodes = [], []
    for n in range(count):
        kind = newest if n % 2 == 0 else ("episode" if newest == "movie" else "movie")
        if kind == "movie":
            movies.append(trakt_movie(iso(hours=-(n + 1)), title=f"Film {n}", tmdb=500 + n))
        else:
            episodes.append(trakt_episode(iso(hours=-(n + 1)), title=f"Episode {n}", number=n + 1, show_tmdb=900 + n))
    return movies, episodes


def watching_movie(started: float = -10, ends: float = 80) -> dict:
    return {"started_at": iso(minutes=started), "expires_at": iso(minutes=ends), "action": "checkin", "type": "movie",
            "movie": {"title": "Super 8", "year": 2011, "ids": {"trakt": 2, "slug": "super-8-2011", "tmdb": 37686}}}


def watching_episode() -> dict:
    return {"started_at": iso(minutes=-5), "expires_at": iso(minutes=40), "action": "scrobble", "type": "episode",
            "episode": {"season": 0, "number": 2, "title": "Wedding Day", "ids": {"trakt": 2, "tmdb": 62133}},
            "show": {"title": "Breaking Bad", "year": 2008, "ids": {"trakt": 1, "slug": "breaking-bad", "tmdb": 1396}}}


@pytest.mark.parametrize("limit", [1, 5, 10])
def test_history_limits(fake, make_stack, limit):
    movies, episodes = mixed(12)
    fake.scenario(movies=movies, episodes=episodes)
    stack = make_stack()
    response = stack.request(f"/api/watch/history?limit={limit}")
    assert response.status == 200 and response.headers["Content-Type"] == "application/json; charset=utf-8"
    pairs = ordered(response.body)
    assert [k for k, _ in pairs] == ["ok", "data", "provider", "cached_at"]
    body = response.json()
    assert body["ok"] is True and body["provider"] == "trakt"
    assert [i["title"] for i in body["data"]] == [
        f"Film {n}" if n % 2 == 0 else f"Episode {n}" for n in range(limit)], "newest first"
    for item, item_pairs in zip(body["data"], dict(pairs)["data"]):
        keys = [k for k, _ in item_pairs]
        assert keys == (EPISODE_KEYS if item["type"] == "episode" else ITEM_KEYS)
        assert item["poster_url"], "every item has its poster"
    # One mixed history call, always with an explicit limit.
    calls = [r for r in fake.requests() if r["path"] == "/sync/history"]
    assert len(calls) == 1 and calls[0]["params"] == {"limit": "10"}


def test_history_default_is_five_and_etag(fake, make_stack):
    movies, episodes = mixed(8)
    fake.scenario(movies=movies, episodes=episodes)
    stack = make_stack()
    response = stack.request("/api/watch/history")
    assert len(response.json()["data"]) == 5
    again = stack.request("/api/watch/history?limit=5", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


@pytest.mark.parametrize("query", ["limit=0", "limit=11", "limit=-1", "limit=five", "limit=1e1"])
def test_history_out_of_range_is_a_json_400(fake, make_stack, query):
    stack = make_stack()
    stack.request("/api/watch/history")  # warm
    before = sum(fake.counters().values())
    response = stack.request(f"/api/watch/history?{query}")
    assert response.status == 400 and response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body == {"ok": False, "code": "INVALID_PARAMETER", "error": body["error"]} and "`limit`" in body["error"]
    assert sum(fake.counters().values()) == before


def test_mixed_list_whose_newest_is_an_episode(fake, make_stack):
    movies, episodes = mixed(6, newest="episode")
    fake.scenario(movies=movies, episodes=episodes)
    stack = make_stack()
    data = stack.request("/api/watch/history?limit=6").json()["data"]
    assert [i["type"] for i in data] == ["episode", "movie"] * 3
    assert data[0]["show_title"] == "Severance" and data[0]["title"] == "Episode 0" and data[0]["episode"] == 1
    assert data[0]["poster_url"].endswith("/fake-tv-900.jpg"), "an episode's poster is its show's"
    last = stack.request("/api/watch/last").json()["data"]
    assert last == data[0], "the last item is the list's first"


def test_watching_is_null_when_idle(fake, make_stack):
    stack = make_stack()
    for path in ("/api/trakt/last", "/api/watch/last"):
        pairs = ordered(stack.request(path).body)
        assert [k for k, _ in pairs][:3] == ["ok", "data", "watching"]
        assert dict(pairs)["watching"] is None


@pytest.mark.parametrize("playing, keys", [
    (watching_movie, ["type", "title", "year", "poster_url", "{link}", "started_at", "expires_at", "action"]),
    (watching_episode, ["type", "title", "show_title", "season", "episode", "year", "poster_url", "{link}",
                        "started_at", "expires_at", "action"]),
])
def test_watching_is_the_item_shape_plus_its_window(fake, make_stack, playing, keys):
    body = playing()
    fake.scenario(watching=body)
    stack = make_stack()
    for path, link in (("/api/trakt/last", "trakt_url"), ("/api/watch/last", "url")):
        response = stack.request(path)
        pairs = dict(ordered(response.body))
        watching = pairs["watching"]
        assert [k for k, _ in watching] == [k.replace("{link}", link) for k in keys]
        watching = dict(watching)
        assert watching["started_at"] == body["started_at"] and watching["expires_at"] == body["expires_at"]
        assert watching["action"] == body["action"]
        assert watching["poster_url"], "the playing item has its poster"
        data = response.json()["data"]
        assert data["title"] == "The Dark Knight", "data is still the last watched item"


def test_watching_changes_are_picked_up_each_refresh(fake, make_stack):
    stack = make_stack({"CACHE_TTL": 1})
    assert stack.request("/api/watch/last").json()["watching"] is None
    fake.scenario(watching=watching_movie())
    wait_until(lambda: (stack.request("/api/watch/last").json()["watching"] or {}).get("title") == "Super 8",
               10, "the movie being watched")
    fake.scenario(watching=watching_episode())
    wait_until(lambda: (stack.request("/api/watch/last").json()["watching"] or {}).get("show_title") == "Breaking Bad",
               10, "the episode being watched")
    fake.scenario(watching=None)
    wait_until(lambda: stack.request("/api/watch/last").json()["watching"] is None, 10, "idle again")


def test_an_unchanged_refresh_costs_two_trakt_calls(fake, make_stack):
    stack = make_stack({"CACHE_TTL": 1})
    stack.request("/api/watch/card.svg")
    stack.request("/api/watch/history")
    cold = fake.counters()
    assert cold.get("/sync/history") == 1 and cold.get("/users/me/watching") == 1
    # Later refreshes (each started by a request that finds the result expired): nothing changed
    # upstream, so only the change check and watching are asked.
    before = cold
    wait_until(lambda: stack.request("/api/watch/last") and fake.counters().get("/users/me/watching", 0) >= 3,
               15, "two more refreshes")
    after = fake.counters()
    trakt = {p: after.get(p, 0) - before.get(p, 0) for p in after if not p.startswith(("/3/", "/t/"))}
    refreshes = trakt.get("/users/me/watching", 0)
    assert trakt.get("/sync/history", 0) == 0, trakt
    assert sum(trakt.values()) == 2 * refreshes, trakt
    assert trakt.get("/sync/last_activities", 0) == refreshes, trakt
    assert not any(p.startswith("/3/") for p in after if after[p] != cold.get(p)), "no TMDB call either"


def test_watching_failure_is_served_stale_never_fresh(fake, make_stack):
    stack = make_stack({"CACHE_TTL": 1})
    assert stack.request("/api/watch/last").json().get("stale") is None
    fake.fault("status", prefix="/users/me/watching", status=503, json={"error": "down"})
    wait_until(lambda: stack.request("/api/watch/last").json().get("stale") is True, 15, "a stale answer")
    fake.clear_faults()
    wait_until(lambda: stack.request("/api/watch/last").json().get("stale") is None, 20, "fresh again")
