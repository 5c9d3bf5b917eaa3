"""Self-tests of the fake upstream: if these fail, no responder test result can be trusted."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness import FakeError, FakeUpstream, Response, http_request, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "Fixtures"
UA = "trakt-widget-tests/1.0"
CLIENT = {"client_id": "test-client-id", "client_secret": "test-client-secret-XYZ",
          "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}


def trakt_get(fake: FakeUpstream, path: str, token: str | None = None, **header_overrides: str | None) -> Response:
    headers: dict[str, str | None] = {
        "User-Agent": UA, "trakt-api-version": "2", "trakt-api-key": "test-client-id",
        "Content-Type": "application/json",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(header_overrides)
    return http_request(fake.url + path, headers={k: v for k, v in headers.items() if v is not None})


def post_json(fake: FakeUpstream, path: str, payload: dict[str, Any], user_agent: str | None = UA,
              timeout: float = 10.0) -> Response:
    headers = {"Content-Type": "application/json"}
    if user_agent:
        headers["User-Agent"] = user_agent
    return http_request(fake.url + path, "POST", headers, json.dumps(payload).encode(), timeout)


def refresh(fake: FakeUpstream, refresh_token: str, **overrides: Any) -> Response:
    body = {**CLIENT, "grant_type": "refresh_token", "refresh_token": refresh_token, **overrides}
    return post_json(fake, "/oauth/token", body)


def tmdb_get(fake: FakeUpstream, path: str, key: str = "test-tmdb-key-XYZ") -> Response:
    return http_request(f"{fake.url}{path}?api_key={key}", headers={"User-Agent": UA})


def movie_item(title: str, watched_at: str, tmdb: int | None = 129, history_id: int = 100) -> dict[str, Any]:
    return {
        "id": history_id, "watched_at": watched_at, "action": "watch", "type": "movie",
        "movie": {"title": title, "year": 2001, "ids": {"trakt": 1, "slug": "x", "imdb": None, "tmdb": tmdb}},
    }


# --- OAuth ------------------------------------------------------------------------------------------


def test_refresh_token_is_single_use(fake: FakeUpstream) -> None:
    first = fake.tokens()
    rotated = refresh(fake, first["refresh_token"])
    assert rotated.status == 200
    pair = rotated.json()
    assert set(pair) == {"access_token", "token_type", "expires_in", "refresh_token", "scope", "created_at"}
    assert pair["refresh_token"] != first["refresh_token"] and len(pair["refresh_token"]) == 64
    assert pair["expires_in"] == 604800

    again = refresh(fake, first["refresh_token"])
    assert again.status == 400
    assert again.body == (FIXTURES / "trakt-oauth-error-invalid-grant.json").read_bytes()
    assert again.json()["error"] == "invalid_grant"

    # The rotated token works exactly once as well.
    assert refresh(fake, pair["refresh_token"]).status == 200
    assert refresh(fake, pair["refresh_token"]).status == 400


def test_concurrent_refreshes_with_one_token_have_one_winner(fake: FakeUpstream) -> None:
    token = fake.tokens()["refresh_token"]
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(refresh(fake, token).status)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [200] + [400] * 7
    assert fake.tokens()["issued"] == 1


def test_rotation_replaces_the_access_token(fake: FakeUpstream) -> None:
    old = fake.tokens()["access_token"]
    assert trakt_get(fake, "/sync/history/movies?limit=1", old).status == 200
    new = refresh(fake, fake.tokens()["refresh_token"]).json()["access_token"]
    assert trakt_get(fake, "/sync/history/movies?limit=1", old).status == 401
    assert trakt_get(fake, "/sync/history/movies?limit=1", new).status == 200


def test_redirect_uri_mismatch_is_rejected_without_burning_the_token(fake: FakeUpstream) -> None:
    token = fake.tokens()["refresh_token"]
    wrong = refresh(fake, token, redirect_uri="https://example.test/callback")
    assert (wrong.status, wrong.json()["error"]) == (400, "invalid_grant")
    assert refresh(fake, token).status == 200


def test_missing_redirect_uri_and_bad_client(fake: FakeUpstream) -> None:
    token = fake.tokens()["refresh_token"]
    missing = post_json(fake, "/oauth/token", {"client_id": "test-client-id", "client_secret": "test-client-secret-XYZ",
                                               "grant_type": "refresh_token", "refresh_token": token})
    assert (missing.status, missing.json()["error"]) == (400, "invalid_request")
    bad_client = refresh(fake, token, client_secret="nope")
    assert (bad_client.status, bad_client.json()["error"]) == (401, "invalid_client")
    assert refresh(fake, token).status == 200  # neither failure consumed the token


def test_odd_refresh_token_values_are_accepted_verbatim(fake: FakeUpstream) -> None:
    odd = 'a"b;c\\d e'
    fake.set_tokens(refresh_token=odd)
    assert refresh(fake, odd).status == 200
    assert odd in fake.tokens()["used_refresh_tokens"]


def test_authorization_code_exchange_is_single_use(fake: FakeUpstream) -> None:
    fake.set_tokens(auth_codes=["code-123"])
    body = {**CLIENT, "grant_type": "authorization_code", "code": "code-123"}
    assert post_json(fake, "/oauth/token", body).status == 200
    assert post_json(fake, "/oauth/token", body).status == 400


def test_expired_flag_and_natural_expiry_give_401(fake: FakeUpstream) -> None:
    fake.set_tokens(access_token="tok-1", expired=True)
    response = trakt_get(fake, "/sync/last_activities", "tok-1")
    assert response.status == 401
    assert "expired" in response.json()["error_description"]
    assert "invalid_token" in response.headers["WWW-Authenticate"]

    fake.set_tokens(access_token="tok-2", expires_in=3600, created_at=int(time.time()) - 7200)
    assert trakt_get(fake, "/sync/last_activities", "tok-2").status == 401
    fake.set_tokens(access_token="tok-3")
    assert trakt_get(fake, "/sync/last_activities", "tok-3").status == 200


def test_revoke_kills_the_access_token(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    revoked = post_json(fake, "/oauth/revoke", {"token": token, **CLIENT})
    assert (revoked.status, revoked.json()) == (200, {})
    assert trakt_get(fake, "/sync/history/movies", token).status == 401


def test_device_flow_follows_the_script(fake: FakeUpstream) -> None:
    fake.device(["pending", "slow_down", "pending", "success"], interval=1, expires_in=30)
    code = post_json(fake, "/oauth/device/code", {"client_id": "test-client-id"})
    assert code.status == 200
    info = code.json()
    assert (info["interval"], info["expires_in"]) == (1, 30)
    assert len(info["device_code"]) == 64 and info["verification_url"].startswith("https://")

    poll = {"code": info["device_code"], "client_id": "test-client-id", "client_secret": "test-client-secret-XYZ"}
    statuses = [post_json(fake, "/oauth/device/token", poll).status for _ in range(3)]
    assert statuses == [400, 429, 400]
    success = post_json(fake, "/oauth/device/token", poll)
    assert success.status == 200
    assert success.json()["access_token"] == fake.tokens()["access_token"]
    assert post_json(fake, "/oauth/device/token", poll).status == 409  # already used

    unknown = post_json(fake, "/oauth/device/token", {**poll, "code": "0" * 64})
    assert unknown.status == 404


@pytest.mark.parametrize("outcome,status", [("denied", 418), ("expired", 410), ("invalid", 404)])
def test_device_flow_terminal_outcomes(fake: FakeUpstream, outcome: str, status: int) -> None:
    fake.device([outcome])
    device_code = post_json(fake, "/oauth/device/code", {"client_id": "test-client-id"}).json()["device_code"]
    poll = {"code": device_code, "client_id": "test-client-id", "client_secret": "test-client-secret-XYZ"}
    assert post_json(fake, "/oauth/device/token", poll).status == status


# --- Trakt API --------------------------------------------------------------------------------------


def test_missing_user_agent_gets_cloudflare_html(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    for response in (
        trakt_get(fake, "/sync/history/movies?limit=1", token, **{"User-Agent": None}),
        post_json(fake, "/oauth/token", {}, user_agent=None),
    ):
        assert response.status == 403
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"Cloudflare" in response.body and b"<html" in response.body
        assert "X-Request-Id" not in response.headers  # how clients tell Cloudflare from Trakt


def test_api_key_and_version_are_required(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    no_key = trakt_get(fake, "/sync/history/movies", token, **{"trakt-api-key": None})
    assert no_key.status == 403 and no_key.json()["error"] == "forbidden"
    wrong_key = trakt_get(fake, "/users/test-user/history/movies", None, **{"trakt-api-key": "other"})
    assert wrong_key.status == 403
    no_version = trakt_get(fake, "/sync/history/movies", token, **{"trakt-api-version": None})
    assert no_version.status == 400


def test_history_honours_limit_and_sets_pagination_headers(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    response = trakt_get(fake, "/sync/history/movies?limit=1", token)
    assert response.status == 200
    items = response.json()
    assert len(items) == 1 and items[0]["movie"]["ids"]["tmdb"] == 155
    assert response.headers["X-Pagination-Limit"] == "1"
    assert response.headers["X-Pagination-Item-Count"] == "25"
    assert response.headers["X-Pagination-Page-Count"] == "25"

    pages = [trakt_get(fake, f"/sync/history/movies?limit=10&page={n}", token).json() for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert sorted(item["id"] for page in pages for item in page) == list(range(1, 26))
    assert trakt_get(fake, "/sync/history/episodes", token).json()[0]["episode"]["title"] == "Pawnee Zoo"


def test_no_token_on_sync_is_401_but_public_profile_needs_none(fake: FakeUpstream) -> None:
    assert trakt_get(fake, "/sync/history/movies").status == 401
    public = trakt_get(fake, "/users/test-user/history/movies?limit=1")
    assert public.status == 200 and len(public.json()) == 1
    assert trakt_get(fake, "/users/private-user/history/movies").status == 401
    assert trakt_get(fake, "/users/nobody-here/history/movies").status == 404


def test_mixed_history_is_newest_first(fake: FakeUpstream) -> None:
    # The default episodes were watched in 2014, so this 2020 movie must come first.
    fake.scenario(movies=[movie_item("Newer", "2020-01-01T00:00:00.000Z")])
    newest = trakt_get(fake, "/users/test-user/history?limit=2").json()
    assert [item["type"] for item in newest] == ["movie", "episode"]
    assert newest[0]["movie"]["title"] == "Newer"


def test_watching_is_204_when_idle_and_the_body_when_playing(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    idle = trakt_get(fake, "/users/me/watching", token)
    assert (idle.status, idle.body) == (204, b"")
    assert trakt_get(fake, "/users/test-user/watching").status == 204
    playing = json.loads((FIXTURES / "trakt-watching-episode.json").read_text())
    fake.scenario(watching=playing)
    assert trakt_get(fake, "/users/me/watching", token).json() == playing
    assert trakt_get(fake, "/users/test-user/watching").json()["episode"]["title"] == "Wedding Day"


def test_watching_me_needs_a_token_and_private_profiles_their_owner(fake: FakeUpstream) -> None:
    assert trakt_get(fake, "/users/me/watching").status == 401
    assert trakt_get(fake, "/users/private-user/watching").status == 401
    assert trakt_get(fake, "/users/nobody-here/watching").status == 404
    assert trakt_get(fake, "/users/me/watching", "not-a-token").status == 401


def test_images_are_real_pngs_at_the_poster_sizes(fake: FakeUpstream) -> None:
    small = http_request(fake.url + "/t/p/w92/fake-movie-155.jpg")
    large = http_request(fake.url + "/t/p/w154/fake-movie-155.jpg")
    for response, width in ((small, 92), (large, 154)):
        assert response.status == 200 and response.headers["Content-Type"] == "image/png"
        assert response.body[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(response.body[16:20], "big") == width
    assert 8_000 < len(large.body) < 20_000, "about the size of TMDB's w154 JPEG"
    assert http_request(fake.url + "/t/p/w154/fake-movie-155.jpg").body == large.body
    assert http_request(fake.url + "/t/p/w154/other.jpg").body != large.body
    fake.scenario(tmdb_images={"fake-movie-155.jpg": None})
    missing = http_request(fake.url + "/t/p/w154/fake-movie-155.jpg")
    assert missing.status == 404 and missing.headers["Content-Type"] == "text/plain"
    assert http_request(fake.url + "/t/p/w3000/x.jpg").status == 404


def test_last_activities_follow_the_history(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    before = trakt_get(fake, "/sync/last_activities", token).json()
    assert before["movies"]["watched_at"] == "2014-03-31T09:28:53.000Z"

    fake.scenario(movies=[movie_item("Amélie", "2026-11-01T20:00:00.000Z")])
    after = trakt_get(fake, "/sync/last_activities", token).json()
    assert after["movies"]["watched_at"] == "2026-11-01T20:00:00.000Z"
    assert after["all"] >= after["movies"]["watched_at"]
    assert after["episodes"] == before["episodes"]

    fake.scenario(last_activities={"episodes": {"watched_at": "2030-01-01T00:00:00.000Z"}})
    assert trakt_get(fake, "/sync/last_activities", token).json()["episodes"]["watched_at"].startswith("2030")


def test_utf8_titles_are_sent_as_raw_utf8(fake: FakeUpstream) -> None:
    title = "千と千尋の神隠し"
    fake.scenario(movies=[movie_item(title, "2026-01-01T00:00:00.000Z")], episodes=[])
    response = trakt_get(fake, "/users/test-user/history/movies?limit=1")
    assert title.encode("utf-8") in response.body
    assert response.json()[0]["movie"]["title"] == title


def test_empty_history_and_null_ids(fake: FakeUpstream) -> None:
    fake.scenario(movies=[], episodes=[{"id": 1, "watched_at": "2026-01-01T00:00:00.000Z", "type": "episode",
                                        "episode": {"season": 1, "number": 1, "title": None, "ids": {}},
                                        "show": {"title": "No IDs", "year": None, "ids": {"tmdb": None}}}])
    assert trakt_get(fake, "/users/test-user/history/movies").json() == []
    episode = trakt_get(fake, "/users/test-user/history/episodes").json()[0]
    assert episode["episode"]["title"] is None and episode["show"]["ids"]["tmdb"] is None


# --- TMDB -------------------------------------------------------------------------------------------


def test_tmdb_posters_null_and_missing(fake: FakeUpstream) -> None:
    fake.tmdb("movie", 155, poster_path="/dark-knight.jpg")
    fake.tmdb("tv", 8592, poster_path=None)
    fake.tmdb_missing("movie", 76338)

    movie = tmdb_get(fake, "/3/movie/155").json()
    assert (movie["id"], movie["poster_path"], movie["title"]) == (155, "/dark-knight.jpg", "The Dark Knight")
    show = tmdb_get(fake, "/3/tv/8592")
    assert show.status == 200 and show.json()["poster_path"] is None
    missing = tmdb_get(fake, "/3/movie/76338")
    assert missing.status == 404
    assert missing.body == (FIXTURES / "tmdb-error-404.json").read_bytes()


def test_tmdb_auth_by_key_or_bearer(fake: FakeUpstream) -> None:
    bad = tmdb_get(fake, "/3/movie/11", key="wrong")
    assert bad.status == 401 and bad.json()["status_code"] == 7
    assert http_request(fake.url + "/3/movie/11").status == 401
    bearer = http_request(fake.url + "/3/movie/11", headers={"Authorization": "Bearer test-tmdb-read-token-XYZ"})
    assert bearer.status == 200
    # The template's own id answers with the recorded body, byte for byte.
    assert bearer.body == (FIXTURES / "tmdb-movie.json").read_bytes()


def test_tmdb_strict_mode_404s_unlisted_ids(fake: FakeUpstream) -> None:
    assert tmdb_get(fake, "/3/movie/999").status == 200
    fake.scenario(tmdb_strict=True)
    assert tmdb_get(fake, "/3/movie/999").status == 404


# --- faults -----------------------------------------------------------------------------------------


def test_rate_limit_fault_carries_retry_after_and_clears_after_count(fake: FakeUpstream) -> None:
    fake.fault("429", prefix="/users", count=1, retry_after=7)
    limited = trakt_get(fake, "/users/test-user/history/movies?limit=1")
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert json.loads(limited.headers["X-Ratelimit"])["name"] == "UNAUTHED_API_GET_LIMIT"
    assert trakt_get(fake, "/users/test-user/history/movies?limit=1").status == 200
    assert fake.faults() == []


def test_faults_only_hit_their_prefix_and_play_in_order(fake: FakeUpstream) -> None:
    fake.fault("status", prefix="/3", count=1, status=503, json={"success": False, "status_code": 9})
    fake.fault("status", prefix="/3", count=1, status=502)
    assert trakt_get(fake, "/users/test-user/history/movies").status == 200
    first = tmdb_get(fake, "/3/movie/1")
    assert first.status == 503 and first.json()["status_code"] == 9
    second = tmdb_get(fake, "/3/movie/1")
    assert second.status == 502 and second.body == b""
    assert tmdb_get(fake, "/3/movie/1").status == 200


def test_malformed_html403_and_vip_faults(fake: FakeUpstream) -> None:
    fake.fault("malformed", prefix="/users", count=1)
    truncated = trakt_get(fake, "/users/test-user/history/movies?limit=1")
    assert truncated.status == 200
    with pytest.raises(ValueError):
        truncated.json()

    fake.fault("html403", prefix="/users", count=1)
    blocked = trakt_get(fake, "/users/test-user/history/movies")
    assert blocked.status == 403 and blocked.headers["Content-Type"].startswith("text/html")

    fake.fault("426", prefix="/users", count=1)
    vip = trakt_get(fake, "/users/test-user/history/movies")
    assert vip.status == 426 and vip.headers["X-Upgrade-URL"].startswith("https://")


def test_odd_body_fault_rotates_and_sends_odd_fields(fake: FakeUpstream) -> None:
    first = fake.tokens()["refresh_token"]
    fake.fault("odd_body", prefix="/oauth/token", count=1)
    answer = refresh(fake, first)
    assert answer.status == 200
    pair = answer.json()
    assert pair["expires_in"] == "7200" and pair["created_at"] == "yesterday" and "unexpected" in pair
    # The rotation happened: the answer's refresh token is the live one, the old one is spent.
    assert pair["refresh_token"] == fake.tokens()["refresh_token"] != first
    assert refresh(fake, first).status == 400


def test_late_fault_commits_the_rotation_before_the_answer(fake: FakeUpstream) -> None:
    first = fake.tokens()["refresh_token"]
    fake.fault("late", prefix="/oauth/token", count=1, seconds=5)
    body = {**CLIENT, "grant_type": "refresh_token", "refresh_token": first}
    with pytest.raises(OSError):  # socket.timeout: the client gave up first
        post_json(fake, "/oauth/token", body, timeout=0.5)
    # Trakt (the fake) rotated anyway: the token the client sent is spent.
    assert fake.tokens()["refresh_token"] != first
    assert fake.tokens()["used_refresh_tokens"] == [first]


def test_drop_fault_closes_without_a_response(fake: FakeUpstream) -> None:
    fake.fault("tmdb_down", count=2)
    for _ in range(2):
        with pytest.raises(OSError):  # ConnectionResetError or RemoteDisconnected
            tmdb_get(fake, "/3/movie/155")
    assert tmdb_get(fake, "/3/movie/155").status == 200


def test_latency_is_honoured(fake: FakeUpstream) -> None:
    fake.scenario(latency_ms=300)
    started = time.monotonic()
    assert trakt_get(fake, "/users/test-user/history/movies").status == 200
    assert 0.3 <= time.monotonic() - started < 3.0

    fake.scenario(latency_ms=0)
    fake.fault("latency", prefix="/3", ms=400, count=1)
    started = time.monotonic()
    assert tmdb_get(fake, "/3/movie/155").status == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    tmdb_get(fake, "/3/movie/155")
    assert time.monotonic() - started < 0.4


def _start_in_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            outcome["response"] = call()
        except OSError as err:
            outcome["error"] = err
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _in_flight(fake: FakeUpstream, path: str) -> bool:
    return any(r["status"] is None for r in fake.requests(path=path))


def test_hang_is_cut_short_by_reset(fake: FakeUpstream) -> None:
    fake.fault("hang", prefix="/sync", seconds=30)
    thread, outcome = _start_in_thread(
        lambda: http_request(fake.url + "/sync/last_activities", headers={"User-Agent": UA}, timeout=20)
    )
    wait_until(lambda: _in_flight(fake, "/sync/last_activities"), 5, "hung request")
    assert thread.is_alive()  # still hanging: nothing came back yet
    fake.reset()
    thread.join(5)
    assert not thread.is_alive()
    assert "error" in outcome and outcome["elapsed"] < 10  # connection closed, no response


def test_sigterm_exits_promptly_even_with_a_hung_request(fake_factory: Any) -> None:
    own = fake_factory()
    own.fault("hang", seconds=60)
    thread, _ = _start_in_thread(lambda: http_request(own.url + "/3/movie/1", timeout=30))
    wait_until(lambda: _in_flight(own, "/3/movie/1"), 5, "hung request")
    started = time.monotonic()
    assert own.stop(timeout=5) == 0
    assert time.monotonic() - started < 3
    thread.join(5)


# --- control API, counters, logging -----------------------------------------------------------------


def test_counters_and_request_log(fake: FakeUpstream) -> None:
    token = fake.tokens()["access_token"]
    trakt_get(fake, "/sync/history/movies?limit=1", token)
    trakt_get(fake, "/sync/history/movies?limit=5", token)
    tmdb_get(fake, "/3/movie/155")
    refresh(fake, fake.tokens()["refresh_token"])

    assert fake.count("/sync/history/movies") == 2
    assert fake.count("/3/movie/155") == 1
    assert fake.count("/oauth/token") == 1
    assert "/_fake/counters" not in fake.counters()

    logged = fake.requests(path="/sync/history/movies")
    assert [r["params"]["limit"] for r in logged] == ["1", "5"]
    assert logged[0]["headers"]["user-agent"] == UA
    assert logged[0]["headers"]["authorization"] == f"Bearer {token}"
    token_call = fake.requests(path="/oauth/token")[0]
    assert token_call["json"]["grant_type"] == "refresh_token" and token_call["status"] == 200

    fake.reset()
    assert fake.counters() == {}


def test_stderr_log_never_contains_secrets(fake: FakeUpstream) -> None:
    secret_refresh = fake.tokens()["refresh_token"]
    secret_access = fake.tokens()["access_token"]
    tmdb_get(fake, "/3/movie/155", key="test-tmdb-key-XYZ")
    trakt_get(fake, "/sync/history/movies", secret_access)
    refresh(fake, secret_refresh)
    log = fake.log_text()
    assert "GET /3/movie/155 200" in log
    for secret in ("test-tmdb-key-XYZ", secret_access, secret_refresh, "test-client-secret-XYZ", "api_key"):
        assert secret not in log


def test_control_api_rejects_typos(fake: FakeUpstream) -> None:
    with pytest.raises(FakeError, match="unknown scenario keys: movie"):
        fake.scenario(movie=[])
    with pytest.raises(FakeError, match="unknown fault kind"):
        fake.fault("explode")
    with pytest.raises(FakeError, match="status"):
        fake.fault("status")


# --- demo mode --------------------------------------------------------------------------------------


def test_demo_mode_accepts_anyone_and_alternates_the_newest_item(fake_factory: Any) -> None:
    demo = fake_factory(demo=True, demo_period=0.5)
    headers = {"User-Agent": UA, "trakt-api-version": "2", "trakt-api-key": "whatever"}

    def newest_type() -> str:
        response = http_request(demo.url + "/users/anyone/history?limit=1", headers=headers)
        assert response.status == 200
        return response.json()[0]["type"]

    first = newest_type()
    wait_until(lambda: newest_type() != first, 5, "demo alternation")

    poster = http_request(demo.url + "/3/movie/11?api_key=any", headers={"User-Agent": UA}).json()["poster_path"]
    expected = json.loads((FIXTURES / "tmdb-movie.json").read_text())["poster_path"]
    assert poster == expected
