"""SWE-smith rows: synthetic bugs on a mirror of a repository at one commit. `repo` names the mirror
(`swesmith/<owner>__<name>.<commit8>`), `image_name` the published image, `patch` the fix and the
FAIL_TO_PASS/PASS_TO_PASS lists the tests; there is no test patch (the tests are in the tree). The
task's `repo` becomes the upstream `<owner>/<name>` so a local clone of it is found; the mirror
stays in `extra_fields`."""

from __future__ import annotations

import re

from agentmt.types import TaskInstance

NAME = "swe-smith"
_MIRROR = re.compile(r"^(?:swesmith/)?(?P<owner>[\w.-]+?)__(?P<name>[\w.-]+)\.(?P<commit>[0-9a-f]{8})$")


def matches(row: dict) -> bool:
    return "image_name" in row and bool(_MIRROR.match(str(row.get("repo", ""))))


def to_task(row: dict) -> TaskInstance:
    from agentmt.environments.rows import BadRow, base_task, require

    require(row, "instance_id", "repo", "patch")
    m = _MIRROR.match(str(row["repo"]))
    if not m:
        raise BadRow("malformed_field", f"repo {row['repo']!r} is not a SWE-smith mirror name")
    upstream = f"{m['owner']}/{m['name']}"
    # the mirror's commit is the task's base when the row names none
    data = {**row, "repo": upstream, "base_commit": row.get("base_commit") or m["commit"],
            "test_patch": row.get("test_patch") or "", "problem_statement": row.get("problem_statement") or "",
            "swesmith_repo": row["repo"]}
    task = base_task(data)
    if not task.FAIL_TO_PASS:
        raise BadRow("missing_FAIL_TO_PASS")
    return task
