"""Shard writers and readers, atomic writes, completion markers and manifests.

Guarantees: a data file or marker is either absent or complete and durable (temporary name, fsync,
rename, fsync of the folder); `write_records` stores records as typed nested columns
(agentmt.records) with the record type and format version in the Parquet metadata, and
`read_records` refuses, in one line naming the file, a Parquet of another type, format or tool and
a malformed JSONL line (file:line); `manifest.json` records how the output was made (config,
version, inputs, counts, drop reasons). Resuming is the stage runner's (agentmt.runner).
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
    _fsync_dir(path.parent)  # the rename itself survives a crash only once its folder is synced


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> None:
    """Write `data` as JSON through agentmt.secrets.redact: manifests and markers never hold a key."""
    from agentmt.secrets import redact

    atomic_write_text(path, json.dumps(redact(data), indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Completion markers


def shard_name(index: int, ext: str = "parquet") -> str:
    return f"part-{index:05d}.{ext}"


def is_done(out_dir: str | Path, name: str) -> bool:
    return (Path(out_dir) / DONE_DIR / name).exists()


def mark_done(out_dir: str | Path, name: str, info: dict[str, Any] | None = None) -> None:
    write_json(Path(out_dir) / DONE_DIR / name, info or {})


def done_info(out_dir: str | Path, name: str) -> dict[str, Any]:
    return read_json(Path(out_dir) / DONE_DIR / name)


# ---------------------------------------------------------------------------------------------
# Parquet shards

# Parquet key-value metadata key holding {"record": <class name>, "format": <version>, ...}.
RECORD_META_KEY = b"agentmt"


def _write_table(path: Path, table) -> None:
    """Write a table to `path` atomically and durably: temp file, fsync, rename, fsync the folder."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_parquet(path: str | Path, rows: list[dict[str, Any]], schema=None) -> None:
    """Write untyped rows as one Parquet file, atomically (records go through `write_records`)."""
    import pyarrow as pa

    _write_table(Path(path), pa.Table.from_pylist(rows, schema=schema))


def write_records(path: str | Path, records: Iterable[Any], cls: type) -> int:
    """Write records of type `cls` as one Parquet shard of typed nested columns, atomically and
    durably; the record type and format version go into the file's metadata. Returns the row count."""
    import pyarrow as pa

    from agentmt.records import arrow_schema, json_fields, to_row_fn
    from agentmt.types import record_format

    to_row = to_row_fn(cls)
    rows = [to_row(r) for r in records]
    meta = {"record": cls.__name__, "format": record_format(cls), "json_fields": json_fields(cls)}
    schema = arrow_schema(cls).with_metadata({RECORD_META_KEY: json.dumps(meta, sort_keys=True)})
    try:
        table = pa.Table.from_pylist(rows, schema=schema)
        _write_table(Path(path), table)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError) as e:  # strings must be valid UTF-8 too
        # a field holding the wrong type (None in a non-optional field...) is agentmt's bug: say which
        raise TypeError(f"{cls.__name__} records do not fit their schema ({e}); writing {path}") from e
    return len(rows)


def record_meta(path: str | Path) -> dict[str, Any] | None:
    """The agentmt record metadata of a Parquet file, or None when another tool wrote it."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as e:
        raise InputError(f"{path} is not a readable Parquet file ({str(e)[:120]})") from e
    raw = meta.get(RECORD_META_KEY)
    return json.loads(raw) if raw else None


def check_record_file(path: str | Path, cls: type) -> None:
    """Raise a one-line InputError unless `path` holds `cls` records of the current format."""
    from agentmt.types import record_format

    meta = record_meta(path)
    if meta is None:
        raise InputError(f"{path} was not written by agentmt (no record type in its Parquet metadata): "
                         f"pass a folder of {cls.__name__} shards from an agentmt stage")
    if meta.get("record") != cls.__name__:
        raise InputError(f"{path} holds {meta.get('record')} records, not {cls.__name__}: "
                         "pass the output folder of the stage that writes them")
    if meta.get("format") != record_format(cls):
        raise InputError(f"{path} holds {cls.__name__} format {meta.get('format')}, this agentmt reads "
                         f"format {record_format(cls)}: rerun the stage that wrote it with this version")


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


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSONL file; a malformed line is a one-line InputError naming file and line."""
    for _, obj in numbered_jsonl(path):
        yield obj


def numbered_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{number}: not valid JSON ({e.msg} at column {e.colno}); "
                                 "fix or remove that line") from e
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def read_rows(in_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Stream raw rows from every shard of a folder (or one file), one record batch at a time.
    Typed records come from `read_records`; here JSON fields stay JSON text."""
    import pyarrow.parquet as pq

    for path in shard_files(in_dir):
        if path.suffix == ".jsonl":
            yield from read_jsonl(path)
            continue
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=256):
            yield from batch.to_pylist()


def read_records(in_dir: str | Path, cls) -> Iterator[Any]:
    """Stream typed records (e.g. PullRequest) from a stage output folder or one file.

    Parquet shards must carry agentmt's metadata for `cls` at the current format (else a one-line
    InputError naming the file); JSONL lines are `to_dict()` objects. A row that does not decode is
    an InputError naming the file and row."""
    import pyarrow.parquet as pq

    from agentmt.records import from_row_fn

    from_row = from_row_fn(cls)
    for path in shard_files(in_dir):
        if path.suffix == ".jsonl":
            for number, obj in numbered_jsonl(path):
                yield _decode(lambda: cls.from_dict(obj), path, f"line {number}", cls, obj)
            continue
        check_record_file(path, cls)
        index = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
            for row in batch.to_pylist():
                yield _decode(lambda: from_row(row), path, f"row {index}", cls, row)
                index += 1


def _decode(make, path: Path, where: str, cls, obj: Any = None):
    try:
        return make()
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        missing = _missing_fields(cls, obj)
        detail = f"missing fields: {', '.join(missing)}" if missing else f"{type(e).__name__}: {str(e)[:120]}"
        raise InputError(f"{path} {where} is not a valid {cls.__name__} ({detail})") from e


def _missing_fields(cls, obj: Any) -> list[str]:
    """The required fields of dataclass `cls` that row `obj` lacks (a row of another record's shape)."""
    import dataclasses

    if not isinstance(obj, dict) or not dataclasses.is_dataclass(cls):
        return []
    return [f.name for f in dataclasses.fields(cls) if f.name not in obj
            and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


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
