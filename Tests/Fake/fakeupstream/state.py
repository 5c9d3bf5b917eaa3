"""Everything the fake remembers between requests, in one place so /_fake/reset can restore it."""

from __future__ import annotations

import time
from typing import Any

from . import demo
from .faults import FaultList, compact_json
from .fixtures import Fixtures
from .interrupter import Interrupter
from .requestlog import RequestLog
from .scenario import ScenarioHolder
from .simkl_state import SimklState
from .feed_versions import FeedVersions
from .tokens import DeviceFlow, TokenStore


class FakeState:
    def __init__(self, fixtures: Fixtures, demo_mode: bool = False, demo_period: float = demo.DEFAULT_PERIOD_S):
        self.fixtures = fixtures
        self.demo = demo_mode
        self.demo_period = demo_period
        self.scenario = ScenarioHolder()
        self.tokens = TokenStore(lenient=demo_mode)
        self.device = DeviceFlow()
        self.simkl = SimklState()
        self.letterboxd = FeedVersions()
        self.faults = FaultList()
        self.log = RequestLog()
        self.interrupter = Interrupter()
        self.ratelimit_header = compact_json(fixtures.raw("trakt-x-ratelimit-header.json"))
        self.started = time.time()

    def reset(self) -> None:
        self.faults.clear()
        # After clearing, so a hang cannot start again between the wake-up and the clear.
        self.interrupter.interrupt_all()
        self.scenario.reset()
        self.tokens.reset()
        self.device.reset()
        self.simkl.reset()
        self.letterboxd.reset()
        self.log.reset()

    def clear_faults(self, fault_id: int | None = None) -> int:
        removed = self.faults.clear(fault_id)
        self.interrupter.interrupt_all()
        return removed

    def movies(self) -> list[dict[str, Any]]:
        configured = self.scenario.get().movies
        if configured is not None:
            return configured
        if self.demo:
            return demo.history(period=self.demo_period)[0]
        return self.fixtures.load("trakt-history-movies.json")

    def episodes(self) -> list[dict[str, Any]]:
        configured = self.scenario.get().episodes
        if configured is not None:
            return configured
        if self.demo:
            return demo.history(period=self.demo_period)[1]
        return self.fixtures.load("trakt-history-episodes.json")
