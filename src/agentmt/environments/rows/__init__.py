"""Task rows of published datasets → TaskInstance, one small module per dataset family.

Each family module has `NAME`, `matches(row) -> bool` (does the row have this family's shape) and
`to_task(row) -> TaskInstance` (raises `BadRow` with a reason). `import_rows` detects the family per
row (`fmt="auto"`) or takes the one named, labels `validation.dataset`, and drops bad rows with a
counted reason. The row's own columns survive in `validation.extra_fields` (see tasks.task_from_row);
`rowsource.row_sources` reads them at build time to pick the environment's source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from agentmt.environments.rows import dockerrows, swebench, swerebench, swesmith
from agentmt.errors import InputError
from agentmt.types import TaskInstance

# most specific first: auto-detection takes the first family whose shape matches
FAMILIES = {m.NAME: m for m in (swesmith, swerebench, dockerrows, swebench)}
# names a user may pass that read as one of the families above (same columns, other label)
ALIASES = {"swe-bench-verified": "swe-bench", "swe-gym": "swe-bench", "swe-rebench-v2": "swe-rebench",
           "openswe": "docker-rows", "davinci-env": "docker-rows", "scale-swe": "docker-rows"}
FORMATS = ("auto", *FAMILIES, *ALIASES)


class BadRow(ValueError):
    """A row that cannot become a task; `reason` is the counted drop reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def detect_format(row: dict) -> str:
    """The family whose shape `row` has; BadRow `unknown_row_shape` when none does."""
    for name, module in FAMILIES.items():
        if module.matches(row):
            return name
    raise BadRow("unknown_row_shape", f"columns {sorted(row)[:12]}")


def import_row(row: dict, fmt: str = "auto") -> TaskInstance:
    """One row as a task labelled with its dataset (`validation.dataset`); BadRow when it is unusable."""
    if fmt not in FORMATS:
        raise InputError(f"unknown task format {fmt!r}: use one of {', '.join(FORMATS)}")
    family = detect_format(row) if fmt == "auto" else ALIASES.get(fmt, fmt)
    task = FAMILIES[family].to_task(row)
    task.validation.setdefault("dataset", fmt if fmt in ALIASES else family)
    return task


def import_rows(rows: Iterable[dict], fmt: str = "auto") -> tuple[list[TaskInstance], Counter]:
    """(tasks, drops by reason); a repeated instance_id is dropped as `duplicate_instance_id`."""
    tasks, drops, seen = [], Counter(), set()
    for row in rows:
        try:
            task = import_row(row, fmt)
        except BadRow as e:
            drops[e.reason] += 1
            continue
        if task.instance_id in seen:
            drops["duplicate_instance_id"] += 1
            continue
        seen.add(task.instance_id)
        tasks.append(task)
    return tasks, drops


def require(row: dict, *keys: str) -> None:
    """BadRow `missing_<key>` for the first key that is absent or empty."""
    for key in keys:
        if not row.get(key):
            raise BadRow(f"missing_{key}")


def base_task(row: dict) -> TaskInstance:
    """The SWE-bench columns of `row` as a task (others kept in `validation.extra_fields`)."""
    import json

    from agentmt.environments.tasks import task_from_row

    require(row, "instance_id", "repo", "base_commit")
    try:
        return task_from_row(row)
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise BadRow("malformed_field", str(e)[:200]) from e
