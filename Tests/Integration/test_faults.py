"""Faults and bad input through the whole stack: nginx (shipped config) + responder + fake Trakt/TMDB
(+ a real PostgreSQL where the token store matters).

For every case the client must get either good data (flagged `stale` where due) or the contract's JSON
error, never an HTML 5xx from nginx; no token may be lost (the fake's live refresh token is the stored
one); and the fake's per-path counters must show the backoff: a burst of requests during a failure
costs at most a couple of upstream calls, bad input costs none. The last test checks that no secret
(client secret, any token the fake issued, the TMDB key) reached a response or a log line in the module.

Requests go through `harness.faults.Visitors`, which spreads them over loopback source addresses so the
shipped per-address rate limit (5 r/s, burst 10) does not answer in place of the responder.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from harness import (TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, FakeUpstream, PgDatabase, PgServer, Responder, Response,
                     Stack, binary_path, fcgi_concurrent, fcgi_request, wait_until)
from harness.faults import JSON_TYPE, Ledger, Visitors, check_answer, delta, harvest_fake_secrets, trakt_calls

# Upstream timeouts of 1 s keep the hang cases short; the contract's defaults are 3 s / 8 s.
FAST = {"UPSTREAM_TIMEOUT": "1", "UPSTREAM_CONNECT_TIMEOUT": "1"}
# CACHE_TTL=2 also makes the first backoff step 2 s (CachePolicy: min(30 s, TTL)).
WARM = {**FAST, "CACHE_TTL": "2"}
BURST = 50
DEADLINE = 20.0  # generous: the machine is shared

LEDGER = Ledger()


@pytest.fixture(autouse=True)
def _collect_secrets_and_logs(fake: FakeUpstream, tmp_path: Path) -> Any:
    """After each test (responder and nginx already stopped): every secret the fake saw, every log."""
    yield
    LEDGER.add_secrets(harvest_fake_secrets(fake))
    LEDGER.add_logs(tmp_path)


# --- helpers ---------------------------------------------------------------------------------------------


def visitors(stack: Stack) -> Visitors:
    return Visitors(stack.nginx.port, LEDGER)


def stored_refresh_token(state_dir: Path) -> str | None:
    path = state_dir / "tokens.json"
    if not path.exists():
        return None
    pair = json.loads(path.read_text()).get("tokens") or {}
    return pair.get("refresh_token")


def assert_token_kept(fake: FakeUpstream, state_dir: Path) -> None:
    """No token lost: the pair the fake will accept next is the one the responder stored, and no
    refresh was ever refused (a refused refresh means a spent or lost token was sent)."""
    live = fake.tokens()
    assert not live["revoked"], live
    assert stored_refresh_token(state_dir) == live["refresh_token"], \
        "the stored refresh token is not the one Trakt (the fake) holds: a rotated token was lost"
    refused = [r for r in fake.requests(path="/oauth/token") if r["status"] not in (200, None)]
    assert refused == [], f"refresh refused (spent/unknown token sent): {refused}"


def to_responder(sock: str, **kwargs: Any) -> Response:
    """One FastCGI request straight to the responder (no nginx, no nginx cache), recorded in the ledger."""
    return LEDGER.record(fcgi_request(sock, timeout=30.0, **kwargs))


def to_responder_burst(sock: str, count: int) -> list[Response]:
    """`count` such requests, 10 at a time: a burst that must reach the responder itself."""
    return [LEDGER.record(r) for r in fcgi_concurrent(sock, count, workers=10, timeout=30.0)]


def health(proc: Responder) -> dict[str, Any]:
    answer = to_responder(proc.sock, path="/api/trakt/health")
    return check_answer(answer, (200, 503), health=True)


def prime(stack: Stack, v: Visitors) -> dict[str, Any]:
    """One good request, so the responder and nginx both hold the item."""
    body = check_answer(v.get(), (200,))
    assert body["data"] is not None and "stale" not in body, body
    return body


def fault_spec(kind: str) -> dict[str, Any]:
    return dict(TRAKT_FAULTS[kind][0])


def wait_for(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    return wait_until(check, timeout, what)


# Trakt API faults (prefix /sync: the OAuth endpoint keeps working) and the failure code the
# responder's health must report for each.
TRAKT_FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "500": ({"kind": "status", "status": 500, "json": {"error": "internal"}}, "TRAKT_HTTP_500"),
    "502": ({"kind": "status", "status": 502, "body": "<html><body>Bad Gateway</body></html>",
             "content_type": "text/html"}, "TRAKT_HTTP_502"),
    "503": ({"kind": "status", "status": 503, "body": "<html>down for maintenance</html>",
             "content_type": "text/html"}, "TRAKT_HTTP_503"),
    "hang": ({"kind": "hang", "seconds": 30}, "TRAKT_TIMEOUT"),
    "429": ({"kind": "rate_limit", "retry_after": 45}, "TRAKT_RATE_LIMITED"),
    "malformed": ({"kind": "malformed"}, "TRAKT_MALFORMED_RESPONSE"),
    "html403": ({"kind": "html403"}, "TRAKT_BLOCKED"),
    "426": ({"kind": "vip"}, "TRAKT_VIP_REQUIRED"),
}


# --- Trakt failing before anything is cached ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TRAKT_FAULTS))
def test_trakt_fault_on_a_cold_start_answers_json_503_and_backs_off(kind: str, make_stack: Callable[..., Stack],
                                                                      fake: FakeUpstream) -> None:
    stack = make_stack(FAST)
    v = visitors(stack)
    fake.fault(prefix="/sync", **fault_spec(kind))

    first = v.get()
    check_answer(first, (503,), code="UPSTREAM_UNAVAILABLE")
    assert first.headers.get("Cache-Control") == "no-store", first
    retry_after = int(first.headers["Retry-After"])
    assert retry_after >= 1, first
    if kind == "429":
        # Trakt said 45 s: the responder must not tell clients (or itself) to come back sooner.
        assert retry_after >= 44, f"Retry-After {retry_after} is shorter than Trakt's 45 s"
    after_first = trakt_calls(fake.counters())
    assert after_first, "the first request did not reach Trakt at all"

    answers = v.burst(BURST)
    for answer in answers:
        check_answer(answer, (503,), code="UPSTREAM_UNAVAILABLE")
        assert int(answer.headers["Retry-After"]) >= 1, answer
    calls = trakt_calls(fake.counters())
    # 51 requests, one attempt: every path was asked once, none again within the backoff.
    assert all(n <= 2 for n in calls.values()), f"no backoff: Trakt calls per path {calls}"
    assert delta(calls, after_first) == {}, f"the burst reached Trakt: {delta(calls, after_first)}"

    report = health(stack.responder)
    assert report["upstream"]["last_error_code"] == TRAKT_FAULTS[kind][1], report
    assert_token_kept(fake, stack.responder.state_dir)


# --- Trakt failing while an item is cached -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["503", "hang", "malformed", "html403"])
def test_trakt_fault_with_a_warm_cache_serves_stale_data_and_backs_off(kind: str, make_stack: Callable[..., Stack],
                                                                         fake: FakeUpstream) -> None:
    stack = make_stack(WARM)
    v = visitors(stack)
    good = prime(stack, v)
    fake.fault(prefix="/sync", **fault_spec(kind))

    # Once the TTL has passed, a refresh fails and the responder flags its copy as stale.
    def stale_at_responder() -> Response | None:
        answer = to_responder(stack.responder.sock)
        body = check_answer(answer, (200,))
        return answer if body.get("stale") is True else None

    wait_for(stale_at_responder, "the responder to flag its copy stale")
    wait_for(lambda: v.get().json().get("stale") is True, "nginx to pass on the stale flag")

    before = trakt_calls(fake.counters())
    started = time.monotonic()
    through_nginx = v.burst(BURST)
    direct = to_responder_burst(stack.responder.sock, BURST)
    took = time.monotonic() - started
    burst_calls = delta(trakt_calls(fake.counters()), before)
    for answer in through_nginx + direct:
        body = check_answer(answer, (200,))
        assert body["data"] == good["data"], answer
    assert all(a.json().get("stale") is True for a in direct), [a for a in direct if not a.json().get("stale")][:3]
    assert any(a.json().get("stale") is True for a in through_nginx), through_nginx[:3]
    # 100 requests in about a second, one refresh attempt per 2 s at most: a couple of calls per path
    # (more only if the shared machine made the burst itself take longer).
    allowed = max(2, 1 + int(took / 2))
    assert all(n <= allowed for n in burst_calls.values()), \
        f"no backoff: {burst_calls} Trakt calls during {2 * BURST} requests in {took:.1f} s"

    fake.clear_faults()
    wait_for(lambda: "stale" not in check_answer(to_responder(stack.responder.sock), (200,)),
             "the responder to recover once Trakt answers again")
    assert_token_kept(fake, stack.responder.state_dir)


def test_trakt_429_retry_after_is_honoured_before_the_next_call(make_stack: Callable[..., Stack],
                                                                fake: FakeUpstream) -> None:
    """With CACHE_TTL=2 the backoff alone would retry after 2 s; Trakt's Retry-After: 4 must win."""
    stack = make_stack(WARM)
    v = visitors(stack)
    good = prime(stack, v)
    fake.fault("rate_limit", prefix="/sync", retry_after=4)

    def second_call_after_429() -> bool:
        # Keep asking (straight to the responder, so nginx's cache does not hide it) to give it every
        # chance to call too early.
        check_answer(to_responder(stack.responder.sock), (200,))
        log = [r for r in fake.requests(prefix="/sync") if r["status"] is not None]
        limited = [r for r in log if r["status"] == 429]
        return bool(limited) and any(r["seq"] > limited[0]["seq"] for r in log)

    wait_for(second_call_after_429, "a Trakt call after the 429", timeout=30)
    log = [r for r in fake.requests(prefix="/sync") if r["status"] is not None]
    first_429 = next(r for r in log if r["status"] == 429)
    following = [r for r in log if r["seq"] > first_429["seq"]]
    gap = following[0]["time"] - first_429["time"]
    assert gap >= 4 - 0.2, f"Trakt was called {gap:.2f} s after a 429 with Retry-After: 4"
    body = check_answer(v.get(), (200,))
    assert body["data"] == good["data"]
    assert_token_kept(fake, stack.responder.state_dir)


# --- TMDB down ----------------------------------------------------------------------------------------------


def test_tmdb_down_costs_only_the_poster(make_stack: Callable[..., Stack], fake: FakeUpstream) -> None:
    stack = make_stack(FAST)
    v = visitors(stack)
    fake.fault("tmdb_down", prefix="/3")  # every TMDB request: connection reset

    body = check_answer(v.get(), (200,))
    assert body["data"] is not None and body["data"]["title"], body
    assert body["data"]["poster_url"] is None, body
    first = {p: n for p, n in fake.counters().items() if p.startswith("/3/")}
    # One lookup; libcurl itself retries a GET whose reused connection was reset, a few times at most.
    assert 1 <= sum(first.values()) <= 5, first
    answers = v.burst(BURST) + to_responder_burst(stack.responder.sock, BURST)
    for answer in answers:
        assert check_answer(answer, (200,))["data"]["title"] == body["data"]["title"]
    tmdb = {p: n for p, n in fake.counters().items() if p.startswith("/3/")}
    assert tmdb == first, f"TMDB asked again while the item is fresh: {tmdb} after {first}"
    assert_token_kept(fake, stack.responder.state_dir)


# --- odd values in a good answer ------------------------------------------------------------------------------


def test_absurd_token_lifetime_from_trakt_does_not_kill_the_responder(make_stack: Callable[..., Stack],
                                                                      fake: FakeUpstream) -> None:
    """Regression (found by fuzzing, Tests/Fuzz/regressions/decoder/): a grant's expires_in is stored as
    expires_at and formatted by /api/trakt/health; 1e17 s used to trap in Timestamp.format (SIGILL), and
    again after every restart, since the pair is persisted."""
    fake.scenario(expires_in=10**17)
    stack = make_stack(FAST)
    v = visitors(stack)
    prime(stack, v)  # the first fetch rotated the token: the stored pair now carries the absurd expiry
    answer = v.get("/api/trakt/health")
    alive = stack.responder.alive()
    check_answer(answer, (200, 503), health=True)
    assert alive, f"the responder died answering /api/trakt/health:\n{stack.responder.log_text()[-1500:]}"


# --- PostgreSQL outages ----------------------------------------------------------------------------------


def db_refresh_token(db: PgDatabase) -> str | None:
    out = db.psql("SELECT refresh_token FROM trakt_widget_tokens WHERE id = 1")
    return out or None


def test_postgres_down_at_start_serves_from_the_local_state(
        fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer, responder: Callable[..., Responder],
        nginx: Callable[..., Any], tmp_path: Path) -> None:
    """A host reboot where the responder comes up before PostgreSQL: it has served before, so its
    local state file holds the pair; it must serve, keep the token, and hand it back to the database."""
    state = tmp_path / "state"
    first = responder({**FAST, "DATABASE_URL": pg.url}, state_dir=state)
    check_answer(to_responder(first.sock), (200,))
    assert first.stop() == 0
    rotations = fake.count("/oauth/token")
    # Without a result to serve, the restarted responder must use (and so rotate) the token.
    (state / "last-result.json").unlink(missing_ok=True)

    pg_server.stop()
    try:
        # The access token went bad meanwhile: serving needs a rotation while the database is down.
        fake.set_tokens(expired=True)
        proc = responder({**FAST, "DATABASE_URL": pg.url}, state_dir=state)
        v = Visitors(nginx(proc.sock).port, LEDGER)
        body = check_answer(v.get(), (200,))
        assert body["data"] is not None and "stale" not in body, body
        assert fake.count("/oauth/token") == rotations + 1
        assert_token_kept(fake, state)
        report = health(proc)
        assert (report["store"]["type"], report["store"]["reachable"]) == ("postgres", False), report
        for answer in v.burst(20):
            check_answer(answer, (200,))
    finally:
        pg_server.start()

    wait_for(lambda: health(proc)["store"]["reachable"] is True, "health to see PostgreSQL again")
    assert proc.stop() == 0
    # A restart on the same state directory writes the newer local pair back to the database.
    again = responder({**FAST, "DATABASE_URL": pg.url}, state_dir=state)
    check_answer(to_responder(again.sock), (200,))
    assert db_refresh_token(pg) == fake.tokens()["refresh_token"], "the database never got the rotated token"
    assert fake.count("/oauth/token") == rotations + 1, "the restart spent a refresh"
    assert_token_kept(fake, state)


def test_postgres_down_at_first_start_fails_closed_without_spending_the_token(
        fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer, responder: Callable[..., Responder],
        nginx: Callable[..., Any]) -> None:
    """No local state and no database: the environment token must not be spent blind (the database may
    hold a newer pair). Clients get the JSON 503, never an HTML page; once PostgreSQL is back and the
    responder is restarted, it serves."""
    initial = fake.tokens()["refresh_token"]
    pg_server.stop()
    try:
        proc = responder({**WARM, "DATABASE_URL": pg.url})
        v = Visitors(nginx(proc.sock).port, LEDGER)
        for answer in [v.get()] + v.burst(20):
            check_answer(answer, (503,), code=None)
            assert answer.json()["code"] in ("UPSTREAM_UNAVAILABLE", "REAUTH_REQUIRED"), answer
        assert fake.count("/oauth/token") == 0
        assert fake.tokens()["refresh_token"] == initial
    finally:
        pg_server.start()
    assert proc.stop() == 0
    again = responder({**WARM, "DATABASE_URL": pg.url}, state_dir=proc.state_dir)
    check_answer(to_responder(again.sock), (200,))
    assert db_refresh_token(pg) == fake.tokens()["refresh_token"]
    assert_token_kept(fake, again.state_dir)


def test_postgres_down_at_first_start_recovers_without_a_restart(
        fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer, responder: Callable[..., Responder]) -> None:
    pg_server.stop()
    try:
        proc = responder({**WARM, "DATABASE_URL": pg.url})
        check_answer(to_responder(proc.sock), (503,))
    finally:
        pg_server.start()
    # Backoff is 2 s (CACHE_TTL=2): a few attempts fit in the deadline.
    wait_for(lambda: to_responder(proc.sock).status == 200, "service once PostgreSQL is back",
             timeout=8)
    assert_token_kept(fake, proc.state_dir)


def test_postgres_stopped_mid_run_then_restarted(fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer,
                                                  make_stack: Callable[..., Stack]) -> None:
    stack = make_stack({**WARM, "DATABASE_URL": pg.url})
    v = visitors(stack)
    good = prime(stack, v)
    assert db_refresh_token(pg) == fake.tokens()["refresh_token"]
    rotations = fake.count("/oauth/token")

    pg_server.stop()
    try:
        # Force a rotation during the outage: Trakt rejects the access token from now on.
        fake.set_tokens(expired=True)

        def rotated() -> bool:
            check_answer(to_responder(stack.responder.sock), (200,))  # drives refreshes
            return fake.count("/oauth/token") > rotations

        wait_for(rotated, "a token refresh during the outage")
        wait_for(lambda: health(stack.responder)["store"]["reachable"] is False, "health to see the outage")
        for answer in v.burst(BURST):
            body = check_answer(answer, (200,))
            assert body["data"] == good["data"], answer
        assert_token_kept(fake, stack.responder.state_dir)
    finally:
        pg_server.start()

    wait_for(lambda: health(stack.responder)["store"]["reachable"] is True, "health to see PostgreSQL again")
    for answer in v.burst(20):
        check_answer(answer, (200,))
    assert_token_kept(fake, stack.responder.state_dir)
    # The pair rotated during the outage must reach the database once it is back, without a restart:
    # another host reading PostgreSQL would otherwise spend the dead refresh token.
    live = fake.tokens()["refresh_token"]

    def written_back() -> bool:
        check_answer(to_responder(stack.responder.sock), (200,))
        return db_refresh_token(pg) == live

    wait_for(written_back, "the rotated pair to reach PostgreSQL")
    assert fake.tokens()["refresh_token"] == live


# --- the responder killed under load ------------------------------------------------------------------------


def test_responder_killed_under_load_nginx_serves_stale_then_recovers(
        make_stack: Callable[..., Stack], fake: FakeUpstream, tmp_path: Path) -> None:
    stack = make_stack(WARM)
    v = visitors(stack)
    good = prime(stack, v)
    answers: list[Response] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            answers.append(v.get(timeout=30))

    threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    replacement: Responder | None = None
    try:
        wait_for(lambda: len(answers) >= 20, "load to start")
        old = stack.responder
        old.kill9()
        killed_at = len(answers)
        # nginx's entry expires within the 2 s TTL; then the responder is unreachable and nginx must
        # answer from the stale entry.
        wait_for(lambda: any(a.cache_status == "STALE" for a in answers[killed_at:]), "nginx to serve STALE")
        down = answers[killed_at:]

        # A new responder on the same socket and state directory (what systemd's restart does).
        (tmp_path / "replacement").mkdir()
        replacement = Responder(binary_path(), old.env, tmp_path / "replacement", sock=old.sock).start()
        restarted_at = len(answers)
        trakt_before = sum(trakt_calls(fake.counters()).values())
        # The entry had expired (STALE above), so a HIT now means nginx refilled it from the replacement.
        wait_for(lambda: any(a.cache_status == "HIT" for a in answers[restarted_at + 1:]),
                 "nginx to refill its entry from the new responder")
        # Its restored copy was past the TTL: the replacement must refresh it from Trakt.
        wait_for(lambda: sum(trakt_calls(fake.counters()).values()) > trakt_before, "the replacement to refresh")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        if replacement is not None and replacement.alive():
            assert replacement.stop() == 0
    assert len(down) >= 1
    for answer in answers:
        body = check_answer(answer, (200,))
        assert body["data"] == good["data"], answer
    assert {a.cache_status for a in down} <= {"HIT", "STALE", "UPDATING"}, sorted({a.cache_status for a in down})
    # The replacement restored the pair from the state directory: no refresh, nothing lost.
    assert fake.count("/oauth/token") == 1, fake.counters()
    assert_token_kept(fake, old.state_dir)


# --- bad input: a clear JSON answer, and no upstream call -------------------------------------------------


@pytest.fixture
def primed(make_stack: Callable[..., Stack], fake: FakeUpstream) -> tuple[Stack, Visitors, dict[str, int]]:
    """A stack with a fresh cached item (default TTL: nothing refreshes during the test) and the
    fake's counters right after priming."""
    stack = make_stack()
    v = visitors(stack)
    prime(stack, v)
    return stack, v, fake.counters()


def assert_no_upstream_call(fake: FakeUpstream, before: dict[str, int]) -> None:
    assert fake.counters() == before, f"bad input reached upstream: {delta(fake.counters(), before)}"


BAD_PATHS = [
    "/api/trakt/lastx", "/api/trakt/last/", "/api/trakt/", "/api/trakt", "/api/",
    "/API/TRAKT/LAST", "/api/trakt/last;x=1", "/api/trakt/last%00",
    "/api/trakt/last%2F", "/etc/passwd", "/../../etc/passwd", "/index.html", "/widget/../index.html",
    "/widget/.env", "/.git/config", "/api/trakt/health/x", "/wp-login.php", "/%ff%fe", "/api/trakt/l%C3%A4st",
    "/" + "a" * 1000,
]


# nginx normalises these to /api/trakt/last or /api/trakt/health ($uri), the path the responder gets
# too, so they are those resources, cached or not.
EQUIVALENT_PATHS = ["//api/trakt/last", "/api/trakt/%6cast", "/api/trakt/./last", "/api/x/../trakt/last",
                    "/api/trakt/last/../health", "//api/trakt/health"]


def test_random_paths_get_a_json_4xx_and_no_upstream_call(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    for path in BAD_PATHS:
        answer = v.get(path)
        check_answer(answer, (400, 404))
        assert answer.headers.get("Cache-Control") == "no-store", answer
    for path in EQUIVALENT_PATHS:
        check_answer(v.get(path), (200,), health=path.endswith("health"))
    assert_no_upstream_call(fake, before)
    assert stack.responder.alive()


@pytest.mark.parametrize("method,expected", [
    ("GET", 200), ("HEAD", 200), ("POST", 405), ("PUT", 405), ("DELETE", 405), ("PATCH", 405), ("OPTIONS", 204),
    ("TRACE", 405), ("PROPFIND", 405), ("MKCOL", 405), ("BREW", 405),
])
def test_every_method_gets_a_clear_answer_and_no_upstream_call(method: str, expected: int, primed: Any,
                                                               fake: FakeUpstream) -> None:
    stack, v, before = primed
    for path in ("/api/trakt/last", "/api/trakt/health"):
        body = b'{"x":1}' if method in ("POST", "PUT", "PATCH") else None
        answer = v.request(path, method=method, body=body, headers={"Content-Type": "application/json"} if body else None)
        check_answer(answer, (expected,), code="METHOD_NOT_ALLOWED" if expected == 405 else None)
        if expected == 405:
            # The responder's 405s and nginx's own (TRACE) alike.
            assert answer.headers.get_all("Allow") == ["GET, HEAD"], answer
        if method == "HEAD":
            assert answer.body == b"" and answer.headers.get("Content-Type") == JSON_TYPE, answer
    assert_no_upstream_call(fake, before)


def test_connect_and_malformed_request_lines_get_json_400(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    port = stack.nginx.port
    for request in (
        b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\nConnection: close\r\n\r\n",
        b"CONNECT /api/trakt/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"get /api/trakt/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/trakt/last HTTP/1.1\r\nHost: x\r\nBad Header\r\nConnection: close\r\n\r\n",
        b"GET /api/trakt/last HTTP/1.1\r\nHost: x\r\nHost: y\r\nConnection: close\r\n\r\n",
    ):
        answer = v.raw(request)
        check_answer(answer, (400, 405))
    assert_no_upstream_call(fake, before)


def test_every_status_nginx_generates_is_json(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    failures = []
    for request, status in (
        (b"GET /api/trakt/last HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n", 505),
        (b"GET /api/trakt/last HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n", 505),
        (b"POST /api/trakt/last HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 501),
        (b"GET /widget/trakt-widget.js HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\nConnection: close\r\n\r\n", 416),
        (b"GET /widget/trakt-widget.js HTTP/1.1\r\nHost: x\r\nIf-Match: \"nope\"\r\nConnection: close\r\n\r\n", 412),
    ):
        answer = v.raw(request)
        try:
            check_answer(answer, (status,))
        except AssertionError as err:
            failures.append(str(err).splitlines()[0])
    assert_no_upstream_call(fake, before)
    assert failures == [], "\n".join(failures)


def test_oversized_query_and_headers_get_json_4xx(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    answer = v.get("/api/trakt/last?" + "q" * 8192)
    check_answer(answer, (414,), code="URI_TOO_LONG")
    # A single header over nginx's 8 KB buffer, and many that add up past the four buffers.
    answer = v.get(headers={"X-Long": "h" * 9000})
    check_answer(answer, (431, 400), code=None)
    assert answer.json()["code"] in ("HEADERS_TOO_LARGE", "BAD_REQUEST"), answer
    answer = v.get(headers={f"X-Many-{i}": "m" * 4000 for i in range(12)})
    check_answer(answer, (431, 400))
    answer = v.get(headers={"Cookie": "c=" + "k" * 9000})
    check_answer(answer, (431, 400))
    assert_no_upstream_call(fake, before)


@pytest.mark.parametrize("tag", [
    '"unterminated', 'W/', '""', '*, garbage', 'W/"x", "', "\x01\x02", "a" * 4000, '"\u00e9"', ",,,,", "W/W/\"x\"",
])
def test_malformed_if_none_match_is_ignored(tag: str, primed: Any, fake: FakeUpstream) -> None:
    """RFC 9110 13.1.2: an unparsable validator matches nothing; `*` matches anything."""
    stack, v, before = primed
    encoded = tag.encode("utf-8").decode("latin-1")  # http.client sends header values as latin-1 bytes
    for answer in (v.get(headers={"If-None-Match": encoded}),
                   to_responder(stack.responder.sock, headers={"If-None-Match": encoded})):
        # "*" is only valid on its own; in a list it is malformed, so nginx ignores it (200) while the
        # responder is lenient and matches (304). Both are clear answers.
        expected = (200, 304) if tag.startswith("*") else (200,)
        check_answer(answer, expected)
    assert_no_upstream_call(fake, before)


def test_origin_null_gets_json_without_cors_headers(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    for method in ("GET", "OPTIONS"):
        answer = v.request(method=method, headers={"Origin": "null"})
        check_answer(answer, (200, 204))
        cors = [k for k in answer.headers if k.lower().startswith("access-control-")]
        assert cors == [], f"CORS headers for Origin: null: {answer.headers}"
    allowed = v.get(headers={"Origin": "http://allowed.test"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://allowed.test"  # the check can fail
    assert_no_upstream_call(fake, before)


def test_non_utf8_paths_get_json_4xx(primed: Any, fake: FakeUpstream) -> None:
    stack, v, before = primed
    for path in (b"/api/trakt/last\xff", b"/api/trakt/\xc3\x28", b"/\xff\xfe\xfd", b"/api/trakt/last?\xff=\xfe",
                 b"/api/\xed\xa0\x80/last"):
        request = b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        answer = v.raw(request)
        if path.startswith(b"/api/trakt/last?"):
            check_answer(answer, (200,))  # the query string is not part of the route
        else:
            check_answer(answer, (400, 404))
    # Straight to the responder (nginx would never pass these on): 400 for a path that is not UTF-8.
    for raw in (b"/api/trakt/last\xff", b"/api/trakt/\xc3\x28", b"\xff", b"/api/trakt/\xed\xa0\x80"):
        # surrogateescape carries bytes that are not UTF-8 through the FastCGI encoder unchanged.
        uri = raw.decode("utf-8", "surrogateescape")
        answer = to_responder(stack.responder.sock, params={"REQUEST_URI": uri, "DOCUMENT_URI": uri.split("?")[0]})
        check_answer(answer, (400, 404))
    assert_no_upstream_call(fake, before)
    assert stack.responder.alive()


# --- secrets ----------------------------------------------------------------------------------------------


def test_no_secret_in_any_response_or_log_of_this_module(make_stack: Callable[..., Stack],
                                                          fake: FakeUpstream, tmp_path: Path) -> None:
    """Runs last in the module: a refresh, a failure and a recovery of its own, then every response and
    log line this module produced (responder, nginx error and access logs) against every secret."""
    stack = make_stack(WARM)
    v = visitors(stack)
    prime(stack, v)

    def drive(done: Callable[[], bool]) -> Callable[[], bool]:
        def check() -> bool:
            check_answer(to_responder(stack.responder.sock), (200,))
            return done()
        return check

    fake.set_tokens(expired=True)  # the next refresh gets a 401 and rotates
    wait_for(drive(lambda: fake.count("/oauth/token") >= 2), "a second rotation")
    fake.fault("status", prefix="/sync", status=500, count=2)
    wait_for(drive(lambda: fake.faults() == []), "two failed refreshes")
    check_answer(v.get("/api/trakt/health"), (200, 503), health=True)
    assert stack.responder.stop() == 0
    stack.nginx.stop()
    LEDGER.add_secrets(harvest_fake_secrets(fake) | {TEST_CLIENT_SECRET, TEST_TMDB_API_KEY})
    LEDGER.add_logs(tmp_path)

    assert len(LEDGER.secrets) >= 5, LEDGER.secrets
    assert LEDGER.answers and any("responder.log" in p for p in LEDGER.logs) and \
        any("access.log" in p for p in LEDGER.logs), "nothing to scan"
    # The scan can fail: the fake's own request log holds the tokens verbatim.
    assert any(s in json.dumps(fake.requests()) for s in LEDGER.secrets)
    leaks = LEDGER.leaks()
    assert leaks == [], "secrets leaked:\n" + "\n".join(leaks)
