"""Self-tests of the fake's Simkl and Letterboxd: the habits the responder's provider tests rely on."""

from __future__ import annotations

from harness import FakeUpstream, Response, http_request

UA = "trakt-widget-tests/1.0"
SIMKL_QUERY = "client_id=test-simkl-client-id&app-name=trakt-widget&app-version=1"
BEARER = {"Authorization": "Bearer test-simkl-token-XYZ"}


def simkl(fake: FakeUpstream, path: str, query: str = SIMKL_QUERY, headers: dict[str, str] | None = None,
          user_agent: str | None = UA) -> Response:
    sent = {**({"User-Agent": user_agent} if user_agent else {}), **(headers or {})}
    return http_request(f"{fake.url}{path}?{query}", headers=sent)


def test_simkl_wants_its_identification_on_every_request(fake: FakeUpstream) -> None:
    assert simkl(fake, "/sync/activities", headers=BEARER).status == 200
    wrong_client = simkl(fake, "/sync/activities", query="client_id=nope&app-name=a&app-version=1", headers=BEARER)
    assert wrong_client.status == 412 and wrong_client.json()["error"] == "client_id_failed"
    assert simkl(fake, "/sync/activities", query="client_id=test-simkl-client-id", headers=BEARER).status == 400
    assert simkl(fake, "/sync/activities").status == 401
    assert simkl(fake, "/sync/activities", headers=BEARER, user_agent=None).status == 403
    fake.scenario(simkl_revoked=True)
    assert simkl(fake, "/sync/activities", headers=BEARER).status == 401


def test_simkl_pin_polling_is_all_200_and_a_gone_code_looks_like_a_new_pin(fake: FakeUpstream) -> None:
    fake.simkl(["pending", "slow_down", "ok"])
    pin = simkl(fake, "/oauth/pin").json()
    code = pin["user_code"]
    answers = [simkl(fake, f"/oauth/pin/{code}") for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 200]
    assert answers[0].json() == {"result": "KO", "message": "Authorization pending"}
    assert answers[1].json()["message"] == "Slow down"
    assert answers[2].json() == {"result": "OK", "access_token": "test-simkl-token-XYZ"}
    # The code was consumed: polling it again gets a fresh code, device_code and all.
    gone = answers[3].json()
    assert gone["device_code"] == "DEVICE_CODE" and gone["user_code"] != code


def test_simkl_activities_follow_the_library_and_all_items_answers_deltas(fake: FakeUpstream) -> None:
    before = simkl(fake, "/sync/activities", headers=BEARER).json()
    assert before["anime"]["all"] == "2016-10-29T09:03:45Z"
    library = {"anime": [{"last_watched_at": "2026-08-02T10:00:00Z", "last_watched": "E12", "anime_type": "tv",
                          "show": {"title": "A", "ids": {"simkl": 1}}}]}
    fake.scenario(simkl_library=library)
    after = simkl(fake, "/sync/activities", headers=BEARER).json()
    assert after["anime"]["all"] == "2026-08-02T10:00:00Z" and after["all"] == "2026-08-02T10:00:00Z"
    assert simkl(fake, "/sync/all-items/", headers=BEARER).json() == library
    simkl(fake, "/sync/activities", headers=BEARER)
    empty = simkl(fake, "/sync/all-items/", query=SIMKL_QUERY + "&date_from=2026-08-02T10:00:00Z", headers=BEARER)
    assert (empty.status, empty.body) == (200, b"")
    assert fake.simkl()["suspended"] is False


def test_simkl_suspends_a_client_that_rereads_all_items_without_activities(fake: FakeUpstream) -> None:
    assert simkl(fake, "/sync/all-items/", headers=BEARER).status == 200
    assert simkl(fake, "/sync/all-items/", headers=BEARER).status == 412
    assert fake.simkl()["suspended"] is True
    assert simkl(fake, "/sync/activities", headers=BEARER).status == 412


def test_letterboxd_feed_revalidates_with_etag_and_last_modified(fake: FakeUpstream) -> None:
    first = http_request(fake.url + "/dave/rss/", headers={"User-Agent": UA})
    assert first.status == 200 and first.body.startswith(b"<?xml")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert http_request(fake.url + "/dave/rss/", headers={"User-Agent": UA, "If-None-Match": etag}).status == 304
    assert http_request(fake.url + "/dave/rss/", headers={"User-Agent": UA, "If-Modified-Since": modified}).status == 304
    fake.scenario(letterboxd_items=[{"title": "Heat", "year": 1995, "tmdb_id": 949}])
    changed = http_request(fake.url + "/dave/rss/", headers={"User-Agent": UA, "If-None-Match": etag})
    assert changed.status == 200 and b"<letterboxd:filmTitle>Heat</letterboxd:filmTitle>" in changed.body
    assert http_request(fake.url + "/nobody/rss/", headers={"User-Agent": UA}).status == 404


def test_letterboxd_cloudflare_pages_come_from_the_html403_fault(fake: FakeUpstream) -> None:
    fake.fault("html403", prefix="/dave", count=1, status=429, headers={"Retry-After": "120"})
    blocked = http_request(fake.url + "/dave/rss/", headers={"User-Agent": UA})
    assert blocked.status == 429 and blocked.headers["Retry-After"] == "120"
    assert "text/html" in blocked.headers["Content-Type"]
