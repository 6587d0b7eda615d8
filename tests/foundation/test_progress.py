"""Progress on stderr: plain throttled lines off a terminal, a bar on one, and the runner's unit lines."""

from __future__ import annotations

import pytest

from agentmt.progress import progress, track
from agentmt.runner import StageSpec, Unit, run_stage


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("agentmt: ")]


def test_off_a_terminal_a_line_per_interval_and_one_where_the_work_ended(monkeypatch, capsys):
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "0")
    assert list(track(range(3), "ctx py part-00000.parquet", total=3, unit="PRs")) == [0, 1, 2]
    out = capsys.readouterr()
    assert out.out == ""  # stdout is the command's result line
    assert [line.rsplit(",", 1)[0] for line in _lines(out.err)] == [
        f"agentmt: ctx py part-00000.parquet: {n} of 3 PRs ({n / 3:.0%})" for n in (1, 2, 3)]


def test_fast_work_prints_nothing_and_disabled_prints_nothing(monkeypatch, capsys):
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "30")
    with progress("quick", 5, terminal=False) as advance:
        for _ in range(5):
            advance()
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "0")
    with progress("off", 5, enabled=False) as advance:
        advance()
    assert capsys.readouterr().err == ""


def test_a_bar_inside_a_bar_falls_back_instead_of_raising(monkeypatch):
    # rich allows one live display at a time: a second bar raised LiveError (a unit's bar in a stage's)
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "0")
    with progress("outer", 2, terminal=True) as outer:
        with progress("inner", 1, terminal=True) as inner:
            inner()
        outer(2)


def _touch(unit, ctx):
    (ctx.out_dir / unit.name).write_text(unit.name)
    return {"counts": {"n": 1}}


@pytest.mark.parametrize("rerun", [False, True])
def test_the_runner_reports_units_done_reused_ones_included(tmp_path, monkeypatch, capsys, rerun):
    monkeypatch.setenv("AGENTMT_PROGRESS_EVERY", "0")
    spec = StageSpec(name="demo_stage", out_dir=tmp_path / "out", config={}, inputs=[],
                     units=[Unit(f"u{i}") for i in range(3)], process=_touch)
    run_stage(spec)
    first = _lines(capsys.readouterr().err)
    assert [line.rsplit(",", 1)[0] for line in first] == [
        f"agentmt: demo_stage: {n} of 3 units ({n / 3:.0%})" for n in (1, 2, 3)]
    if rerun:  # nothing left to run: no unit line (the reused ones were counted as done from the start)
        run_stage(spec)
        assert _lines(capsys.readouterr().err) == []
