"""Steady traffic: upstream calls per hour with the history unchanged and changing every TTL."""

from __future__ import annotations

import datetime
import json
import threading
import time
from typing import Any, Callable

from harness import http_request, wait_until

from ..rig import Rig, summarize
from ..servers import locations_variant
from ..settings import PATH_LAST, REPO, log


def run(rig: Rig) -> None:
    ttl = 2
    seconds = rig.args.steady_seconds
    out: dict[str, Any] = {}

    def one(changing: bool) -> None:
        name = "changing" if changing else "unchanged"
        fake = rig.fake(f"fake-steady-{name}")
        proc = rig.responder(fake, f"responder-steady-{name}", {"CACHE_TTL": ttl})
        # No nginx cache: every request reaches the responder, so its own policy is what is counted
        # (in production the nginx cache in front can only lower these numbers).
        server = rig.nginx(f"nginx-steady-{name}", proc.sock, locations_variant("fastcgi"))
        wait_until(lambda: http_request(server.base_url + PATH_LAST).status == 200, 15, "first answer")
        movie_template = json.loads((REPO / "Tests" / "Fixtures" / "trakt-history-movies.json").read_text())[0]
        before = fake.counters()
        stop = threading.Event()
        statuses: list[int] = []
        changes = 0

        def traffic() -> None:
            interval = 1.0 / rig.args.steady_rate
            next_at = time.monotonic()
            while not stop.is_set():
                try:
                    statuses.append(http_request(server.base_url + PATH_LAST, timeout=5).status)
                except OSError:
                    statuses.append(0)
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

        thread = threading.Thread(target=traffic)
        thread.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if changing:
                # Someone watches a new film every TTL period: new watched_at, new TMDB id (new poster).
                changes += 1
                item = json.loads(json.dumps(movie_template))
                item["id"] = 900000 + changes
                item["watched_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                item["movie"]["title"] = f"Bench Movie {changes}"
                item["movie"]["ids"].update({"trakt": 800000 + changes, "tmdb": 700000 + changes,
                                             "slug": f"bench-movie-{changes}"})
                fake.scenario(movies=[item])
            time.sleep(min(ttl, max(0.0, end - time.monotonic())))
        stop.set()
        thread.join()
        after = fake.counters()
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        out[name] = {"calls": delta, "seconds": seconds, "ttl": ttl, "changes": changes,
                     "requests": len(statuses), "statuses": summarize(statuses)}
        log(f"steady {name}: {len(statuses)} requests, {changes} history changes, upstream calls {delta}")

    errors: list[BaseException] = []

    def guarded(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as err:  # noqa: BLE001 - reported after join
                errors.append(err)
        return run

    threads = [threading.Thread(target=guarded(lambda flag=flag: one(flag))) for flag in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    rig.results["steady"] = {name: out[name] for name in ("unchanged", "changing")}
