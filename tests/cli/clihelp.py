"""Assertions shared by the CLI tests."""

from __future__ import annotations


def assert_one_line_error(result: tuple[int, str, str], *needles: str) -> None:
    """A user mistake: exit code 2, one `agentmt: error: ...` line naming what to fix, no traceback."""
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (code, err)
    assert lines[0].startswith("agentmt: error: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
