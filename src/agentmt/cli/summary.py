"""The drop reasons a stage command prints at its end (the manifest keeps them too), largest first."""

from __future__ import annotations

from collections.abc import Mapping


def drops_text(drops: Mapping[str, int]) -> str:
    """`300 not_merged, 200 bot_author` (count, then reason; ties by name), or `none`."""
    ranked = sorted(((n, r) for r, n in drops.items() if n), key=lambda x: (-x[0], x[1]))
    return ", ".join(f"{n} {r}" for n, r in ranked) or "none"
