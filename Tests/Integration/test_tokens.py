"""Tokens under the faults nobody scripted (issue 9), through the real binary, a real PostgreSQL 15, a
real tmpfs and the fake Trakt: any lifetime, full and read-only disks, a stopped or black-holed
database, half answers, hosts that disagree, odd or late refresh answers.

Every test ends with the same three checks (`assert_pair_survived`): the pair the fake will accept next
is the one the store holds (or, while a write cannot land, the one the responder uses from memory),
the responses stayed 200 (stale where right), and no refresh token reached Trakt twice.

The fake's refresh tokens are single-use like Trakt's, so "spent twice" is exact: two /oauth/token
calls with the right client and redirect_uri carrying the same refresh token.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from harness import FakeUpstream, PgDatabase, PgProxy, PgServer, Responder, responder_env, run_cli, wait_until
from harness.fixtures import require_binary

StartResponder = Callable[..., Responder]

# Upstream timeouts of 1 s keep the hang cases short; CACHE_TTL=1 refreshes on every second of traffic.
FAST = {"UPSTREAM_TIMEOUT": "1", "UPSTREAM_CONNECT_TIMEOUT": "1", "CACHE_TTL": "1"}
OOB = "urn:ietf:wg:oauth:2.0:oob"
DEADLINE = 30.0  # generous: the machine is shared


# --- what every test checks ------------------------------------------------------------------------------


def spent_twice(fake: FakeUpstream) -> list[str]:
    """Refresh tokens sent to Trakt more than once with a request Trakt would otherwise honour."""
    sent = Counter()
    for call in fake.requests(path="/oauth/token"):
        body = json.loads(call.get("body") or "{}")
        if body.get("grant_type") == "refresh_token" and body.get("redirect_uri") == OOB:
            sent[body.get("refresh_token")] += 1
    return [token[:8] for token, count in sent.items() if count > 1]


def file_refresh_token(state_dir: Path) -> str | None:
    path = state_dir / "tokens.json"
    if not path.exists():
        return None
    return (json.loads(path.read_text()).get("tokens") or {}).get("refresh_token")


def db_refresh_token(db: PgDatabase) -> str | None:
    return db.psql("SELECT refresh_token FROM trakt_widget_tokens WHERE id = 1") or None


def assert_pair_survived(fake: FakeUpstream, stored: Callable[[], str | None]) -> None:
    assert spent_twice(fake) == [], "a refresh token reached Trakt twice: a rotated pair was lost"
    live = fake.tokens()
    assert not live["revoked"]
    wait_until(lambda: stored() == live["refresh_token"], DEADLINE, "the store to hold the live refresh token")


def health(proc: Responder) -> dict[str, Any]:
    answer = proc.request(path="/api/trakt/health")
    assert answer.status in (200, 503), answer
    return answer.json()


def last(proc: Responder) -> dict[str, Any]:
    answer = proc.request()
    assert answer.status == 200, f"{answer.status}: {answer.body[:300]!r}"
    return answer.json()


def rotations(fake: FakeUpstream) -> int:
    return len([c for c in fake.requests(path="/oauth/token") if c["status"] == 200])


class Traffic:
    """Requests to each responder in a loop on a thread, answers kept, until stopped."""

    def __init__(self, procs: list[Responder], pause: float = 0.05) -> None:
        self.procs = procs
        self.pause = pause
        self.answers: list[tuple[int, dict[str, Any] | None, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in self.procs:
                started = time.monotonic()
                try:
                    answer = proc.request()
                    body = answer.json() if answer.status == 200 else None
                    self.answers.append((answer.status, body, time.monotonic() - started))
                except OSError:
                    self.answers.append((0, None, time.monotonic() - started))
            self._stop.wait(self.pause)

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def statuses(self) -> Counter:
        return Counter(status for status, _, _ in self.answers)


def run_traffic(procs: list[Responder], seconds: float) -> Traffic:
    with Traffic(procs) as traffic:
        time.sleep(seconds)  # the load itself is what is measured, not a synchronisation
    return traffic


# --- any lifetime ------------------------------------------------------------------------------------------

LIFETIMES = [2, 3, 600, 7 * 86_400]
TRAFFIC_SECONDS = 6.0


def expected_rotations(lifetime: int, seconds: float) -> int:
    """The bootstrap refresh, then one per half lifetime; one spare for a boundary straddled."""
    return 1 + int(seconds / (lifetime / 2)) + 1


@pytest.mark.parametrize("lifetime", LIFETIMES)
def test_any_lifetime_one_process(lifetime: int, fake: FakeUpstream, responder: StartResponder) -> None:
    fake.scenario(expires_in=lifetime)
    proc = responder(FAST)
    last(proc)
    traffic = run_traffic([proc], TRAFFIC_SECONDS)
    assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
    count = rotations(fake)
    assert 1 <= count <= expected_rotations(lifetime, TRAFFIC_SECONDS + 2), (lifetime, count)
    if lifetime >= 600:
        assert count == 1
    assert health(proc)["token"]["state"] in ("valid", "refreshing", "refresh_due")
    assert_pair_survived(fake, lambda: file_refresh_token(proc.state_dir))


@pytest.mark.parametrize("lifetime", LIFETIMES)
def test_any_lifetime_three_processes_on_one_postgres(lifetime: int, fake: FakeUpstream, responder: StartResponder,
                                                      pg: PgDatabase) -> None:
    fake.scenario(expires_in=lifetime)
    procs = [responder({**FAST, "DATABASE_URL": pg.url}) for _ in range(3)]
    for proc in procs:
        last(proc)
    traffic = run_traffic(procs, TRAFFIC_SECONDS)
    assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
    count = rotations(fake)
    # Three processes, one rotation per due window between them.
    assert 1 <= count <= expected_rotations(lifetime, TRAFFIC_SECONDS + 4), (lifetime, count)
    if lifetime >= 600:
        assert count == 1
    assert_pair_survived(fake, lambda: db_refresh_token(pg))


# --- full and read-only disks ------------------------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs as the state directory; unmounted whatever happens."""
    mount_point = tmp_path / "state"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Fills the file system under `directory` to the last byte."""
    filler = directory / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, b"\0" * 1024)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    with pytest.raises(OSError):
        (directory / "probe").write_bytes(b"x" * 8192)
    return filler


def rotate_under(fake: FakeUpstream, proc: Responder, before: int) -> None:
    """Keeps the responder busy until Trakt has issued at least one more pair."""
    def rotated() -> bool:
        proc.request()
        return rotations(fake) > before
    wait_until(rotated, DEADLINE, "a rotation")


def assert_unpersisted_pair_in_use(fake: FakeUpstream, proc: Responder, state_dir: Path) -> None:
    live = fake.tokens()["refresh_token"]
    assert file_refresh_token(state_dir) != live, "the write should not have landed"
    report = wait_until(lambda: (h := health(proc))["token"]["persisted"] is False and h, DEADLINE, "persisted: false")
    assert report["ok"] is True
    # The pair is used from memory: answers stay 200 through more due windows.
    traffic = run_traffic([proc], 3.0)
    assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
    assert spent_twice(fake) == []


def test_full_disk_keeps_the_pair_in_memory_until_space_returns(fake: FakeUpstream, responder: StartResponder,
                                                                small_tmpfs: Path) -> None:
    fake.scenario(expires_in=4)
    proc = responder(FAST, state_dir=small_tmpfs)
    last(proc)
    filler = fill(small_tmpfs)
    rotate_under(fake, proc, rotations(fake))
    assert_unpersisted_pair_in_use(fake, proc, small_tmpfs)
    log = proc.log_text()
    assert "ENOSPC" in log, log[-2000:]
    filler.unlink()
    wait_until(lambda: health(proc)["token"]["persisted"] is True, DEADLINE, "the retried write to land")
    assert_pair_survived(fake, lambda: file_refresh_token(small_tmpfs))


def test_read_only_state_directory_keeps_the_pair_until_remounted(fake: FakeUpstream, responder: StartResponder,
                                                                  small_tmpfs: Path) -> None:
    fake.scenario(expires_in=4)
    proc = responder(FAST, state_dir=small_tmpfs)
    last(proc)
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    try:
        rotate_under(fake, proc, rotations(fake))
        assert_unpersisted_pair_in_use(fake, proc, small_tmpfs)
        assert "EROFS" in proc.log_text()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)
    wait_until(lambda: health(proc)["token"]["persisted"] is True, DEADLINE, "the retried write to land")
    assert_pair_survived(fake, lambda: file_refresh_token(small_tmpfs))


def test_sigterm_makes_a_last_write_of_an_unpersisted_pair(fake: FakeUpstream, responder: StartResponder,
                                                           small_tmpfs: Path) -> None:
    """Space returns, then SIGTERM comes before the 5 s retry: the drain's last write saves the pair."""
    fake.scenario(expires_in=4)
    proc = responder(FAST, state_dir=small_tmpfs)
    last(proc)
    filler = fill(small_tmpfs)
    # The rotated pair lives 10 min, so nothing rotates again and only the retry or the stop can write it.
    fake.scenario(expires_in=600)
    rotate_under(fake, proc, rotations(fake))
    wait_until(lambda: health(proc)["token"]["persisted"] is False, DEADLINE, "persisted: false")
    live = fake.tokens()
    assert file_refresh_token(small_tmpfs) != live["refresh_token"]
    filler.unlink()
    assert proc.stop() == 0
    assert file_refresh_token(small_tmpfs) == live["refresh_token"], "the stop did not write the pair"
    log = proc.log_text()
    assert "is persisted now" not in log, "the 5 s retry landed first: this test proves nothing"
    assert re.search(r"stop: the last write of the rotated token \(generation \d+\) landed", log), log[-2000:]

    successor = responder(FAST, state_dir=small_tmpfs)
    before = rotations(fake)
    last(successor)
    assert rotations(fake) == before, "the successor refreshed instead of using the saved pair"
    used = [c["headers"]["authorization"] for c in fake.requests() if "authorization" in c["headers"]]
    assert used and used[-1] == f"Bearer {live['access_token']}", "the successor did not use the saved pair"
    assert_pair_survived(fake, lambda: file_refresh_token(small_tmpfs))


def test_sigterm_says_the_pair_is_lost_when_the_store_still_refuses(fake: FakeUpstream, responder: StartResponder,
                                                                    small_tmpfs: Path) -> None:
    fake.scenario(expires_in=4)
    proc = responder(FAST, state_dir=small_tmpfs)
    last(proc)
    fill(small_tmpfs)
    fake.scenario(expires_in=600)
    rotate_under(fake, proc, rotations(fake))
    wait_until(lambda: health(proc)["token"]["persisted"] is False, DEADLINE, "persisted: false")
    assert proc.stop() == 0
    assert file_refresh_token(small_tmpfs) != fake.tokens()["refresh_token"]
    log = proc.log_text()
    assert re.search(r"stop: the last write of the rotated token \(generation \d+\) failed too: the pair is lost "
                     r"with this restart", log), log[-2000:]
    assert "ENOSPC" in log.split("received SIGTERM")[-1], "the last write's cause is not logged"


def test_injected_eacces_is_named_in_the_log(fake: FakeUpstream, responder: StartResponder) -> None:
    """A state file that became unwritable (auth ran as root): the debug build's errno hook stands in."""
    fake.scenario(expires_in=4)
    proc = responder({**FAST, "TRAKT_WIDGET_INJECT_ERRNO": "rename:EACCES"})
    wait_until(lambda: proc.request().status == 200, DEADLINE, "a first answer from memory")
    rotate_under(fake, proc, rotations(fake))
    assert health(proc)["token"]["persisted"] is False
    assert "EACCES" in proc.log_text()
    assert spent_twice(fake) == []


# --- PostgreSQL stopped or black-holed ---------------------------------------------------------------------


def test_database_stopped_during_a_rotation(fake: FakeUpstream, responder: StartResponder, pg: PgDatabase,
                                            pg_server: PgServer) -> None:
    fake.scenario(expires_in=4)
    proc = responder({**FAST, "DATABASE_URL": pg.url})
    last(proc)
    pg_server.stop()
    try:
        rotate_under(fake, proc, rotations(fake))
        report = wait_until(lambda: (h := health(proc))["token"]["persisted"] is False and h, DEADLINE,
                            "persisted: false")
        assert report["store"]["reachable"] is False
        traffic = run_traffic([proc], 3.0)
        assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
        assert "database" in proc.log_text().lower()
    finally:
        pg_server.start()
    wait_until(lambda: health(proc)["token"]["persisted"] is True, DEADLINE, "the retried write to land")
    assert_pair_survived(fake, lambda: db_refresh_token(pg))


def postgres_pids(server: PgServer) -> list[int]:
    """The postmaster and its children (every backend and helper), from /proc."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
    children = []
    for entry in Path("/proc").iterdir():
        try:
            # The parent pid is the 2nd field after the parenthesised command name.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == postmaster:
            children.append(int(entry.name))
    return [postmaster, *children]


def test_database_black_holed_by_sigstop(fake: FakeUpstream, responder: StartResponder, pg: PgDatabase,
                                         pg_server: PgServer) -> None:
    fake.scenario(expires_in=4)
    proc = responder({**FAST, "DATABASE_URL": pg.url})
    last(proc)
    stopped = postgres_pids(pg_server)
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with Traffic([proc]) as traffic:
            wait_until(lambda: health(proc)["store"]["reachable"] is False, DEADLINE, "health: database unreachable")
            # TTL (1 s) + grace: a result that old is flagged stale while the refresh waits on the database.
            wait_until(lambda: any(body and body.get("stale") for _, body, _ in traffic.answers), DEADLINE,
                       "a stale answer")
            # The refresh waits on the database for at most 20 s, then rotates from memory as a last resort.
            wait_until(lambda: rotations(fake) > 1, 25, "a bounded refresh")
        blocked_for = time.monotonic() - started
        assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
        slowest = max(seconds for _, _, seconds in traffic.answers)
        assert slowest < 1.0, f"a request waited {slowest:.2f} s on the black-holed database"
        assert blocked_for < 40
        assert "last resort" in proc.log_text()
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    wait_until(lambda: health(proc)["store"]["reachable"] is True, DEADLINE, "health: database reachable")
    wait_until(lambda: health(proc)["token"]["persisted"] is True, DEADLINE, "the retried write to land")
    assert_pair_survived(fake, lambda: db_refresh_token(pg))


# --- half answers ------------------------------------------------------------------------------------------

MOVIE = {"id": 9001, "watched_at": "2026-11-20T20:00:00.000Z", "action": "watch", "type": "movie",
         "movie": {"title": "Newest Movie", "year": 2026, "ids": {"trakt": 1, "slug": "n", "imdb": None, "tmdb": 603}}}


def episode(watched_at: str, title: str) -> dict[str, Any]:
    return {"id": 9100 + len(title), "watched_at": watched_at, "action": "watch", "type": "episode",
            "episode": {"season": 1, "number": 1, "title": title, "ids": {"trakt": 2, "tmdb": 1, "imdb": None}},
            "show": {"title": "Old Show", "year": 2020, "ids": {"trakt": 3, "slug": "o", "tmdb": 95396, "imdb": None}}}


OLD_EPISODE = episode("2026-06-01T20:00:00.000Z", "Old")
NEWER_EPISODE = episode("2026-11-25T20:00:00.000Z", "Newer")
SIDE_FAULTS = {
    "500": {"kind": "status", "status": 500, "json": {"error": "internal"}},
    "hang": {"kind": "hang", "seconds": 30},
    "429": {"kind": "rate_limit", "retry_after": 6},
}
# One refresh reads two things from Trakt: the mixed history and what plays now.
SIDES = {"history": "/sync/history", "watching": "/users/me/watching"}


@pytest.mark.parametrize("fault", list(SIDE_FAULTS))
@pytest.mark.parametrize("side", list(SIDES))
def test_half_answer_after_a_good_refresh_keeps_that_side(side: str, fault: str, fake: FakeUpstream,
                                                          responder: StartResponder) -> None:
    fake.scenario(movies=[MOVIE], episodes=[OLD_EPISODE])
    proc = responder(FAST)
    assert last(proc)["data"]["title"] == "Newest Movie"
    fake.fault(prefix=SIDES[side], **SIDE_FAULTS[fault])
    # Make the history change (an episode older than the movie), so the refresh must fetch it again.
    fake.scenario(episodes=[episode("2026-10-01T20:00:00.000Z", "Changed"), OLD_EPISODE])
    before = fake.count(SIDES[side])
    wait_until(lambda: last(proc) and fake.count(SIDES[side]) > before, DEADLINE, "a refresh hitting the fault")
    traffic = run_traffic([proc], 2.5)
    bodies = [body for status, body, _ in traffic.answers]
    assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
    # The last good item stays the answer; a refresh that missed a part is never served as fresh.
    assert all(body["data"]["title"] == "Newest Movie" for body in bodies), {b["data"]["title"] for b in bodies}
    assert any(body.get("stale") for body in bodies), "the half answer was served as fresh"
    if fault == "429":
        # Retry-After (6 s) is honoured: no Trakt call for either side after the 429 while it runs.
        calls = [c for c in fake.requests() if c["path"].startswith(("/sync", "/users"))]
        for limited_at in (c["time"] for c in calls if c["status"] == 429):
            # The other calls of the same refresh start with it; none may start before Retry-After.
            early = [c for c in calls if limited_at + 1.0 < c["time"] < limited_at + 5.5]
            assert early == [], "Retry-After ignored"
    assert_pair_survived(fake, lambda: file_refresh_token(proc.state_dir))


@pytest.mark.parametrize("fault", list(SIDE_FAULTS))
@pytest.mark.parametrize("side", list(SIDES))
def test_half_answer_on_a_cold_start_is_never_published(side: str, fault: str, fake: FakeUpstream,
                                                        responder: StartResponder) -> None:
    fake.scenario(movies=[MOVIE], episodes=[OLD_EPISODE])
    fault_id = fake.fault(prefix=SIDES[side], **SIDE_FAULTS[fault])
    proc = responder(FAST)
    answer = proc.request()
    if side == "history":
        # No history, nothing to show: a failed refresh.
        assert answer.status == 503 and answer.json()["code"] == "UPSTREAM_UNAVAILABLE", answer.body
    else:
        # The history is whole but what plays now is unknown: served, flagged stale, never as fresh.
        assert answer.status == 200 and answer.json()["stale"] is True and answer.json()["watching"] is None, answer.body
    fake.clear_faults(fault_id)
    body = wait_until(lambda: (a := proc.request()).status == 200 and not a.json().get("stale") and a.json(), DEADLINE,
                      "the first whole answer")
    assert body["data"]["title"] == "Newest Movie"
    assert_pair_survived(fake, lambda: file_refresh_token(proc.state_dir))


# --- hosts -------------------------------------------------------------------------------------------------


def test_a_host_with_a_wrong_redirect_uri_stops_nobody(fake: FakeUpstream, responder: StartResponder,
                                                       pg: PgDatabase) -> None:
    fake.scenario(expires_in=4)
    good = [responder({**FAST, "DATABASE_URL": pg.url}) for _ in range(2)]
    for proc in good:
        last(proc)
    bad = responder({**FAST, "DATABASE_URL": pg.url, "TRAKT_REDIRECT_URI": "https://wrong.example/callback"})
    traffic = run_traffic([*good, bad], 8.0)
    good_statuses = Counter(status for status, _, _ in traffic.answers[0::3] + traffic.answers[1::3])
    assert set(good_statuses) == {200}, good_statuses
    assert rotations(fake) >= 2, "the good hosts kept rotating"
    for proc in good:
        assert health(proc)["upstream"]["last_error_code"] != "REAUTH_REQUIRED"
    mismatched = [c for c in fake.requests(path="/oauth/token") if json.loads(c["body"])["redirect_uri"] != OOB]
    assert len(mismatched) <= rotations(fake) + 1, "a refused token cost more than one call per host"
    assert_pair_survived(fake, lambda: db_refresh_token(pg))


def seed_due_pair(fake: FakeUpstream, generation: int, rotated_days_ago: float, expires_in_days: float) -> dict:
    live = fake.tokens()
    now = time.time()
    return {"access_token": live["access_token"], "refresh_token": live["refresh_token"],
            "expires_at": now + expires_in_days * 86_400, "updated_at": now - rotated_days_ago * 86_400,
            "generation": generation}


def test_a_host_cut_off_from_the_database_does_not_rotate_then_heals(fake: FakeUpstream, responder: StartResponder,
                                                                     pg: PgDatabase, pg_server: PgServer,
                                                                     tmp_path: Path) -> None:
    # The shared row: fresh. Host B's own file: the same pair, but seen as due (rotated 4 days ago, 3 left).
    fresh = seed_due_pair(fake, 5, 0, 7)
    a = responder({**FAST, "DATABASE_URL": pg.url, "TRAKT_REFRESH_TOKEN": None})
    pg.psql(
        "INSERT INTO trakt_widget_tokens (id, access_token, refresh_token, expires_at, updated_at, generation, "
        "ever_held) VALUES (1, '{access_token}', '{refresh_token}', to_timestamp({expires_at}), "
        "to_timestamp({updated_at}), 5, true) ON CONFLICT (id) DO UPDATE SET "
        "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
        "expires_at = excluded.expires_at, updated_at = excluded.updated_at, generation = 5".format(**fresh)
    )
    proxy_dir = Path(os.path.dirname(pg_server.socket_dir)) / "proxy"
    proxy_dir.mkdir(exist_ok=True)
    proxy = PgProxy(pg_server.socket_dir, proxy_dir)
    b_state = tmp_path / "b-state"
    b_state.mkdir()
    due = seed_due_pair(fake, 5, 4, 3)
    (b_state / "tokens.json").write_text(json.dumps({"tokens": due, "ever_held": True, "rejected": False}))
    proxy.forwarding.clear()
    try:
        b = responder({**FAST, "DATABASE_URL": proxy.url(pg.name), "TRAKT_REFRESH_TOKEN": None}, state_dir=b_state)
        last(a)
        traffic = run_traffic([a, b], 6.0)
        assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
        assert rotations(fake) == 0, "a host cut off from the database rotated with days left on its token"
        assert health(b)["store"]["reachable"] is False
        assert health(a)["store"]["reachable"] is True
        assert "not rotating" in b.log_text()
        proxy.forwarding.set()
        wait_until(lambda: health(b)["store"]["reachable"] is True, DEADLINE, "B to reach the database again")
        traffic = run_traffic([a, b], 3.0)
        assert traffic.statuses() == {200: len(traffic.answers)}, traffic.statuses()
        # Healed, B takes the shared view (not due): still no rotation, nothing spent twice.
        assert rotations(fake) <= 1
    finally:
        proxy.close()
    assert_pair_survived(fake, lambda: db_refresh_token(pg))


# --- refresh answers ---------------------------------------------------------------------------------------


def test_an_odd_2xx_refresh_body_keeps_the_pair(fake: FakeUpstream, responder: StartResponder) -> None:
    fake.fault("odd_body", prefix="/oauth/token", count=1)
    proc = responder(FAST)
    assert last(proc)["data"] is not None
    assert rotations(fake) == 1
    # expires_in "7200" (a string) was read: the pair is not due again for an hour.
    run_traffic([proc], 2.0)
    assert rotations(fake) == 1
    assert_pair_survived(fake, lambda: file_refresh_token(proc.state_dir))


def test_a_refresh_answer_delayed_past_the_api_timeout_keeps_the_pair(fake: FakeUpstream,
                                                                      responder: StartResponder) -> None:
    # The API calls time out after 1 s; /oauth/token waits TRAKT_OAUTH_TIMEOUT (30 s by default).
    fake.fault("late", prefix="/oauth/token", count=1, seconds=3)
    proc = responder(FAST)
    body = wait_until(lambda: (a := proc.request()).status == 200 and a.json(), DEADLINE, "a first answer")
    assert body["data"] is not None
    assert rotations(fake) == 1
    assert_pair_survived(fake, lambda: file_refresh_token(proc.state_dir))


def test_a_refresh_answer_lost_to_the_timeout_is_named(fake: FakeUpstream, responder: StartResponder) -> None:
    """Past TRAKT_OAUTH_TIMEOUT the answer is lost and Trakt has spent the token: the one loss left on
    the refresh path. The responder says so when it happens, and explains the invalid_grant after it."""
    fake.fault("late", prefix="/oauth/token", count=1, seconds=4)
    proc = responder({**FAST, "TRAKT_OAUTH_TIMEOUT": "2"})
    wait_until(lambda: proc.request() and "may have been spent" in proc.log_text(), DEADLINE,
               "the lost answer to be logged")
    wait_until(lambda: proc.request() and "earlier refresh answer was lost" in proc.log_text(), DEADLINE,
               "the invalid_grant explained")
    assert health(proc)["token"]["state"] == "reauth_required"


# --- operator commands and configuration -------------------------------------------------------------------


def test_auth_with_the_database_down_writes_the_local_file(fake: FakeUpstream, pg: PgDatabase, pg_server: PgServer,
                                                           tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    env = responder_env(fake.url, state, fake.tokens()["refresh_token"], {"DATABASE_URL": pg.url})
    pg_server.stop()
    try:
        result = run_cli(["auth", "--code", "test-auth-code"], env, tmp_path)
    finally:
        pg_server.start()
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    assert str(state / "tokens.json") in out
    assert "PostgreSQL" in out
    assert file_refresh_token(state) == fake.tokens()["refresh_token"]


def test_check_names_the_restart_loss_window_while_unpersisted(fake: FakeUpstream, small_tmpfs: Path,
                                                               tmp_path: Path) -> None:
    env = responder_env(fake.url, small_tmpfs, fake.tokens()["refresh_token"], FAST)
    fake.scenario(expires_in=4)
    assert run_cli(["last"], env, tmp_path).returncode == 0
    time.sleep(2.1)  # the 4 s pair is due at half its lifetime; `check` then rotates it
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    try:
        result = run_cli(["check"], env, tmp_path)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)
    out = result.stdout.decode()
    assert "persisted: false" in out, out
    assert "a restart now would lose it" in out, out
    assert result.returncode != 0


def test_state_directory_precedence(fake: FakeUpstream, tmp_path: Path) -> None:
    """TRAKT_WIDGET_STATE_DIR wins over systemd's $STATE_DIRECTORY (docs/tokens.md)."""
    require_binary()
    ours, systemds = tmp_path / "ours", tmp_path / "systemd"
    ours.mkdir()
    systemds.mkdir()
    env = responder_env(fake.url, ours, fake.tokens()["refresh_token"], {"STATE_DIRECTORY": str(systemds)})
    assert run_cli(["last"], env, tmp_path).returncode == 0
    assert (ours / "tokens.json").exists() and not (systemds / "tokens.json").exists()
    env.pop("TRAKT_WIDGET_STATE_DIR")
    fake.reset()
    env["TRAKT_REFRESH_TOKEN"] = fake.tokens()["refresh_token"]
    assert run_cli(["last"], env, tmp_path).returncode == 0
    assert (systemds / "tokens.json").exists()


def test_check_shows_libpqs_own_words_for_a_missing_database(fake: FakeUpstream, pg_server: PgServer,
                                                              tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    env = responder_env(fake.url, state, fake.tokens()["refresh_token"],
                        {"DATABASE_URL": pg_server.url("no_such_database")})
    result = run_cli(["check"], env, tmp_path)
    out = result.stdout.decode()
    assert result.returncode != 0
    assert "NOT reachable" in out and 'database "no_such_database" does not exist' in out, out
