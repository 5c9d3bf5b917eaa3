"""The one poller: readiness with a deadline. The harness never sleeps a fixed time to synchronise."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

POLL_INTERVAL_S = 0.02


class NotReady(TimeoutError):
    pass


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = POLL_INTERVAL_S) -> T:
    """Call `check` until it returns something truthy; raise NotReady after `timeout` seconds.

    OSError counts as "not yet" (a socket not there yet); any other exception propagates at once, so
    a check can fail fast (e.g. on a dead process). Checks that go through nginx pass a larger
    `interval`: the machine is shared and the shipped rate limit is per client address.
    """
    deadline = time.monotonic() + timeout
    last_error: OSError | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError as err:
            last_error = err
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise NotReady(f"{what} not ready after {timeout}s{detail}")
        time.sleep(interval)
