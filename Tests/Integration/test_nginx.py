"""The whole chain: a real unprivileged nginx with the SHIPPED locations file, the real responder
binary, and the fake Trakt/TMDB upstream; plus the responder started from an inherited socket
(systemd socket activation on fd 3, and a listener on fd 0 as spawn-fcgi / StandardInput=socket).

How the tests see what nginx did: besides X-Cache-Status, nginx writes an extra access log
(harness.UPSTREAM_LOG_HTTP, with log_subrequest on) that records, for every request and every
background cache update, the upstream status and address. "nginx asked the responder and got a 503,
and the client still got the stale 200" is then something a test can check, not guess.

Rate limiting is per client address, so every request except the burst test comes from a loopback
address of its own (127.x.y.z). Timing is by polling with deadlines (harness.wait_until), never by sleeping
for a fixed time; CACHE_TTL=1 or 2 makes the responder's max-age 1 s, so entries expire quickly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from harness import (TEST_ORIGINS, UPSTREAM_LOG_HTTP, FakeUpstream, Nginx, Responder, Response, Stack,
                     fcgi_request, fresh_source, http_request, responder_env, socket_activate_path, wait_until)
from harness.fixtures import require_binary

JSON_TYPE = "application/json; charset=utf-8"
LAST = "/api/trakt/last"
HEALTH = "/api/trakt/health"
ALLOWED, ALLOWED_2 = TEST_ORIGINS
FOREIGN = "https://evil.example.net"
STALE_STATES = {"STALE", "UPDATING", "EXPIRED"}
# Generous: two cores are shared with other test runs. The happy path takes a fraction of these.
DEADLINE = 20.0
# Polls through nginx go at 10 a second at most: every check is an HTTP request on a shared machine.
POLL_S = 0.1


# --- stack -----------------------------------------------------------------------------------------------


@pytest.fixture
def e2e(make_stack: Callable[..., Stack]) -> Callable[..., Stack]:
    """start(ttl=None, **env) -> nginx (shipped config + upstream log) in front of a new responder."""

    def start(ttl: int | None = None, **env: Any) -> Stack:
        overrides = dict(env)
        if ttl is not None:
            overrides["CACHE_TTL"] = ttl
        return make_stack(overrides, extra_http=UPSTREAM_LOG_HTTP)

    return start


@pytest.fixture
def activated(fake: FakeUpstream, tmp_path: Path) -> Iterator[Callable[..., Responder]]:
    """start(how) -> a responder handed a listening socket ("socket-activate" or "stdin"). Teardown only
    kills: until its first connection a socket-activated one is still systemd-socket-activate."""
    started: list[Responder] = []

    def start(how: str) -> Responder:
        workdir = tmp_path / f"activated{len(started)}"
        state = workdir / "state"
        state.mkdir(parents=True)
        env = responder_env(fake.url, state, fake.tokens()["refresh_token"])
        proc = Responder(require_binary(), env, workdir, via=how, workers=2)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.cleanup()


# --- assertions ------------------------------------------------------------------------------------------


def assert_last_ok(r: Response) -> dict[str, Any]:
    assert r.status == 200, (r.status, r.body)
    assert r.headers.get("Content-Type") == JSON_TYPE
    body = r.json()
    assert body["ok"] is True and body["data"]["type"] in ("movie", "episode"), body
    return body


def assert_json_error(r: Response, status: int, code: str) -> dict[str, Any]:
    assert r.status == status, (r.status, r.headers, r.body)
    assert r.headers.get("Content-Type") == JSON_TYPE, r.headers
    body = r.json()
    assert body["ok"] is False and body["code"] == code and body["error"], body
    return body


def movie_item(title: str, watched_at: str, tmdb: int = 603) -> dict[str, Any]:
    return {"id": 77, "watched_at": watched_at, "action": "watch", "type": "movie",
            "movie": {"title": title, "year": 1999,
                      "ids": {"trakt": 481, "slug": "the-matrix-1999", "imdb": "tt0133093", "tmdb": tmdb}}}


# --- socket activation -----------------------------------------------------------------------------------


def test_systemd_socket_activation_serves_on_fd3(activated: Callable[..., Responder]) -> None:
    if socket_activate_path() is None:
        pytest.fail("systemd-socket-activate is not installed (apt-get install systemd)", pytrace=False)
    app = activated("socket-activate")
    binary = os.path.realpath(require_binary())
    # Nothing runs until the first connection: the socket is the activator's.
    assert app.executable() != binary, "the app started before any connection"

    r = fcgi_request(app.sock, timeout=30)
    assert r.status == 200, (r.status, r.body, app.log_text())
    assert r.headers.get("Content-Type") == JSON_TYPE
    assert r.json()["ok"] is True and r.json()["data"]["title"]
    assert app.executable() == binary, "the activator should have exec'd the app in place"

    # Same process, same socket, more requests (health too).
    health = fcgi_request(app.sock, path=HEALTH)
    assert health.status == 200 and health.json()["ok"] is True, health.body
    assert app.alive()
    assert app.stop() == 0, app.log_text()


@pytest.mark.parametrize("how", ["spawn-fcgi", "stdin"])
def test_listening_socket_on_fd0(how: str, activated: Callable[..., Responder],
                                 responder: Callable[..., Responder]) -> None:
    if how == "spawn-fcgi":
        app: Any = responder(via="spawn-fcgi")      # spawn-fcgi -s SOCK -- BIN serve: listener on fd 0
    else:
        app = activated("stdin")                    # our own listener handed over as stdin
    r = fcgi_request(app.sock, timeout=30)
    assert r.status == 200, (r.status, r.body, app.log_text())
    assert r.headers.get("Content-Type") == JSON_TYPE
    assert r.json()["ok"] is True and r.json()["data"]["title"]
    assert app.stop() == 0, app.log_text()


def test_nginx_in_front_of_a_socket_activated_responder(activated: Callable[..., Responder],
                                                        nginx: Callable[..., Nginx]) -> None:
    """Production topology: nginx connects to systemd's socket and its first request starts the app."""
    if socket_activate_path() is None:
        pytest.fail("systemd-socket-activate is not installed", pytrace=False)
    app = activated("socket-activate")
    server = nginx(app.sock)
    assert app.executable() != os.path.realpath(require_binary())
    r = http_request(server.base_url + LAST, source=fresh_source())
    assert_last_ok(r)
    assert r.cache_status == "MISS"
    assert app.executable() == os.path.realpath(require_binary())
    assert app.stop() == 0, app.log_text()


# --- nginx cache -----------------------------------------------------------------------------------------


def test_cache_miss_hit_stale_then_refreshed(e2e: Callable[..., Stack]) -> None:
    stack = e2e(ttl=2)     # responder max-age = 1 s
    first = stack.request()
    body = assert_last_ok(first)
    assert first.cache_status == "MISS"
    assert first.headers.get("Cache-Control", "").startswith("public, max-age=")

    seen: list[str] = []

    def expired() -> bool:
        r = stack.request()
        assert r.status == 200 and r.body == first.body, (r.status, r.body)  # same entry throughout
        seen.append(r.cache_status)
        return seen[-1] in STALE_STATES

    wait_until(expired, DEADLINE, "an expired cache entry", interval=POLL_S)
    assert "HIT" in seen, f"no HIT between the MISS and expiry: {seen}"
    assert seen.index("HIT") < len(seen) - 1 and seen[-1] in STALE_STATES, seen
    assert set(seen) <= {"HIT"} | STALE_STATES, seen

    # The stale answer started a background update; the refreshed entry is a HIT again. The data did
    # not change, so nginx revalidated with If-None-Match and the responder said 304.
    wait_until(lambda: stack.request().cache_status == "HIT", DEADLINE, "a HIT after the background update", interval=POLL_S)
    assert any(line.uri == LAST and line.reached_responder and line.upstream_status == "304"
               and line.cache == "REVALIDATED" for line in stack.upstream_log()), stack.upstream_log()

    # A change upstream reaches the client through both caches.
    stack.fake.scenario(movies=[movie_item("The Matrix", "2030-01-01T00:00:00.000Z")], episodes=[])

    def new_title() -> bool:
        r = stack.request()
        assert r.status == 200, (r.status, r.body)
        return r.json()["data"]["title"] == "The Matrix"

    wait_until(new_title, DEADLINE, "the new title through nginx", interval=POLL_S)
    assert body["data"]["title"] != "The Matrix"


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_responder_down_nginx_serves_stale(stop: str, e2e: Callable[..., Stack]) -> None:
    stack = e2e(ttl=1)
    first = stack.request()
    assert_last_ok(first)
    assert first.cache_status == "MISS"

    if stop == "sigterm":
        assert stack.responder.stop() == 0, stack.responder.log_text()
    else:
        stack.responder.kill9()
    # Proof that the responder is gone: the uncached health endpoint fails through nginx.
    assert_json_error(stack.request(HEALTH), 502, "BACKEND_UNAVAILABLE")

    statuses: list[str] = []

    def stale_served() -> bool:
        r = stack.request()
        assert r.status == 200, (r.status, r.body, statuses)
        assert r.headers.get("Content-Type") == JSON_TYPE
        assert r.body == first.body
        statuses.append(r.cache_status)
        return statuses[-1] == "STALE"

    wait_until(stale_served, DEADLINE, "X-Cache-Status STALE with the responder down", interval=POLL_S)
    assert set(statuses) <= {"HIT", "STALE", "UPDATING"}, statuses
    # nginx did try the dead responder for the refresh, and still answers from the stale entry.
    wait_until(lambda: any(line.uri == LAST and line.reached_responder and line.upstream_status.startswith("502")
                     for line in stack.upstream_log()), DEADLINE, "a failed background update in the log", interval=POLL_S)
    for _ in range(3):
        r = stack.request()
        assert r.status == 200 and r.body == first.body and r.cache_status in ("STALE", "UPDATING"), \
            (r.status, r.cache_status, r.body)


def test_responder_answering_503_nginx_serves_stale(e2e: Callable[..., Stack],
                                                      responder: Callable[..., Responder]) -> None:
    stack = e2e(ttl=1)
    first = stack.request()
    assert_last_ok(first)
    assert first.cache_status == "MISS"

    # Responder #1 goes; #2 takes over the socket with an empty state dir while Trakt is failing, so it
    # has nothing to serve and answers 503 UPSTREAM_UNAVAILABLE.
    assert stack.responder.stop() == 0, stack.responder.log_text()
    stack.fake.fault("status", prefix="/", status=500, json={"error": "server_error"})
    second = responder({"CACHE_TTL": 1}, sock=stack.responder.sock)  # on its predecessor's socket path
    direct = fcgi_request(second.sock, timeout=30)
    assert direct.status == 503, (direct.status, direct.body, second.log_text())
    assert direct.json()["code"] == "UPSTREAM_UNAVAILABLE"
    assert direct.headers.get("Cache-Control") == "no-store"

    statuses: list[str] = []

    def stale_served() -> bool:
        r = stack.request()
        assert r.status == 200 and r.body == first.body, (r.status, r.body, statuses)
        statuses.append(r.cache_status)
        return statuses[-1] == "STALE"

    wait_until(stale_served, DEADLINE, "X-Cache-Status STALE while the responder answers 503", interval=POLL_S)
    wait_until(lambda: any(line.uri == LAST and line.reached_responder and line.upstream_status == "503"
                     for line in stack.upstream_log()), DEADLINE, "a 503 from the responder in the log", interval=POLL_S)
    # The 503 (no-store) did not replace the entry: clients keep getting the last good body.
    for _ in range(3):
        r = stack.request()
        assert r.status == 200 and r.body == first.body and r.cache_status in ("STALE", "UPDATING"), \
            (r.status, r.cache_status, r.body)
        assert r.headers.get("Content-Type") == JSON_TYPE
    # The responder's own 503 on the uncached health endpoint passes through untouched (no nginx
    # error page in its place: fastcgi_intercept_errors is off).
    health = stack.request(HEALTH)
    assert health.status == 503 and health.headers.get("Content-Type") == JSON_TYPE, (health.status, health.body)
    assert health.json()["ok"] is False and health.json()["mode"] == "oauth", health.body


def test_cold_cache_503_passes_through_and_is_not_cached(e2e: Callable[..., Stack]) -> None:
    stack = e2e(ttl=1)
    stack.fake.fault("status", prefix="/", status=500, json={"error": "server_error"})
    r = stack.request()
    body = assert_json_error(r, 503, "UPSTREAM_UNAVAILABLE")
    assert "Trakt" in body["error"]           # the responder's message, not nginx's generic 503 page
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers.get_all("Cache-Control") == ["no-store"], r.headers
    assert r.cache_status == "MISS"

    # Trakt recovers: the next answers come from the responder again, not from a cached 503.
    stack.fake.clear_faults()

    def recovered() -> bool:
        r = stack.request()
        assert r.status in (200, 503), (r.status, r.body)
        return r.status == 200 and r.json()["ok"] is True

    wait_until(recovered, DEADLINE, "a 200 after Trakt recovered", interval=POLL_S)


def test_query_string_does_not_bypass_the_cache(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    first = stack.request()
    assert_last_ok(first)
    for path in (LAST + "?x=1", LAST + "?cb=1700000000", LAST + "?"):
        r = stack.request(path)
        assert r.status == 200 and r.body == first.body and r.cache_status == "HIT", (path, r.cache_status)
    contacts = [line for line in stack.upstream_log() if line.uri == LAST and line.reached_responder]
    assert len(contacts) == 1, contacts


def test_head_first_does_not_give_get_an_empty_body(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    head = stack.request(method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers.get("Content-Type") == JSON_TYPE
    assert head.cache_status == "MISS"

    get = stack.request()
    body = assert_last_ok(get)
    assert len(get.body) > 0 and body["data"]["title"]
    assert get.cache_status == "MISS", "the GET was answered from the HEAD's (body-less) entry"
    assert int(get.headers["Content-Length"]) == len(get.body)

    again = stack.request()
    assert again.cache_status == "HIT" and again.body == get.body
    head_again = stack.request(method="HEAD")
    assert head_again.cache_status == "HIT" and head_again.body == b""
    if "Content-Length" in head_again.headers:
        assert int(head_again.headers["Content-Length"]) == len(get.body)


def test_etag_if_none_match_gives_304(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    first = stack.request()
    assert_last_ok(first)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    for candidate in (etag, "W/" + etag, f'"nope", {etag}', "*"):
        r = stack.request(headers={"If-None-Match": candidate})
        assert r.status == 304, (candidate, r.status, r.body)
        assert r.body == b""
        assert r.headers.get("ETag") == etag
    other = stack.request(headers={"If-None-Match": '"not-the-etag"'})
    assert other.status == 200 and other.body == first.body

    # What a browser does: gzip makes nginx weaken the ETag, and the weak tag revalidates.
    gzipped = stack.request(headers={"Accept-Encoding": "gzip"})
    assert gzipped.status == 200 and gzipped.headers.get("Content-Encoding") == "gzip"
    assert gzipped.headers.get("ETag") == "W/" + etag
    r = stack.request(headers={"Accept-Encoding": "gzip", "If-None-Match": gzipped.headers["ETag"]})
    assert r.status == 304 and r.body == b"", (r.status, r.body)


def test_if_none_match_on_a_cold_cache_does_not_poison_it(e2e: Callable[..., Stack]) -> None:
    """A conditional request that fills the cache must not leave a body-less 304 for everyone else."""
    stack = e2e()
    etag = fcgi_request(stack.responder.sock).headers["ETag"]
    conditional = stack.request(headers={"If-None-Match": etag})
    assert conditional.status in (200, 304), conditional.status
    assert conditional.cache_status == "MISS"
    plain = stack.request()
    assert_last_ok(plain)
    assert plain.headers.get("ETag") == etag


# --- CORS ------------------------------------------------------------------------------------------------


def test_cors_allowed_origin_echoed_foreign_origin_not(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    # The entry is filled by a foreign origin; CORS is added after the cache, per request.
    foreign = stack.request(headers={"Origin": FOREIGN})
    assert_last_ok(foreign)
    assert foreign.cache_status == "MISS"
    assert "Access-Control-Allow-Origin" not in foreign.headers, foreign.headers
    assert "Origin" in foreign.headers.tokens("Vary")

    for origin in (ALLOWED, ALLOWED_2):
        r = stack.request(headers={"Origin": origin})
        assert_last_ok(r)
        assert r.cache_status == "HIT"
        assert r.headers.get_all("Access-Control-Allow-Origin") == [origin]
        assert "Origin" in r.headers.tokens("Vary")

    for origin in (FOREIGN, ALLOWED + ".evil.net", "null"):
        r = stack.request(headers={"Origin": origin})
        assert r.status == 200 and r.cache_status == "HIT"
        assert "Access-Control-Allow-Origin" not in r.headers, (origin, r.headers)
        assert "Access-Control-Allow-Methods" not in r.headers
        assert "Origin" in r.headers.tokens("Vary")


def test_preflight_options_allowed_origin(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    r = stack.request(method="OPTIONS", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET",
                                             "Access-Control-Request-Headers": "if-none-match"})
    assert r.status == 204, (r.status, r.body)
    assert r.body == b""
    assert r.headers.get_all("Access-Control-Allow-Origin") == [ALLOWED]
    methods = {m.strip() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert {"GET", "HEAD"} <= methods, r.headers
    allowed_headers = {h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert "if-none-match" in allowed_headers, r.headers
    assert int(r.headers.get("Access-Control-Max-Age", "0")) > 0, r.headers
    assert "Origin" in r.headers.tokens("Vary")

    foreign = stack.request(method="OPTIONS", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "GET"})
    for name in ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Max-Age"):
        assert name not in foreign.headers, (name, foreign.headers)
    # Preflights are nginx's business: the responder never sees an OPTIONS.
    assert not any(line.method == "OPTIONS" and line.reached_responder for line in stack.upstream_log())


# --- rate limit, errors, health --------------------------------------------------------------------------


def test_burst_gets_json_429s(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    source = fresh_source()  # all 40 from one client address
    responses = [stack.request(LAST, headers={"Origin": ALLOWED}, source=source) for _ in range(40)]
    statuses = [r.status for r in responses]
    # burst=10 nodelay: the first 11 always pass, whatever the timing.
    assert statuses[:11] == [200] * 11, statuses
    limited = [r for r in responses if r.status == 429]
    assert limited, f"no 429 in a burst of 40: {statuses}"
    assert set(statuses) == {200, 429}, statuses
    for r in limited:
        assert_json_error(r, 429, "RATE_LIMITED")
        assert r.headers.get("Retry-After") == "1"
        assert r.headers.get_all("Cache-Control") == ["no-store"]
        assert r.headers.get_all("Access-Control-Allow-Origin") == [ALLOWED]  # the page can read it
    for r in responses:
        if r.status == 200:
            assert_last_ok(r)
    # Per client address: someone else is not limited.
    assert stack.request().status == 200


def test_unknown_api_path_is_json_404(e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    for path in ("/api/nope", "/api/trakt/last/extra", "/api/trakt/lastx", "/api/"):
        r = stack.request(path)
        assert_json_error(r, 404, "NOT_FOUND")
        assert r.headers.get_all("Cache-Control") == ["no-store"]
    assert not any(line.reached_responder for line in stack.upstream_log()), stack.upstream_log()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_wrong_method_is_json_405_from_the_responder(method: str, e2e: Callable[..., Stack]) -> None:
    stack = e2e()
    r = stack.request(LAST, method=method, body=b'{"x":1}' if method != "DELETE" else None,
                  headers={"Content-Type": "application/json"})
    assert_json_error(r, 405, "METHOD_NOT_ALLOWED")
    assert r.headers.get("Allow") == "GET, HEAD"
    assert r.headers.get_all("Cache-Control") == ["no-store"], r.headers  # the responder's, not doubled
    assert r.cache_status in ("", "BYPASS"), r.cache_status
    # And it is not cached: a GET afterwards is a normal MISS with a body.
    after = stack.request()
    assert_last_ok(after)
    assert after.cache_status == "MISS"


def test_health_is_never_cached(e2e: Callable[..., Stack]) -> None:
    stack = e2e(ttl=1)
    for _ in range(2):
        r = stack.request(HEALTH)
        assert r.status == 200, (r.status, r.body)
        assert r.headers.get("Content-Type") == JSON_TYPE
        body = r.json()
        assert body["ok"] is True and body["mode"] == "oauth", body
        assert body["cache"]["age_s"] is None, body   # nothing fetched yet
        assert r.cache_status == "", r.headers
        assert r.headers.get_all("Cache-Control") == ["no-store"]
    # Both calls reached the responder. nginx writes its log line after the client has the response.
    wait_until(lambda: len([line for line in stack.upstream_log() if line.uri == HEALTH]) >= 2, DEADLINE,
               "both health requests in nginx's log")
    health_lines = [line for line in stack.upstream_log() if line.uri == HEALTH]
    assert len(health_lines) == 2 and all(line.reached_responder and line.upstream_status == "200"
                                          for line in health_lines), health_lines
    # After a /last fill the health report changes (cache age appears): nothing stale was kept.
    assert_last_ok(stack.request())
    after = stack.request(HEALTH)
    assert after.status == 200 and after.json()["cache"]["age_s"] is not None, after.body
    assert after.cache_status == ""


@pytest.mark.parametrize("variant", ["//api/trakt/last", "/api//trakt/last", "/api/trakt/./last"])
def test_unnormalised_paths_behave_like_the_plain_path(variant: str, e2e: Callable[..., Stack]) -> None:
    """nginx normalises the path for the location and the cache key; the responder gets the same
    normalised path, so a doubled slash is the same resource, cached or not."""
    stack = e2e()
    health = stack.request(variant.replace("last", "health"))
    assert health.status == 200 and health.json()["ok"] is True, (health.status, health.body)
    first = stack.request(variant)
    assert_last_ok(first)
    assert first.cache_status == "MISS"
    plain = stack.request(LAST)
    assert plain.cache_status == "HIT" and plain.body == first.body
    assert stack.request(variant).body == first.body
