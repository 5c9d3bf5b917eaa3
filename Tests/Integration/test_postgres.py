"""The PostgreSQL token store, through the real binary, a real PostgreSQL 15 and the fake Trakt.

Every test gets a fresh database on one session-wide server (harness/postgres.py). Tokens at the fake are
single-use, like Trakt's: a refresh token spent twice answers invalid_grant, so counting /oauth/token
calls and their statuses at the fake tells whether the responders shared the pair correctly.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from harness import (TEST_CLIENT_SECRET, TEST_TMDB_API_KEY, FakeUpstream, PgDatabase, PgServer, Responder, Response,
                     fcgi_request, responder_env, run_cli, wait_until)
from harness.fixtures import require_binary

StartResponder = Callable[..., Responder]

EVIL_REFRESH = "x'); DROP TABLE trakt_widget_tokens; --\" \\ $1 ;"
EVIL_ACCESS = "acc'ess\"; DELETE FROM trakt_widget_tokens; --"


# --- helpers -------------------------------------------------------------------------------------------


def db_tokens(db: PgDatabase) -> dict[str, Any] | None:
    """The one row of trakt_widget_tokens as a dict (JSON keeps odd characters intact), or None."""
    out = db.psql("SELECT row_to_json(t)::text FROM trakt_widget_tokens t WHERE id = 1")
    return json.loads(out) if out else None


def local_tokens(state_dir: Path) -> dict[str, Any] | None:
    path = state_dir / "tokens.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def forget_last_result(db: PgDatabase) -> None:
    """Drop the shared last good result, so the next process to start must fetch (and so use a token)."""
    db.psql("DELETE FROM trakt_widget_last_result")


def oauth_calls(fake: FakeUpstream, after_seq: int = 0) -> list[dict[str, Any]]:
    return [r for r in fake.requests(path="/oauth/token") if r["seq"] > after_seq]


def rejected_refreshes(fake: FakeUpstream, after_seq: int = 0) -> list[dict[str, Any]]:
    """/oauth/token answers other than 200: invalid_grant (spent or unknown token) above all."""
    return [r for r in oauth_calls(fake, after_seq) if r["status"] != 200]


def last_seq(fake: FakeUpstream) -> int:
    log = fake.requests()
    return log[-1]["seq"] if log else 0


def get_data(proc: Responder, **kwargs: Any) -> dict[str, Any]:
    """GET /api/trakt/last, which must answer 200 with an item; returns the whole body."""
    response = proc.request(**kwargs)
    assert response.status == 200, f"{response.status} {response.text}\n{proc.log_text()[-3000:]}"
    body = response.json()
    assert body["ok"] is True and body["data"] is not None, body
    return body


def health(proc: Responder) -> tuple[int, dict[str, Any]]:
    response = proc.request(path="/api/trakt/health")
    return response.status, response.json()


def movie_item(title: str, watched_at: str, tmdb: int = 129, history_id: int = 900) -> dict[str, Any]:
    return {
        "id": history_id, "watched_at": watched_at, "action": "watch", "type": "movie",
        "movie": {"title": title, "year": 2024, "ids": {"trakt": 77, "slug": "x", "imdb": None, "tmdb": tmdb}},
    }


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(fake: FakeUpstream, tmp_path: Path) -> Callable[..., CliResult]:
    """run(args, state_dir=None, env=None, timeout=30) runs the binary once (auth, last, check)."""
    binary = require_binary()
    runs = iter(range(1_000_000))

    def run(args: list[str], state_dir: Path | None = None, env: Mapping[str, Any] | None = None,
            timeout: float = 30.0) -> CliResult:
        workdir = tmp_path / f"cli{next(runs)}"
        workdir.mkdir()
        state = state_dir or workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        full_env = responder_env(fake.url, state, fake.tokens()["refresh_token"], env)
        proc = run_cli(args, full_env, workdir, timeout, binary)
        return CliResult(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))

    return run


def pg_env(db: PgDatabase, **extra: Any) -> dict[str, Any]:
    return {"DATABASE_URL": db.url, **extra}


# --- rotation -----------------------------------------------------------------------------------------


def test_rotation_is_persisted_in_postgres(fake: FakeUpstream, pg: PgDatabase, responder: StartResponder) -> None:
    initial = fake.tokens()
    proc = responder(pg_env(pg))  # only TRAKT_REFRESH_TOKEN: the first fetch must refresh

    bootstrapped = db_tokens(pg)
    assert bootstrapped is not None, "the bootstrap token from the environment was not stored"
    assert bootstrapped["refresh_token"] == initial["refresh_token"]
    assert bootstrapped["ever_held"] is True

    get_data(proc)

    current = fake.tokens()
    assert current["refresh_token"] != initial["refresh_token"], "the fake saw no rotation"
    row = db_tokens(pg)
    assert row["refresh_token"] == current["refresh_token"]
    assert row["access_token"] == current["access_token"]
    assert row["generation"] > bootstrapped["generation"]
    assert row["rejected"] is False
    assert row["expires_at"] is not None
    calls = oauth_calls(fake)
    assert len(calls) == 1 and calls[0]["status"] == 200, calls
    # The local copy beside the database holds the same pair and generation.
    local = local_tokens(proc.state_dir)
    assert local["tokens"]["refresh_token"] == current["refresh_token"]
    assert local["tokens"]["generation"] == row["generation"]


def test_restart_prefers_database_pair_over_stale_environment_token(
        fake: FakeUpstream, pg: PgDatabase, responder: StartResponder, tmp_path: Path) -> None:
    stale_env_token = fake.tokens()["refresh_token"]
    first = responder(pg_env(pg))
    get_data(first)
    assert first.stop() == 0
    rotated = db_tokens(pg)
    assert rotated["refresh_token"] != stale_env_token
    seq = last_seq(fake)

    # A new host (empty state directory) whose environment still carries the long-spent token, and an
    # access token that went bad: the only way to serve is to refresh with the database's token.
    fake.set_tokens(expired=True)
    forget_last_result(pg)
    second = responder(pg_env(pg, TRAKT_REFRESH_TOKEN=stale_env_token), state_dir=tmp_path / "host2")
    get_data(second)

    calls = oauth_calls(fake, seq)
    assert rejected_refreshes(fake) == [], "the stale environment token was spent (invalid_grant)"
    assert [c["status"] for c in calls] == [200], calls
    assert calls[0]["json"]["refresh_token"] == rotated["refresh_token"]
    row = db_tokens(pg)
    assert row["refresh_token"] == fake.tokens()["refresh_token"]
    assert row["generation"] == rotated["generation"] + 1


def test_three_processes_race_for_one_refresh(fake: FakeUpstream, pg: PgDatabase, responder: StartResponder,
                                             tmp_path: Path) -> None:
    initial = fake.tokens()
    fake.set_tokens(expired=True)  # the access token every process starts with is dead at Trakt
    env = pg_env(pg, TRAKT_ACCESS_TOKEN=initial["access_token"])
    # Separate state directories: three hosts, so only PostgreSQL can serialise the refresh.
    procs = [responder(env, state_dir=tmp_path / f"host{i}", workers=4) for i in range(3)]
    seq = last_seq(fake)

    def one(i: int) -> tuple[int, Response]:
        return i % 3, fcgi_request(procs[i % 3].sock, timeout=60)

    with ThreadPoolExecutor(max_workers=300) as pool:
        results = list(pool.map(one, range(300)))

    failures = [(i, r.status, r.text) for i, r in results if r.status != 200 or r.json()["data"] is None]
    assert not failures, f"{len(failures)} requests failed, e.g. {failures[:3]}"
    served = Counter(i for i, _ in results)
    assert served == {0: 100, 1: 100, 2: 100}

    calls = oauth_calls(fake, seq)
    assert rejected_refreshes(fake) == [], "a spent refresh token was sent again (invalid_grant)"
    assert len(calls) == 1, f"expected exactly one refresh at Trakt, saw {len(calls)}"
    current = fake.tokens()
    row = db_tokens(pg)
    assert row["refresh_token"] == current["refresh_token"]
    assert row["access_token"] == current["access_token"]
    logs = [proc.log_text() for proc in procs]
    rotated = [i for i, log in enumerate(logs) if "rotated the Trakt token" in log]
    adopted = [i for i, log in enumerate(logs) if "adopted a token another process rotated" in log]
    assert len(rotated) == 1 and sorted(rotated + adopted) == [0, 1, 2], logs
    for proc in procs:
        status, body = health(proc)
        assert status == 200 and body["token"]["state"] == "valid", body
        assert (body["store"]["type"], body["store"]["reachable"]) == ("postgres", True), body


# --- database outages ---------------------------------------------------------------------------------


def test_database_outage_keeps_serving_and_loses_no_rotation(
        fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer, responder: StartResponder,
        tmp_path: Path) -> None:
    proc = responder(pg_env(pg, CACHE_TTL=1))
    first = get_data(proc)
    before = db_tokens(pg)
    assert before["refresh_token"] == fake.tokens()["refresh_token"]

    pg_server.stop()
    try:
        assert get_data(proc)["data"] == first["data"]

        # Rotate while the database is down: the pair must land in the local state file.
        fake.set_tokens(expired=True)

        def rotated_locally() -> bool:
            get_data(proc)
            local = local_tokens(proc.state_dir)
            return (local is not None and local["tokens"]["generation"] > before["generation"]
                    and local["tokens"]["refresh_token"] == fake.tokens()["refresh_token"])

        wait_until(rotated_locally, 15, "rotation into the local state file while PostgreSQL is down")
        assert len(oauth_calls(fake)) == 2
        status, body = health(proc)
        assert body["store"]["reachable"] is False, body
    finally:
        pg_server.start()

    newest = local_tokens(proc.state_dir)["tokens"]
    problems: list[str] = []

    def reconnected() -> bool:
        get_data(proc)  # keeps the refresh loop, and with it the reconnect, going
        return pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'trakt-widget' "
                       "AND datname = current_database()") != "0"

    wait_until(reconnected, 20, "the responder reconnecting to PostgreSQL")

    def written_back() -> bool:
        get_data(proc)
        row = db_tokens(pg)
        return row["refresh_token"] == fake.tokens()["refresh_token"] and row["generation"] >= newest["generation"]

    try:
        wait_until(written_back, 5, "the rotated pair written back to PostgreSQL")
    except TimeoutError:
        row = db_tokens(pg)
        problems.append(
            "after PostgreSQL returned (and the responder reconnected), the database still holds the pre-outage "
            f"pair: generation {row['generation']}, its refresh token already spent at Trakt: "
            f"{row['refresh_token'] in fake.tokens()['used_refresh_tokens']}; the local file holds generation "
            f"{newest['generation']}"
        )

    # Nothing is lost: another host that only knows the database refreshes successfully.
    seq = last_seq(fake)
    fake.set_tokens(expired=True)
    forget_last_result(pg)
    other = responder(pg_env(pg, CACHE_TTL=1), state_dir=tmp_path / "other-host")
    response = other.request()
    statuses = [c["status"] for c in oauth_calls(fake, seq)]
    if response.status != 200 or statuses != [200]:
        problems.append(
            f"another host reading the database got {response.status} {response.text} with /oauth/token "
            f"statuses {statuses} (400 = invalid_grant: it spent a refresh token rotated during the outage)"
        )
    else:
        assert db_tokens(pg)["refresh_token"] == fake.tokens()["refresh_token"]
    if problems:
        pytest.fail("\n".join(problems) + f"\n--- first responder log:\n{proc.log_text()[-3000:]}", pytrace=False)


def test_database_unreachable_at_start_serves_from_state_file(
        fake: FakeUpstream, pg: PgDatabase, responder: StartResponder, cli: Callable[..., CliResult],
        tmp_path: Path) -> None:
    state = tmp_path / "state"
    prepared = cli(["last"], state_dir=state, env=pg_env(pg))
    assert prepared.code == 0, prepared.output
    printed = json.loads(prepared.stdout)
    assert (state / "tokens.json").exists() and (state / "last-result.json").exists()

    dead = Path(tempfile.mkdtemp(prefix="twdead", dir="/tmp"))  # no server ever listens here
    dead_env = {"DATABASE_URL": f"postgresql:///tw?host={dead}&user=postgres"}
    proc = responder(dead_env, state_dir=state)
    body = get_data(proc)
    assert body["data"] == printed["data"]
    _, report = health(proc)
    assert (report["store"]["type"], report["store"]["reachable"]) == ("postgres", False), report
    assert report["token"]["state"] == "valid", report

    check = cli(["check"], state_dir=state, env=dead_env)
    assert "NOT reachable" in check.stdout, check.output
    assert "postgres" in check.stdout
    assert check.code == 1, check.output
    dead.rmdir()


# --- trakt-widget auth --------------------------------------------------------------------------------


def fake_secrets(fake: FakeUpstream) -> set[str]:
    """Every token the fake ever issued or saw, and the static credentials."""
    state = fake.tokens()
    found = {state["access_token"], state["refresh_token"], *state["used_refresh_tokens"],
             TEST_CLIENT_SECRET, TEST_TMDB_API_KEY}
    for entry in fake.requests():
        auth = entry["headers"].get("authorization", "")
        if auth.lower().startswith("bearer "):
            found.add(auth[7:])
        body = entry.get("json") or {}
        for key in ("refresh_token", "client_secret", "code", "token", "access_token"):
            if isinstance(body.get(key), str):
                found.add(body[key])
        if "api_key" in entry.get("params", {}):
            found.add(entry["params"]["api_key"])
    return {s for s in found if s and len(s) >= 8}


def test_auth_device_flow_pending_then_success(fake: FakeUpstream, pg: PgDatabase,
                                               cli: Callable[..., CliResult]) -> None:
    assert cli(["last"], env=pg_env(pg)).code == 0
    before = db_tokens(pg)
    fake.device(["pending", "pending", "success"], interval=1)

    result = cli(["auth"], env=pg_env(pg))

    assert result.code == 0, result.output
    device = fake.device_state()
    assert device["polls"] == 3
    assert device["codes"][0]["user_code"] in result.stdout
    assert "https://trakt.tv/activate" in result.stdout
    current = fake.tokens()
    row = db_tokens(pg)
    assert row["refresh_token"] == current["refresh_token"] and row["access_token"] == current["access_token"]
    assert row["generation"] > before["generation"]
    assert row["rejected"] is False
    for secret in fake_secrets(fake):
        assert secret not in result.output, "auth printed a token without --print-tokens"


@pytest.mark.parametrize("outcome, exit_code, word", [("denied", 3, "denied"), ("expired", 4, "expired")])
def test_auth_device_flow_refused(fake: FakeUpstream, pg: PgDatabase, cli: Callable[..., CliResult],
                                  outcome: str, exit_code: int, word: str) -> None:
    fake.device([outcome], interval=1)
    result = cli(["auth"], env=pg_env(pg))
    assert result.code == exit_code, result.output
    assert word in result.output.lower()
    row = db_tokens(pg)
    assert row is None or row["refresh_token"] is None, f"a refused authorization stored a pair: {row}"


def test_auth_device_flow_slow_down_increases_interval(fake: FakeUpstream, pg: PgDatabase,
                                                       cli: Callable[..., CliResult]) -> None:
    fake.device(["slow_down", "success"], interval=1)
    result = cli(["auth"], env=pg_env(pg))
    assert result.code == 0, result.output
    times = [r["time"] for r in fake.requests(prefix="/oauth/device")]
    assert len(times) == 3, times  # device/code, then two polls
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    # Each poll comes at least one interval after the previous answer: 1 s, then 2 s after slow_down.
    assert first_wait >= 0.95, first_wait
    assert second_wait >= 1.95, f"the interval did not grow after slow_down: waits {first_wait:.2f}s, {second_wait:.2f}s"
    assert db_tokens(pg)["refresh_token"] == fake.tokens()["refresh_token"]


def test_auth_print_tokens(fake: FakeUpstream, pg: PgDatabase, cli: Callable[..., CliResult]) -> None:
    fake.device(["success"], interval=1)
    result = cli(["auth", "--print-tokens"], env=pg_env(pg))
    assert result.code == 0, result.output
    current = fake.tokens()
    assert current["access_token"] in result.stdout and current["refresh_token"] in result.stdout


def test_auth_code_exchange(fake: FakeUpstream, pg: PgDatabase, cli: Callable[..., CliResult]) -> None:
    code = fake.tokens()["auth_codes"][0]
    result = cli(["auth", "--code", code], env=pg_env(pg))
    assert result.code == 0, result.output
    current = fake.tokens()
    assert code not in current["auth_codes"], "the code was not spent at the fake"
    row = db_tokens(pg)
    assert row["refresh_token"] == current["refresh_token"] and row["generation"] >= 1
    assert current["access_token"] not in result.output and current["refresh_token"] not in result.output
    # A used code is rejected with its own exit code.
    again = cli(["auth", "--code", code], env=pg_env(pg))
    assert again.code == 5, again.output


def test_auth_revoke_clears_store_and_revokes(fake: FakeUpstream, pg: PgDatabase,
                                              cli: Callable[..., CliResult], tmp_path: Path) -> None:
    state = tmp_path / "auth-state"
    assert cli(["auth", "--code", fake.tokens()["auth_codes"][0]], state_dir=state, env=pg_env(pg)).code == 0
    stored = db_tokens(pg)
    result = cli(["auth", "--revoke"], state_dir=state, env=pg_env(pg))
    assert result.code == 0, result.output
    revokes = fake.requests(path="/oauth/revoke")
    assert len(revokes) == 1 and revokes[0]["status"] == 200
    assert revokes[0]["json"]["token"] == stored["access_token"]
    assert fake.tokens()["revoked"] is True
    row = db_tokens(pg)
    assert row["refresh_token"] is None and row["access_token"] is None, row
    assert row["ever_held"] is True
    assert local_tokens(state).get("tokens") is None


# --- invalid_grant and recovery -----------------------------------------------------------------------


def test_invalid_grant_cold_answers_reauth_required_then_auth_recovers(
        fake: FakeUpstream, pg: PgDatabase, responder: StartResponder, cli: Callable[..., CliResult]) -> None:
    proc = responder(pg_env(pg, CACHE_TTL=1, TRAKT_REFRESH_TOKEN="refresh-token-nobody-issued"))
    response = proc.request()
    assert response.status == 503, response.text
    assert response.json()["code"] == "REAUTH_REQUIRED"
    assert response.headers.get("Cache-Control") == "no-store"
    assert [c["status"] for c in oauth_calls(fake)] == [400]
    # Rejected on this host only (docs/tokens.md): the shared row stays usable for the other hosts.
    assert db_tokens(pg)["rejected"] is False
    assert local_tokens(proc.state_dir)["rejected"] is True

    # Later requests (the 1 s backoff lets the engine try again several times) spend nothing.
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        later = proc.request()
        assert later.status == 503 and later.json()["code"] == "REAUTH_REQUIRED", later.text
    assert len(oauth_calls(fake)) == 1, "the rejected refresh token was sent again"
    _, report = health(proc)
    assert report["token"]["state"] == "reauth_required", report

    code = fake.tokens()["auth_codes"][0]
    assert cli(["auth", "--code", code], state_dir=proc.state_dir, env=pg_env(pg)).code == 0

    def recovered() -> bool:
        response = proc.request()
        return response.status == 200 and response.json()["data"] is not None

    wait_until(recovered, 15, "recovery after `trakt-widget auth` without a restart")
    assert len(rejected_refreshes(fake)) == 1, "only the first, unknown token may be rejected"


def test_invalid_grant_warm_serves_stale_then_auth_recovers(
        fake: FakeUpstream, pg: PgDatabase, responder: StartResponder, cli: Callable[..., CliResult]) -> None:
    proc = responder(pg_env(pg, CACHE_TTL=1))
    good = get_data(proc)
    # The pair is replaced behind our back (e.g. authorized elsewhere): the access token is dead and our
    # refresh token unknown, so the next refresh gets invalid_grant.
    fake.set_tokens(access_token="someone-else-access-000", refresh_token="someone-else-refresh-000")

    def stale() -> bool:
        body = get_data(proc)
        assert body["data"] == good["data"]
        return body.get("stale") is True

    wait_until(stale, 15, "the last good result served as stale after invalid_grant")
    assert [c["status"] for c in oauth_calls(fake)] == [200, 400]
    _, report = health(proc)
    assert report["token"]["state"] == "reauth_required", report

    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        assert get_data(proc).get("stale") is True
    assert len(oauth_calls(fake)) == 2, "the rejected refresh token was sent again"

    fake.scenario(movies=[movie_item("Recovered Without Restart", now_iso())])
    fake.device(["pending", "success"], interval=1)
    auth = cli(["auth"], state_dir=proc.state_dir, env=pg_env(pg))
    assert auth.code == 0, auth.output

    def fresh() -> bool:
        body = get_data(proc)
        return body["data"]["title"] == "Recovered Without Restart" and not body.get("stale")

    wait_until(fresh, 15, "fresh data after `trakt-widget auth` without a restart")
    assert len(oauth_calls(fake)) == 2  # the new pair was used as is, not refreshed


# --- hostile values and secrets -----------------------------------------------------------------------


def test_sql_metacharacters_in_tokens_round_trip(fake: FakeUpstream, pg: PgDatabase,
                                                 responder: StartResponder, tmp_path: Path) -> None:
    # The fake answers the first refresh with a pair full of quotes and semicolons, and accepts it later.
    issued_at = int(time.time())
    fake.fault("status", prefix="/oauth/token", count=1, status=200, json={
        "access_token": EVIL_ACCESS, "token_type": "bearer", "expires_in": 604800,
        "refresh_token": EVIL_REFRESH, "scope": "public", "created_at": issued_at,
    })
    proc = responder(pg_env(pg))
    fake.set_tokens(access_token=EVIL_ACCESS, refresh_token=EVIL_REFRESH)
    get_data(proc)

    row = db_tokens(pg)
    assert row["refresh_token"] == EVIL_REFRESH
    assert row["access_token"] == EVIL_ACCESS
    assert pg.psql("SELECT count(*) FROM trakt_widget_tokens") == "1"
    assert proc.stop() == 0

    # Another host that only has the database must refresh with exactly that token.
    seq = last_seq(fake)
    fake.set_tokens(expired=True)
    forget_last_result(pg)
    other = responder(pg_env(pg, TRAKT_REFRESH_TOKEN="stale"), state_dir=tmp_path / "other")
    get_data(other)
    calls = oauth_calls(fake, seq)
    assert [c["status"] for c in calls] == [200], calls
    assert calls[0]["json"]["refresh_token"] == EVIL_REFRESH
    assert db_tokens(pg)["refresh_token"] == fake.tokens()["refresh_token"]


def test_secrets_never_logged(fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer,
                              responder: StartResponder, cli: Callable[..., CliResult]) -> None:
    db_password = "pg-password-SECRET-123"
    env = pg_env(pg, CACHE_TTL=1, TRAKT_WIDGET_LOG_LEVEL="debug")
    env["DATABASE_URL"] = pg.url + f"&password={db_password}"
    proc = responder(env)
    get_data(proc)  # rotation 1
    fake.set_tokens(expired=True)
    wait_until(lambda: get_data(proc) and len(oauth_calls(fake)) == 2, 15, "rotation 2")
    pg_server.stop()
    try:
        fake.set_tokens(expired=True)
        wait_until(lambda: get_data(proc) and len(oauth_calls(fake)) == 3, 15, "rotation 3 while PostgreSQL is down")
        check_down = cli(["check"], state_dir=proc.state_dir, env=env)
    finally:
        pg_server.start()
    check_up = cli(["check"], state_dir=proc.state_dir, env=env)
    assert check_up.code == 0, check_up.output
    assert check_down.code == 1 and "NOT reachable" in check_down.stdout, check_down.output
    assert proc.stop() == 0

    secrets = fake_secrets(fake) | {db_password, env["DATABASE_URL"]}
    assert len(secrets) >= 8
    for name, text in (("responder log", proc.log_text()), ("check output", check_up.output),
                       ("check output (database down)", check_down.output)):
        assert text.strip(), f"{name} is empty: nothing was checked"
        leaked = [s[:6] + "…" for s in secrets if s in text]
        assert not leaked, f"{name} contains secrets starting with {leaked}:\n{text}"


# --- migrations ---------------------------------------------------------------------------------------


def test_concurrent_start_migrates_once(fake: FakeUpstream, pg: PgDatabase, tmp_path: Path) -> None:
    binary = require_binary()
    procs = []
    for i in range(3):
        workdir = tmp_path / f"host{i}"
        (workdir / "state").mkdir(parents=True)
        env = responder_env(fake.url, workdir / "state", fake.tokens()["refresh_token"], pg_env(pg))
        procs.append(Responder(binary, env, workdir, workers=2))
    try:
        with ThreadPoolExecutor(max_workers=len(procs)) as pool:
            list(pool.map(lambda p: p.start(20), procs))
        for proc in procs:
            assert "trakt-widget error" not in proc.log_text(), proc.log_text()
            get_data(proc)
        rows = pg.rows("SELECT version, count(*) FROM trakt_widget_schema GROUP BY version ORDER BY version")
        versions = [int(v) for v, _ in rows]
        assert versions == list(range(1, len(versions) + 1)) and versions, rows
        assert all(count == "1" for _, count in rows), rows
        tables = pg.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                         "WHERE tablename LIKE 'trakt_widget_%'")
        assert tables == "trakt_widget_last_result,trakt_widget_schema,trakt_widget_tokens"
        assert len(oauth_calls(fake)) == 1 and rejected_refreshes(fake) == []
    finally:
        codes = [p.stop() if p.alive() else p.returncode for p in procs]
        for p in procs:
            p.cleanup()
    assert codes == [0, 0, 0], [p.log_text() for p in procs]
