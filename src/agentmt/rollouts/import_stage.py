"""`agentmt rollout import FILE --out DIR`: external trajectory files into Trajectory shards.

Guarantees: every input row either becomes one record or is dropped under a counted reason, with
one line per drop in `DIR/rejected/rows.jsonl` naming the file and line (JSONL) or row (Parquet/JSON);
ids are unique within the output (a repeated id is dropped as `duplicate_id`). Deterministic, so a
rerun rewrites the same shard.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentmt import __version__, io
from agentmt.errors import InputError, RecordDropped
from agentmt.rollouts.importers import FORMATS, detect_format, make_imported
from agentmt.rollouts.records import write_trajectories

SHARD = io.shard_name(0)
REJECTED = "rejected/rows.jsonl"  # kept apart from the shards (a .jsonl beside them would be read as one)


def iter_file_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, row) for each row: where is "FILE:LINE" for JSONL, "FILE#ROW" otherwise; a bad line yields an error."""
    if path.suffix == ".parquet":
        for i, row in enumerate(io.read_rows(path)):
            yield f"{path}#{i}", row
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.read(1).lstrip()
        fh.seek(0)
        if path.suffix == ".json" and head == "[":
            try:
                rows = json.load(fh)
            except json.JSONDecodeError as e:
                raise InputError(f"{path} is not valid JSON (line {e.lineno}): fix the file") from e
            for i, row in enumerate(rows):
                yield f"{path}#{i}", row
            return
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{n}", json.loads(line)
            except json.JSONDecodeError as e:
                yield f"{path}:{n}", RecordDropped("bad_json_line", f"{e.msg} at column {e.colno}: {line[:120]!r}")


def import_trajectories(paths: list[str | Path], out_dir: str | Path, *, fmt: str = "auto",
                        tokenizer: str | None = "embedded") -> io.Manifest:
    """Import FILEs (JSONL / JSON list / Parquet) as records marked `source: import:<format>`."""
    if fmt != "auto" and fmt not in FORMATS:
        raise InputError(f"format {fmt!r} is unknown: use auto or one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    manifest = io.Manifest(stage="rollout.import", config={"format": fmt, "tokenizer": tokenizer},
                           inputs=[str(p) for p in paths])
    trajs, rejected, seen = [], [], set()
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"{path} is not a file: pass trajectory files (.jsonl, .json or .parquet)")
        for i, (where, row) in enumerate(iter_file_rows(path)):
            manifest.counts["rows_in"] += 1
            try:
                if isinstance(row, RecordDropped):
                    raise row
                row_fmt = detect_format(row) if fmt == "auto" and isinstance(row, dict) else fmt
                t = make_imported(row, row_fmt if row_fmt != "auto" else "env_native", i, file_id=path.name)
                if t.id in seen:
                    raise RecordDropped("duplicate_id", t.id)
            except RecordDropped as e:
                manifest.drop(e.reason)
                rejected.append({"where": where, "reason": e.reason, "detail": e.detail})
                continue
            seen.add(t.id)
            t.agentmt_version = __version__
            manifest.counts[t.source] += 1
            trajs.append(t)
    if tokenizer:
        _count_tokens(trajs, tokenizer)
    io.atomic_write_text(out_dir / REJECTED, "".join(json.dumps(r) + "\n" for r in rejected))
    write_trajectories(out_dir / SHARD, trajs)
    manifest.shards = [SHARD]
    manifest.counts["trajectories"] = len(trajs)
    manifest.counts["resolved"] = sum(t.resolved is True for t in trajs)
    manifest.write(out_dir)
    return manifest


def _count_tokens(trajs, tokenizer: str) -> None:
    """Imported rows carry no per-step usage: their size is the length of the rendered MT text."""
    from agentmt.rollouts.text import make_mt_text, xml_tool_system_prompt
    from agentmt.corpus.tokenize import count_tokens, load_tokenizer

    tok, prompt = load_tokenizer(tokenizer), xml_tool_system_prompt()
    for t, n in zip(trajs, count_tokens(tok, [make_mt_text(t.messages, tok, prompt) for t in trajs])):
        t.num_tokens = n
