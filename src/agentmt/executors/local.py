"""Local executors: in this process (the default), a pool of `jobs` processes, or of `jobs` threads.

Worker processes are started with `spawn`: forking a parent that holds threads (tokenizers, rich's
progress bar, a model-server watcher) can deadlock the child, and spawn behaves the same on every OS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any


class InProcessExecutor:
    """Units one after another in this process (no pickling; what -j 1 means)."""

    jobs = 1

    def map(self, fn: Callable, args_list: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        for i, args in enumerate(args_list):
            yield i, fn(*args)


class ProcessExecutor:
    """Units on `jobs` local worker processes; results are yielded as they complete."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def map(self, fn: Callable, args_list: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if not args_list:
            return
        workers = min(self.jobs, len(args_list))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield from _as_completed(pool, fn, args_list)


class ThreadExecutor:
    """Units on `jobs` threads of this process: for units that wait (on Docker, a model server), not compute."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def map(self, fn: Callable, args_list: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        from concurrent.futures import ThreadPoolExecutor

        if not args_list:
            return
        with ThreadPoolExecutor(min(self.jobs, len(args_list))) as pool:
            yield from _as_completed(pool, fn, args_list)


def _as_completed(pool, fn: Callable, args_list: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
    """Submit every unit to `pool`; yield (index, result) as each completes."""
    from concurrent.futures import FIRST_COMPLETED, wait

    futures = {pool.submit(fn, *args): i for i, args in enumerate(args_list)}
    try:
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for f in done:
                yield futures.pop(f), f.result()
    finally:  # on an error or an interrupt, queued units are not started
        for f in futures:
            f.cancel()
