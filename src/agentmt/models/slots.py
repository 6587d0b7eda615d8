"""`EndpointSlots`: at most N requests in flight to one model endpoint, across threads and processes.

The slots are N lock files under `AGENTMT_HOME/locks/model-slots/<endpoint hash>/`; a request holds
one with `fcntl.flock`, which the kernel releases when its holder dies (SIGKILL included), so a
killed worker never leaks a slot. flock conflicts between open files of one process too, so the
same object serves threads and processes; the object is picklable (it holds only paths), so it
travels to local or Ray workers. Across nodes the cap holds when AGENTMT_HOME is one shared
filesystem with working flock (NFSv4, Lustre with `flock`); otherwise each node caps its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

from agentmt.hashing import sha256_json

POLL_S = (0.02, 0.25)  # first and longest wait between sweeps of the slots: model calls take seconds


class EndpointSlots:
    """`with slots.hold():` waits for one of `slots` places on `endpoint` (a URL or model spec)."""

    def __init__(self, endpoint: str, slots: int, root: str | Path | None = None):
        from agentmt import settings

        assert slots >= 1
        self.endpoint, self.slots = endpoint, slots
        self.folder = Path(root or settings.home() / "locks" / "model-slots") / sha256_json(endpoint, 16)

    @contextlib.contextmanager
    def hold(self) -> Iterator[int]:
        """Hold one slot for the block; yields its index."""
        self.folder.mkdir(parents=True, exist_ok=True)
        wait = POLL_S[0]
        while True:
            start = random.randrange(self.slots)  # spread waiters over the slots instead of all on slot 0
            for i in (*range(start, self.slots), *range(start)):
                fd = os.open(self.folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield i
                finally:
                    os.close(fd)  # closing releases the lock
                return
            time.sleep(wait)
            wait = min(wait * 2, POLL_S[1])
