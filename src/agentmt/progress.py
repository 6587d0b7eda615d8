"""What long work tells the user: progress on stderr while it runs, its drop reasons when it ends.

Progress goes to stderr, never stdout (a command's stdout is its result line).

`progress(label, total)` yields `advance(n=1)`. On a terminal it draws a rich bar that disappears when
the work ends; elsewhere (a log file, CI, a pipe) it prints one plain line at most every
`settings.progress_every_s()` seconds, and a last line when the work took longer than that, so a
long run's log shows it is alive without a line per item.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager


def _elapsed(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class _Lines:
    """Plain throttled lines: `agentmt: LABEL: 12 of 508 PRs (2%), 1m20s`."""

    def __init__(self, label: str, total: int | None, unit: str, every_s: float, done: int = 0):
        self.label, self.total, self.unit, self.every_s = label, total, unit, every_s
        self.done, self.start = done, time.monotonic()
        self.last, self.shown = self.start, done

    def line(self) -> str:
        of = f" of {self.total}" if self.total is not None else ""
        pct = f" ({self.done / self.total:.0%})" if self.total else ""
        return f"agentmt: {self.label}: {self.done}{of} {self.unit}{pct}, {_elapsed(time.monotonic() - self.start)}"

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self._print()

    def close(self) -> None:
        if time.monotonic() - self.start >= self.every_s and self.shown != self.done:
            self._print()  # where the work ended, unless the last line already said so

    def _print(self) -> None:
        self.last, self.shown = time.monotonic(), self.done
        print(self.line(), file=sys.stderr, flush=True)


def _bar(label: str, total: int | None, done: int):
    """A transient rich bar on stderr, or None where another live display holds the terminal."""
    from rich.console import Console
    from rich.errors import LiveError
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    try:
        bar.start()
    except LiveError:  # a stage's own bar inside the runner's: keep the one already drawn
        return None
    task = bar.add_task(label, total=total, completed=done)
    return bar, lambda n=1: bar.advance(task, n)


@contextmanager
def progress(label: str, total: int | None = None, *, unit: str = "items", done: int = 0,
             enabled: bool = True, terminal: bool | None = None) -> Iterator[Callable[..., None]]:
    """Report `advance(n)` calls as described in the module docstring; `done` items were finished before."""
    from agentmt import settings

    if not enabled:
        yield lambda n=1: None
        return
    terminal = sys.stderr.isatty() if terminal is None else terminal
    drawn = _bar(label, total, done) if terminal else None
    if drawn is not None:
        bar, advance = drawn
        try:
            yield advance
        finally:
            bar.stop()
        return
    lines = _Lines(label, total, unit, settings.progress_every_s(), done)
    try:
        yield lines.advance
    finally:
        lines.close()


def track(items, label: str, *, total: int | None = None, unit: str = "items", enabled: bool = True):
    """Yield `items`, reporting each one consumed as `progress` does."""
    with progress(label, total, unit=unit, enabled=enabled) as advance:
        for item in items:
            yield item
            advance()


def parquet_rows(path) -> int | None:
    """Rows in a Parquet file from its footer (no data read), None for anything else: a progress total."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows if str(path).endswith(".parquet") else None
    except (OSError, ValueError):
        return None


def drops_text(drops: Mapping[str, int]) -> str:
    """A stage's drop reasons for its last line: `300 not_merged, 200 bot_author` (largest first), or `none`."""
    ranked = sorted(((n, r) for r, n in drops.items() if n), key=lambda x: (-x[0], x[1]))
    return ", ".join(f"{n} {r}" for n, r in ranked) or "none"
