"""Rows that carry FAIL_TO_PASS / PASS_TO_PASS: checked on real containers, ids matched like swebench's,
agreement reported, official lists kept; a broken given list is a drop that `env explain` can read."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmt.environments.givenlists import check_given, compare, make_agreement
from agentmt.environments.parsers import parse_pytest, swebench_id
from agentmt.environments.tasks import make_file_diff, write_tasks_jsonl

PARAM_TEST = """\
import pytest

from calc import add


@pytest.mark.parametrize("x", ["a b", "c d"])
def test_add_param(x):
    assert add(2, 3) == 5


def test_stable():
    assert True
"""
F2P = ["tests/test_param.py::test_add_param[a", "tests/test_param.py::test_add_param[c"]  # as SWE-bench cuts them
P2P = ["tests/test_param.py::test_stable"]


def test_ids_are_cut_exactly_as_the_swebench_parser_cuts_them():
    from swebench.harness.log_parsers.python import parse_log_pytest

    log = ("PASSED tests/t.py::test_x[a b]\nFAILED tests/t.py::test_y[1 - 2] - AssertionError: no\n"
           "PASSED tests/t.py::test_z\n")
    official = parse_log_pytest(log, None)
    ours = parse_pytest(log)
    assert sorted(official) == sorted(swebench_id(t) for t in ours)
    assert swebench_id("test_q (mod.Class)") == "test_q (mod.Class)"  # unittest ids stay whole


def test_agreement_labels_and_given_checks():
    t, t_cut = "m.py::t[a b]", "m.py::t[a"
    assert compare([t_cut], [t])["label"] == "equal"
    assert compare([t], [t])["label"] == "equal"  # a full id given is matched too
    assert compare([t_cut], [t, "m.py::u"]) == {"label": "superset", "missing": [], "extra": ["m.py::u"]}
    assert compare([t_cut, "m.py::v"], [t])["label"] == "subset"
    assert compare(["m.py::v"], ["m.py::u"])["label"] == "disagree"
    derived = {"FAIL_TO_PASS": [t], "PASS_TO_PASS": ["m.py::p", "m.py::q"]}
    assert make_agreement([t_cut], ["m.py::p"], derived)["label"] == "superset"  # F2P equal, P2P has more
    before, after = [{t: "FAILED", "m.py::p": "PASSED"}], [{t: "PASSED", "m.py::p": "PASSED"}]
    assert check_given([t_cut], ["m.py::p"], before, after) == {"FAIL_TO_PASS": [], "PASS_TO_PASS": []}
    assert check_given(["m.py::p"], [t_cut], before, after) == {"FAIL_TO_PASS": ["m.py::p"], "PASS_TO_PASS": [t_cut]}


def _row(task, **kw):
    row = task.to_dict()
    row["test_patch"] = make_file_diff("tests/test_param.py", None, PARAM_TEST)
    row["instance_id"] = kw.pop("instance_id")
    # SWE-bench ships the lists as JSON-encoded strings
    row.update({k: json.dumps(v) for k, v in kw.items()})
    return row


@pytest.mark.docker
def test_given_lists_are_checked_kept_and_explained(built_tasks, tmp_path):
    from agentmt.cli.main import app
    from agentmt.environments.stages import validate_envs
    from agentmt.environments.tasks import read_tasks, task_from_row

    base_task = built_tasks[0][0]  # calc PR 1: the gold patch fixes add()
    good = task_from_row(_row(base_task, instance_id="demo__calc-given", FAIL_TO_PASS=F2P, PASS_TO_PASS=P2P))
    # a P2P id that in fact fails before the fix: the row's lists are not reproduced
    bad = task_from_row(_row(base_task, instance_id="demo__calc-badlist", FAIL_TO_PASS=F2P[:1],
                             PASS_TO_PASS=P2P + F2P[1:]))
    write_tasks_jsonl([good, bad], tmp_path / "in.jsonl")
    manifest = validate_envs(tmp_path / "in.jsonl", tmp_path / "out", "runs=1")
    assert manifest.counts["tasks_out"] == 1
    assert manifest.drops == {"given_pass_to_pass_not_reproduced": 1}
    assert manifest.extra["agreement"] == {"demo__calc-given": "equal"}
    assert manifest.extra["drops_by_repo"] == {"demo/calc": {"given_pass_to_pass_not_reproduced": 1}}
    kept = next(read_tasks(tmp_path / "out"))
    assert kept.FAIL_TO_PASS == F2P and kept.PASS_TO_PASS == P2P  # the official lists stay
    assert kept.validation["outcome"] == "resolved"

    failed = next(read_tasks(tmp_path / "out" / "failed" / "tasks.jsonl"))
    phases = failed.validation["phases"]
    assert phases["before"]["status"]["tests/test_param.py::test_add_param[c d]"] == "FAILED"
    assert phases["before"]["exit_codes"] == [1] and phases["after"]["exit_codes"] == [0]
    res = CliRunner().invoke(app, ["env", "explain", "demo__calc-badlist", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "DROPPED at validate: given_pass_to_pass_not_reproduced" in res.output
    assert "phase before: exit codes [1]; FAILED=2, PASSED=1" in res.output
    assert "test_add_param[c" in res.output and "lock (" in res.output
    stats = CliRunner().invoke(app, ["env", "stats", str(tmp_path / "out")])
    assert "demo/calc: given_pass_to_pass_not_reproduced=1" in stats.output

    # asked to, validation replaces the lists with what it derived
    replaced = validate_envs(tmp_path / "in.jsonl", tmp_path / "out2", "runs=1", "replace_lists=true")
    assert replaced.counts["tasks_out"] == 2
    again = {t.instance_id: t for t in read_tasks(tmp_path / "out2")}["demo__calc-badlist"]
    assert again.FAIL_TO_PASS == ["tests/test_param.py::test_add_param[a b]", "tests/test_param.py::test_add_param[c d]"]
    assert again.validation["given_lists"]["PASS_TO_PASS"] == P2P + F2P[1:]
