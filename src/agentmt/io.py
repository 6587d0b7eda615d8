"""Shard writers and readers, atomic writes, completion markers and manifests.

Guarantees: a shard file is either absent or complete (written to a temporary name, then renamed);
a shard with a completion marker is never rewritten by a rerun; `manifest.json` records how the
output was made (config, version, inputs, counts, drop reasons).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmt.errors import InputError

MANIFEST = "manifest.json"
DONE_DIR = ".done"


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


# ---------------------------------------------------------------------------------------------
# Completion markers


def shard_name(index: int, ext: str = "parquet") -> str:
    return f"part-{index:05d}.{ext}"


def is_done(out_dir: str | Path, name: str) -> bool:
    return (Path(out_dir) / DONE_DIR / name).exists()


def mark_done(out_dir: str | Path, name: str, info: dict[str, Any] | None = None) -> None:
    write_json(Path(out_dir) / DONE_DIR / name, info or {})


def done_info(out_dir: str | Path, name: str) -> dict[str, Any]:
    return json.loads((Path(out_dir) / DONE_DIR / name).read_text())


# ---------------------------------------------------------------------------------------------
# Parquet shards


def write_parquet(path: str | Path, rows: list[dict[str, Any]], schema=None) -> None:
    """Write rows as one Parquet file, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def shard_files(in_dir: str | Path) -> list[Path]:
    """The data shards of a stage output folder (Parquet or JSONL), in order."""
    in_dir = Path(in_dir)
    if not in_dir.exists():
        raise InputError(f"{in_dir} does not exist: pass the output folder of an earlier stage")
    if in_dir.is_file():
        return [in_dir]
    files = sorted(p for p in in_dir.glob("*.parquet") if not p.name.startswith("."))
    files += sorted(p for p in in_dir.glob("*.jsonl") if not p.name.startswith("."))
    if not files:
        raise InputError(f"{in_dir} holds no .parquet or .jsonl shards: pass a stage output folder")
    return files


def read_rows(in_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Stream rows from every shard of a folder (or one file), one record batch at a time."""
    import pyarrow.parquet as pq

    for path in shard_files(in_dir):
        if path.suffix == ".jsonl":
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
            continue
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=256):
            yield from batch.to_pylist()


def read_records(in_dir: str | Path, cls) -> Iterator[Any]:
    """Stream typed records (e.g. PullRequest) from a stage output folder."""
    for row in read_rows(in_dir):
        yield cls.from_dict(_decode_json_columns(row))


# Nested records are stored as one JSON column: robust to schema drift between shards and
# readable by `datasets`/DuckDB; top-level scalar columns stay queryable.
JSON_SUFFIX = "_json"


def encode_record(record, columns: Iterable[str] = ()) -> dict[str, Any]:
    """Flatten a record into a row: the listed scalar columns plus the full record as JSON."""
    data = record.to_dict()
    row = {c: data[c] for c in columns}
    row["record" + JSON_SUFFIX] = json.dumps(data, ensure_ascii=False)
    return row


def _decode_json_columns(row: dict[str, Any]) -> dict[str, Any]:
    key = "record" + JSON_SUFFIX
    if key in row:
        return json.loads(row[key])
    return row


# ---------------------------------------------------------------------------------------------
# Manifests


@dataclass
class Manifest:
    """How a stage output was made. Written last, so its presence means the stage finished."""

    stage: str
    config: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    drops: Counter = field(default_factory=Counter)
    shards: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)

    def drop(self, reason: str, n: int = 1) -> None:
        self.drops[reason] += n

    def to_dict(self) -> dict[str, Any]:
        from agentmt import __version__

        return {
            "stage": self.stage,
            "agentmt_version": __version__,
            "config": self.config,
            "inputs": self.inputs,
            "counts": dict(sorted(self.counts.items())),
            "drops": dict(sorted(self.drops.items())),
            "shards": self.shards,
            "extra": self.extra,
            "started_at": self.started_at,
            "finished_at": time.time(),
        }

    def write(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / MANIFEST
        write_json(path, self.to_dict())
        return path


def read_manifest(in_dir: str | Path) -> dict[str, Any]:
    path = Path(in_dir) / MANIFEST
    if not path.exists():
        raise InputError(f"{path} is missing: {in_dir} is not a finished stage output (rerun that stage)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON ({e}); rerun the stage that wrote it") from e
