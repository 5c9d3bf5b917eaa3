"""Sleeps that end early when the fake is reset, its faults are cleared, or it shuts down."""

from __future__ import annotations

import threading


class Interrupter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if cut short by `interrupt_all`."""
        with self._lock:
            event = self._event
        return event.wait(seconds)

    def interrupt_all(self) -> None:
        """Wake every sleeper that started before this call; later sleeps are unaffected."""
        with self._lock:
            event, self._event = self._event, threading.Event()
        event.set()
