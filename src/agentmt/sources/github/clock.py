"""Time as a dependency: the client waits through a Clock so tests advance a fake one, never sleep."""

from __future__ import annotations

import threading
import time


class SystemClock:
    """Wall-clock seconds since the epoch (GitHub's reset headers use the same unit)."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that jumps forward instead of sleeping; `slept` records every wait, in order."""

    def __init__(self, start: float = 1_700_000_000.0):
        self._now = float(start)
        self.slept: list[float] = []
        self._lock = threading.Lock()  # the fake server reads it from its own threads

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(max(0.0, seconds))
            self._now += max(0.0, seconds)
