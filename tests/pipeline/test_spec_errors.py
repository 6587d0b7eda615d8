"""Pipeline files that cannot run are refused through the real CLI with one line naming what to fix."""

from __future__ import annotations

import sys

import pytest

from agentmt.cli.main import main


def _run(monkeypatch, capsys, tmp_path, text: str) -> str:
    f = tmp_path / "p.yaml"
    f.write_text(text)
    monkeypatch.setattr(sys, "argv", ["agentmt", "run", str(f), "--out", str(tmp_path / "run")])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists(), "nothing may run when the file is refused"
    return err


def test_unknown_kind(monkeypatch, capsys, tmp_path):
    err = _run(monkeypatch, capsys, tmp_path, "stages:\n  - {name: a, kind: mine_svn}\n")
    assert "stage 'a' has unknown kind 'mine_svn'" in err and "mine_git" in err


def test_input_naming_no_stage(monkeypatch, capsys, tmp_path):
    err = _run(monkeypatch, capsys, tmp_path,
               "stages:\n  - {name: demo, kind: demo_init}\n"
               "  - {name: prs, kind: mine_git, inputs: {repo: dmeo/repo}}\n")
    assert "stage 'prs' input 'dmeo/repo' names no stage" in err


def test_cycle(monkeypatch, capsys, tmp_path):
    err = _run(monkeypatch, capsys, tmp_path,
               "stages:\n  - {name: a, kind: tasks_from_prs, inputs: {prs: b}}\n"
               "  - {name: b, kind: tasks_from_prs, inputs: {prs: a}}\n")
    assert "cycle: a -> b -> a" in err


def test_duplicate_name_and_unknown_field(monkeypatch, capsys, tmp_path):
    err = _run(monkeypatch, capsys, tmp_path,
               "stages:\n  - {name: a, kind: demo_init}\n  - {name: a, kind: demo_init}\n")
    assert "two stages are named 'a'" in err
    err = _run(monkeypatch, capsys, tmp_path, "stages:\n  - {name: a, kind: demo_init, input: {}}\n")
    assert "stages.0.input" in err


def test_unknown_builtin_pipeline(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["agentmt", "run", "dmeo", "--out", str(tmp_path / "run")])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code == 2 and "built-in: demo" in err and len(err.strip().splitlines()) == 1


def test_builtin_demo_pipeline_is_valid_and_ordered():
    from agentmt.pipeline import load_pipeline

    p, _ = load_pipeline("demo")
    names = [s.name for s in p.stages]
    # Held-out tasks feed only eval; rollouts read the train split only.
    by = {s.name: s for s in p.stages}
    assert by["rollouts"].inputs["tasks"] == by["replays"].inputs["tasks"] == "split/train"
    assert by["eval-base"].inputs["tasks"] == by["eval-sft"].inputs["tasks"] == "split/heldout"
    assert names.index("sft") < names.index("eval-sft") < names.index("report")
