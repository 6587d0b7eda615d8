"""Token data on disk: Arrow IPC stream files written batch by batch, read back memory-mapped.

Guarantees: a file is either absent or complete (written to a temporary name, fsynced, renamed);
writing holds one record batch in memory, reading holds none (rows are numpy views of the mapped
file), so memory stays flat in the size of the corpus. The stream format is what
`datasets.Dataset.from_file` reads, so the shards can be inspected with `datasets` as well.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pyarrow as pa

# Flush a record batch every ~64k tokens: rows wait as Python lists (~36 bytes a token), so this
# bounds the writer's memory to a few MB whatever the corpus size.
BATCH_TOKENS = 1 << 16


def _column_type(name: str):
    if name == "id":
        return pa.string()
    if name == "assistant_mask":
        return pa.list_(pa.int8())
    return pa.list_(pa.int32())


def make_schema(columns: Sequence[str]) -> pa.Schema:
    """`id` is a string; every other column a list of token-level integers."""
    return pa.schema([(c, _column_type(c)) for c in columns])


class ArrowWriter:
    """Append rows (dicts of the schema's columns) to one Arrow stream file; `close()` publishes it."""

    def __init__(self, path: str | Path, columns: Sequence[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.schema = make_schema(columns)
        self._sink = pa.OSFile(str(self.tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, self.schema)
        self._buf: dict[str, list] = {c: [] for c in columns}
        self._tokens = 0
        self.num_rows = 0

    def write(self, row: dict[str, Any]) -> None:
        for c, values in self._buf.items():
            values.append(row[c])
        self._tokens += len(row.get("input_ids", ()))
        self.num_rows += 1
        if self._tokens >= BATCH_TOKENS:
            self._flush()

    def _flush(self) -> None:
        if self._buf and any(self._buf.values()):
            arrays = [pa.array(v, type=f.type) for f, v in zip(self.schema, self._buf.values())]
            self._writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self._buf = {c: [] for c in self._buf}
        self._tokens = 0

    def close(self) -> Path:
        self._flush()
        self._writer.close()
        self._sink.close()
        fd = os.open(self.tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # the data reaches the disk before the name (and later the marker) does
        finally:
            os.close(fd)
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._sink.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_table(path: str | Path) -> pa.Table:
    """One stream file as a Table whose buffers point into the memory-mapped file (no copy)."""
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_stream(source).read_all()


class ArrowRows:
    """Random access to the rows of one or more stream files: token columns as numpy views."""

    def __init__(self, paths: Sequence[str | Path]):
        self.paths = [Path(p) for p in paths]
        self._chunks: dict[str, list] = {}
        self._starts: list[int] = []
        n = 0
        for p in self.paths:
            for batch in open_table(p).to_batches():
                if not batch.num_rows:
                    continue
                self._starts.append(n)
                n += batch.num_rows
                for name in batch.schema.names:
                    self._chunks.setdefault(name, []).append(batch.column(name))
        self.num_rows = n

    def __len__(self) -> int:
        return self.num_rows

    def _locate(self, i: int) -> tuple[int, int]:
        if not 0 <= i < self.num_rows:
            raise IndexError(i)
        c = bisect.bisect_right(self._starts, i) - 1
        return c, i - self._starts[c]

    def get(self, i: int, column: str) -> np.ndarray:
        """Row `i` of a list column, as a numpy view of the mapped file."""
        c, j = self._locate(i)
        arr = self._chunks[column][c]
        offsets = arr.offsets
        lo, hi = offsets[j].as_py(), offsets[j + 1].as_py()
        return arr.values.slice(lo, hi - lo).to_numpy(zero_copy_only=True)

    def get_id(self, i: int) -> str:
        c, j = self._locate(i)
        return self._chunks["id"][c][j].as_py()
