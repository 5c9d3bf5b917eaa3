"""What the fake Simkl remembers: PIN codes, the polling script, and the client's politeness record."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

# "gone" plays a code Simkl deleted (the user denied it, or it was used elsewhere).
PIN_OUTCOMES = ("pending", "slow_down", "ok", "gone")


class SimklState:
    """PIN codes, the polling script, and the politeness record (what /_fake/simkl shows)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.pins: dict[str, float] = {}
            self.script: list[str] = ["ok"]
            self.polls = 0
            self.all_items_calls = 0
            self.activities_since_all_items = False
            # all-items reads made although activities had not moved since the previous read.
            self.needless_all_items = 0
            self.activities_at_last_all_items: dict[str, Any] | None = None
            self.last_activities: dict[str, Any] | None = None
            self.suspended = False

    def set_script(self, outcomes: list[str]) -> None:
        bad = [o for o in outcomes if o not in PIN_OUTCOMES]
        if bad or not outcomes:
            raise ValueError(f"outcomes must be a non-empty list of {list(PIN_OUTCOMES)}")
        with self._lock:
            self.script = list(outcomes)

    def new_pin(self) -> str:
        with self._lock:
            code = secrets.token_hex(3).upper()
            self.pins[code] = time.time()
            return code

    def poll(self, code: str, expires_in: int) -> str:
        """`gone` (unknown, used or expired code) or the next scripted outcome; the last one repeats."""
        with self._lock:
            self.polls += 1
            created = self.pins.get(code)
            if created is None or time.time() > created + expires_in:
                self.pins.pop(code, None)
                return "gone"
            outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            if outcome in ("ok", "gone"):
                del self.pins[code]
            return outcome

    def saw_activities(self, activities: dict[str, Any]) -> None:
        with self._lock:
            self.activities_since_all_items = True
            self.last_activities = activities

    def saw_all_items(self) -> bool:
        """Records an all-items read; False once the client is suspended."""
        with self._lock:
            if self.all_items_calls > 0 and not self.activities_since_all_items:
                self.suspended = True
            if self.all_items_calls > 0 and self.last_activities == self.activities_at_last_all_items:
                self.needless_all_items += 1
            self.all_items_calls += 1
            self.activities_since_all_items = False
            self.activities_at_last_all_items = self.last_activities
            return not self.suspended

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "script": list(self.script), "polls": self.polls, "pins": sorted(self.pins),
                "all_items_calls": self.all_items_calls, "needless_all_items": self.needless_all_items,
                "suspended": self.suspended,
            }
