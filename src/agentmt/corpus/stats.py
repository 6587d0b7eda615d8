"""Summary statistics of a rendered D_ctx folder: samples and token distribution per format, drops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.errors import InputError


def _percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n * q / 100)
    return sorted_values[int(rank) - 1]


def ctx_stats(out_dir: str | Path) -> dict[str, Any]:
    """{"formats": {fmt: {samples, tokens_total, tokens_mean, tokens_p50, tokens_p95, tokens_max}},
    "drops": {...}, "counts": {...}} for a folder written by `render_ctx`."""
    import pyarrow.parquet as pq

    by_format: dict[str, list[int]] = {}
    for path in io.shard_files(out_dir):
        try:
            table = pq.read_table(path, columns=["format", "num_tokens"])
        except Exception as e:  # boundary: any unreadable shard is a bad input folder
            raise InputError(f"{path} is not a D_ctx shard ({type(e).__name__}); pass an `agentmt ctx render` output") from e
        for fmt, n in zip(table.column("format").to_pylist(), table.column("num_tokens").to_pylist()):
            by_format.setdefault(fmt, []).append(n)
    formats = {}
    for fmt, values in sorted(by_format.items()):
        values.sort()
        formats[fmt] = {
            "samples": len(values), "tokens_total": sum(values), "tokens_mean": sum(values) / len(values),
            "tokens_p50": _percentile(values, 50), "tokens_p95": _percentile(values, 95), "tokens_max": values[-1],
        }
    manifest = io.read_manifest(out_dir) if (Path(out_dir) / io.MANIFEST).exists() else {}
    return {"formats": formats, "drops": manifest.get("drops", {}), "counts": manifest.get("counts", {}),
            "retention": manifest.get("extra", {}).get("retention", {})}


def make_stats_tables(stats: dict[str, Any]) -> list:
    """Rich tables: tokens per format, then drops by reason."""
    from rich.table import Table

    tokens = Table(title="D_ctx documents")
    for col in ("format", "samples", "tokens total", "mean", "p50", "p95", "max"):
        tokens.add_column(col, justify="left" if col == "format" else "right")
    for fmt, s in stats["formats"].items():
        tokens.add_row(fmt, f"{s['samples']:,}", f"{s['tokens_total']:,}", f"{s['tokens_mean']:,.0f}",
                       f"{s['tokens_p50']:,}", f"{s['tokens_p95']:,}", f"{s['tokens_max']:,}")
    drops = Table(title="Drops by reason")
    drops.add_column("reason")
    drops.add_column("count", justify="right")
    for reason, n in sorted(stats["drops"].items(), key=lambda kv: -kv[1]):
        drops.add_row(reason, f"{n:,}")
    return [tokens, drops]
