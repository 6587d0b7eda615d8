"""Dataset rows in their published shapes → tasks, the recipes made from them, gold validity (pure)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentmt.environments.editable import PEP660_INSTALL, make_install_command
from agentmt.environments.goldvalidity import gold_passes, make_gold_validity
from agentmt.environments.rows import BadRow, detect_format, import_row, import_rows
from agentmt.environments.rowsource import choose_recipe, row_sources, split_pre_install
from agentmt.environments.tasks import import_tasks, read_task_rows, read_tasks
from agentmt.errors import InputError
from agentmt.types import TaskInstance

ROWS = Path(__file__).parent / "fixtures" / "rows"
BASE = "0123456789abcdef0123456789abcdef01234567"


def rows(name: str, **subs: str) -> list[dict]:
    text = (ROWS / name).read_text()
    for key, value in {"BASE": BASE, "BASE8": BASE[:8], "IMAGE": "127.0.0.1:1/x:1", **subs}.items():
        text = text.replace(f"@{key}@", json.dumps(value)[1:-1])
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name, family", [
    ("swe_bench_verified.jsonl", "swe-bench"), ("swe_gym.jsonl", "swe-bench"),
    ("swe_rebench.jsonl", "swe-rebench"), ("swe_rebench_v2.jsonl", "swe-rebench"),
    ("swe_smith.jsonl", "swe-smith"), ("openswe.jsonl", "docker-rows"), ("scale_swe.jsonl", "docker-rows"),
])
def test_each_published_shape_is_detected(name, family):
    assert detect_format(rows(name)[0]) == family


def test_swebench_rows_decode_lists_and_drop_bad_rows_with_a_reason():
    tasks, drops = import_rows(rows("swe_bench_verified.jsonl"))
    assert [t.instance_id for t in tasks] == ["demo__calc-1"]
    assert tasks[0].FAIL_TO_PASS == ["tests/test_calc.py::test_add"] and tasks[0].version == "0.1"
    assert tasks[0].validation["dataset"] == "swe-bench"
    assert tasks[0].validation["extra_fields"]["difficulty"] == "<15 min fix"
    assert drops == {"missing_base_commit": 1}
    gym, _ = import_rows(rows("swe_gym.jsonl"), "swe-gym")
    assert gym[0].validation["dataset"] == "swe-gym" and gym[0].PASS_TO_PASS == ["tests/test_calc.py::test_neg"]


def test_swe_rebench_rows_keep_install_config_and_image():
    tasks, drops = import_rows(rows("swe_rebench.jsonl"))
    assert drops == {"malformed_install_config": 2}  # one has no test_cmd, one is not JSON
    src = row_sources(tasks[0])
    assert src.install_config["pip_packages"] == ["pytest==8.3.4"] and src.image == "127.0.0.1:1/x:1"
    v2 = import_row(rows("swe_rebench_v2.jsonl")[0], "swe-rebench-v2")
    assert v2.validation["dataset"] == "swe-rebench-v2"
    assert row_sources(v2).install_config["python"] == "3.11" and row_sources(v2).image == "127.0.0.1:1/x:1"


def test_swe_smith_rows_name_the_upstream_repository():
    tasks, drops = import_rows(rows("swe_smith.jsonl"))
    assert drops == {"missing_FAIL_TO_PASS": 1}
    t = tasks[0]
    assert t.repo == "demo/calc" and t.base_commit == BASE[:8] and t.test_patch == ""
    assert t.validation["extra_fields"]["swesmith_repo"] == f"swesmith/demo__calc.{BASE[:8]}"
    assert row_sources(t).image.startswith("swebench/swesmith")
    # SWE-smith's patch introduces the bug: it waits for make_bug_commit, the task has no fix yet
    assert t.patch == "" and t.validation["extra_fields"]["bug_patch"] == "@PATCH@"


def test_a_swe_smith_bug_becomes_the_base_commit_and_its_reverse_the_fix(calc_repo, fixture_git):
    from agentmt.environments.rows.swesmith import BUG_REF, make_bug_commit

    repo, _ = calc_repo
    git, _ = fixture_git
    mirror = git(repo, "rev-parse", "HEAD")
    src = git(repo, "show", "HEAD:src/calc/__init__.py")
    bug = ("--- a/src/calc/__init__.py\n+++ b/src/calc/__init__.py\n@@ -8,3 +8,3 @@\n \n def neg(a):\n"
           "-    return -a\n+    return a\n")
    assert src.endswith("def neg(a):\n    return -a")

    def task():
        (t,), _ = import_rows(rows("swe_smith.jsonl", BASE8=mirror[:8], PATCH=bug)[:1])
        make_bug_commit(t, repo)
        return t

    t = task()
    made = t.validation["swesmith"]
    assert made["mirror_commit"] == mirror and t.base_commit == made["bug_commit"] != mirror
    # the mirror commit's own parents and message: no commit in the history is the bug alone
    assert git(repo, "rev-parse", f"{t.base_commit}^") == git(repo, "rev-parse", "HEAD^")
    assert git(repo, "log", "-1", "--format=%B", t.base_commit) == git(repo, "log", "-1", "--format=%B", "HEAD")
    assert "return a\n" in git(repo, "show", f"{t.base_commit}:src/calc/__init__.py") + "\n"
    assert "-    return a\n+    return -a" in t.patch  # the fix is the bug reversed
    assert git(repo, "for-each-ref", "--format=%(objectname)", BUG_REF) == t.base_commit
    assert task().base_commit == t.base_commit  # the same row gives the same commit
    (bad,), _ = import_rows(rows("swe_smith.jsonl", BASE8=mirror[:8], PATCH=bug.replace("return -a", "return 7"))[:1])
    with pytest.raises(BadRow, match="bug_patch_does_not_apply"):
        make_bug_commit(bad, repo)


def test_dockerfile_rows_under_each_release_s_names():
    (openswe,), _ = import_rows(rows("openswe.jsonl"), "openswe")
    src = row_sources(openswe)
    assert src.dockerfile.startswith("FROM python:3.11-slim") and "pytest" in src.eval_script
    assert openswe.validation["dataset"] == "openswe"
    tasks, drops = import_rows(rows("scale_swe.jsonl"), "scale-swe")
    assert row_sources(tasks[0]).dockerfile and row_sources(tasks[0]).image == "127.0.0.1:1/x:1"
    assert drops == {"missing_patch": 1}


def test_a_row_of_no_known_shape_and_a_bad_format_name():
    _, drops = import_rows([{"instance_id": "x", "title": "not a task"}])
    assert drops == {"unknown_row_shape": 1}
    with pytest.raises(InputError, match="unknown task format"):
        import_row(rows("swe_gym.jsonl")[0], "swe-bench-lite-typo")
    with pytest.raises(BadRow):
        import_row({"instance_id": "x", "repo": "a/b", "base_commit": "c", "patch": "", "test_patch": ""}, "swe-bench")


def test_task_repository_is_read_through_swebench(tmp_path):
    repo = tmp_path / "taskrepo"
    shutil.copytree(ROWS / "taskrepo", repo)
    (row,) = list(read_task_rows(repo))
    task = import_row(row)
    assert task.validation["dataset"] == "docker-rows"
    src = row_sources(task)
    assert src.task_repo == str(repo.resolve()) and src.dockerfile.startswith("FROM python:3.11-slim")
    assert task.FAIL_TO_PASS == ["tests/test_calc.py::test_add"] and "pytest" in src.eval_script


def test_import_tasks_writes_shards_and_counts_drops(tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows("swe_rebench.jsonl") + rows("swe_bench_verified.jsonl")))
    m = import_tasks(src, tmp_path / "out")
    assert m.counts["rows_in"] == 5 and m.counts["tasks_out"] == 1
    assert m.drops == {"malformed_install_config": 2, "duplicate_instance_id": 1, "missing_base_commit": 1}
    (t,) = list(read_tasks(tmp_path / "out"))
    assert t.validation["dataset"] == "swe-rebench" and row_sources(t).install_config["python"] == "3.11"


BASE_RECIPE = {"python": "3.11", "python_target": "3.11", "dependencies": ["idna", "pytest-mock==0.0.7"],
               "test_dependencies": ["pytest==1.0.0", "pytest-mock==1.0.0"], "build_dependencies": ["setuptools"],
               "install": "pip install -e .", "test_runner": "pytest", "test_cmd": "python -m pytest", "sources": ["setup.py"]}


def test_install_config_recipe_replaces_inference():
    task = import_row(rows("swe_rebench.jsonl")[0])
    r = choose_recipe(task, dict(BASE_RECIPE), ["3.9", "3.11"], lambda p: None)
    assert r["source"] == "swe_rebench" and r["python"] == "3.11"
    assert r["dependencies"] == ["pytest==8.3.4"] and r["test_dependencies"] == []
    assert r["test_cmd"] == "pytest --no-header -rA --tb=no -p no:cacheprovider"
    # pre_install first; the project's own install made offline (no deps, no isolation), with the
    # plain + path install when the backend has no editable hook (as inference has it)
    assert r["install"] == f"echo pre-install ran > /tmp/agentmt-pre-install && {make_install_command(PEP660_INSTALL)}"
    assert r["pre_install_system"] == ["apt-get update", "apt-get install -y -q --no-install-recommends tree"]
    assert r["install_row"] == "pip install -e ." and r["pin_date"] is None
    config = {"python": "3.8", "packages": "requirements.txt", "reqs_path": ["requirements/test.txt"],
              "install": "make dev", "test_cmd": "pytest -rA"}
    r = choose_recipe(TaskInstance("i", "a/b", "c", "", "", "", validation={"extra_fields": {"install_config": config}}),
                      dict(BASE_RECIPE), ["3.9", "3.11"], {"requirements/test.txt": "attrs==19.1\n# c\n"}.get)
    assert r["python"] is None and r["python_target"] == "3.8"  # no base image: a python_unavailable drop
    assert r["dependencies"] == ["attrs==19.1"] and r["install"] == "make dev"


def test_pre_install_apt_steps_go_to_the_env_layer_and_the_rest_stay_in_order():
    steps = ["apt-get update && sudo apt-get install -y libxml2-dev", "sed -i 's/x/y/' setup.cfg; DEBIAN_FRONTEND=noninteractive apt install -y gcc"]
    assert split_pre_install(steps) == (["apt-get update", "apt-get install -y libxml2-dev",
                                         "DEBIAN_FRONTEND=noninteractive apt install -y gcc"], ["sed -i 's/x/y/' setup.cfg"])
    config = {"python": "3.11", "pre_install": steps, "install": "pip install -e .", "test_cmd": "pytest"}
    task = TaskInstance("i", "a/b", "c", "", "", "", validation={"extra_fields": {"install_config": config}})
    r = choose_recipe(task, dict(BASE_RECIPE), ["3.11"], lambda p: None)
    assert r["install"].startswith("sed -i 's/x/y/' setup.cfg && ( pip install")  # no apt in the no-network layer
    (cmd,) = r["system_commands"]
    assert cmd.startswith("export DEBIAN_FRONTEND=noninteractive && apt-get update -q && apt-get update && ")
    assert "apt-get install -y libxml2-dev" in cmd and cmd.endswith("rm -rf /var/lib/apt/lists/*")
    from agentmt.environments.images import make_env_dockerfile, make_env_tag

    built = TaskInstance("i", "a/b", "c", "", "", "", install=r)
    assert f"RUN {cmd}\n" in make_env_dockerfile(built, "base", with_ca=False)
    plain = TaskInstance("i", "a/b", "c", "", "", "", install={**r, "system_commands": []})
    assert make_env_tag(built, "base") != make_env_tag(plain, "base")  # no env image shared with a task without them


def test_pre_install_pip_packages_join_the_env_layer_s_set():
    pre = ["pip install -U 'numpy<2' six", "python -m pip install -r requirements/ci.txt",
           "pip install -e ./plugin", "touch x"]
    config = {"python": "3.11", "pip_packages": ["pytest"], "pre_install": pre, "test_cmd": "pytest"}
    task = TaskInstance("i", "a/b", "c", "", "", "", validation={"extra_fields": {"install_config": config}})
    r = choose_recipe(task, dict(BASE_RECIPE), ["3.11"], {"requirements/ci.txt": "attrs==23.1\n"}.get)
    assert r["dependencies"] == ["pytest", "numpy<2", "six", "attrs==23.1"]
    assert r["pre_install_pip"] == pre[:2]
    # a path install and the rest stay steps of the instance layer, in order
    assert r["install"].startswith("pip install -e ./plugin && touch x && ( pip install")


def test_an_old_setuptools_swaps_only_the_project_install_of_a_row_recipe():
    from agentmt.environments.buildtask import _fit_install_to_setuptools
    from agentmt.environments.editable import DEVELOP_INSTALL

    task = import_row(rows("swe_rebench.jsonl")[0])
    r = choose_recipe(task, dict(BASE_RECIPE), ["3.11"], lambda p: None)
    r["lock"] = ["setuptools==58.0.0", "pytest==8.3.4"]
    _fit_install_to_setuptools(r)  # setuptools < 64 has no editable hook: setup.py develop instead
    assert r["install"] == f"echo pre-install ran > /tmp/agentmt-pre-install && {make_install_command(DEVELOP_INSTALL)}"
    own = {**r, "install": "python setup.py build_ext -i"}
    _fit_install_to_setuptools(own)
    assert own["install"] == "python setup.py build_ext -i"  # the row's own command is kept
    inferred = {**BASE_RECIPE, "install": make_install_command(PEP660_INSTALL), "lock": r["lock"]}
    _fit_install_to_setuptools(inferred)
    assert inferred["install"] == make_install_command(DEVELOP_INSTALL)


def test_swebench_spec_pins_win_over_the_repository_s_and_the_conflict_is_recorded():
    task = TaskInstance("psf__requests-1", "psf/requests", "c", "", "", "", version="2.0")
    r = choose_recipe(task, dict(BASE_RECIPE), ["3.9", "3.11"], lambda p: None)
    assert r["source"] == "swebench_spec" and r["python"] == "3.9" and r["base_release"] == "bullseye"
    assert r["test_dependencies"] == ["pytest"] and r["dependencies"] == ["idna", "pytest-mock==0.0.7"]
    assert r["pin_conflicts"] == [{"package": "pytest", "kept": "pytest", "dropped": "pytest==1.0.0"}]
    assert r["sources"][0].startswith("swebench 4.x")
    other = TaskInstance("x-1", "owner/unknown", "c", "", "", "", version="1.0")
    assert choose_recipe(other, dict(BASE_RECIPE), ["3.11"], lambda p: None)["source"] == "inferred"


def test_gold_passes_counts_runs_where_every_graded_test_passes():
    a, b = "t.py::a", "t.py::b[x y]"
    runs = [{a: "PASSED", b: "PASSED"}, {a: "PASSED", b: "FAILED"}, {a: "PASSED", b: "PASSED"}]
    assert gold_passes([a, "t.py::b[x"], runs) == 2  # given ids in SWE-bench's truncated form
    assert gold_passes([a], runs) == 3
    assert gold_passes([], runs) == 2  # derived: every test that passed somewhere must pass each run
    assert gold_passes([], [{a: "FAILED"}]) == 0


def test_gold_validity_per_dataset():
    def task(i, dataset, validation):
        return TaskInstance(i, "a/b", "c", "", "", "", validation={**validation, **({"dataset": dataset} if dataset else {})})

    tasks = [task("1", "swe-rebench", {"gold_runs": {"passed": 3, "of": 3}}),
             task("2", "swe-rebench", {"gold_runs": {"passed": 1, "of": 3}}),
             task("3", "swe-rebench", {"drop": {"stage": "validate"}, "phases": {"after": {"exit_codes": [1, 1, 1]}}}),
             task("4", "swe-rebench", {"drop": {"stage": "build"}}),
             task("5", None, {"gold_runs": {"passed": 3, "of": 3}})]
    fig = make_gold_validity(tasks)
    assert fig["swe-rebench"] == {"tasks": 4, "ran": 3, "k_of_k": 1, "not_run": 1, "share": 0.3333,
                                  "passed": {"0/3": 1, "1/3": 1, "3/3": 1}}
    assert fig["mined"]["share"] == 1.0


def test_env_stats_prints_gold_validity_per_dataset(tmp_path):
    from typer.testing import CliRunner

    from agentmt.cli.main import app
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.io import Manifest

    def task(i, dataset, validation):
        return TaskInstance(i, "a/b", "c", "", "", "", validation={"dataset": dataset, **validation})

    kept = task("1", "swe-rebench", {"gold_runs": {"passed": 3, "of": 3}})
    kept.install = {"source": "swe_rebench"}
    write_tasks_jsonl([kept], tmp_path / "tasks.jsonl")
    write_tasks_jsonl([task("2", "swe-rebench", {"gold_runs": {"passed": 2, "of": 3}, "drop": {"stage": "validate"}})],
                      tmp_path / "failed" / "tasks.jsonl")
    Manifest(stage="env.validate").write(tmp_path)
    res = CliRunner().invoke(app, ["env", "stats", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "swe-rebench: 1 of 2 pass every gold run (50.0%); gold runs passed: 2/3=1, 3/3=1" in res.output
    assert "environment sources: swe_rebench=1\n" in res.output  # the failed task had no recipe


def test_eval_script_without_lists_is_graded_by_its_exit_code():
    from agentmt.environments.exitgrade import validate_by_exit_code
    from agentmt.environments.grading import END_TEST_OUTPUT, EXIT_CODE_MARKER, START_TEST_OUTPUT, make_report
    from agentmt.errors import RecordDropped

    def log(code):
        return f"{START_TEST_OUTPUT}\nno per-test lines\n{END_TEST_OUTPUT}\n{EXIT_CODE_MARKER} {code}\n"

    task = TaskInstance("i", "a/b", "c", "", "", "", install={"grade_by": "exit_code"})
    assert make_report(task, log(0), model_patch="p")["i"]["resolved"] is True
    assert make_report(task, log(1), model_patch="p")["i"]["resolved"] is False
    plain = TaskInstance("i", "a/b", "c", "", "", "")
    assert make_report(plain, log(0), model_patch="p")["i"]["resolved"] is False  # no lists, no verdict

    def phases(before, after):
        return {"phases": {"before": {"exit_codes": before, "status": {}}, "after": {"exit_codes": after, "status": {}}}}

    ok = validate_by_exit_code(TaskInstance("i", "a/b", "c", "", "", "", validation=phases([1, 1], [0, 0])), 2)
    assert ok.validation["status"] == "validated" and ok.validation["gold_runs"] == {"passed": 2, "of": 2}
    for before, after, reason in (([0, 1], [0, 0], "eval_script_passes_before_fix"), ([1, 1], [0, 1], "gold_not_resolved")):
        bad = TaskInstance("i", "a/b", "c", "", "", "", validation=phases(before, after))
        with pytest.raises(RecordDropped, match=reason):
            validate_by_exit_code(bad, 2)
        assert bad.validation["gold_runs"]["passed"] == after.count(0)


def test_explain_names_the_source_and_why_others_were_not_used():
    from agentmt.environments.explain import render_explanation

    task = TaskInstance("i", "a/b", "c" * 40, "", "", "", install={
        "source": "row_dockerfile", "test_cmd": "bash /agentmt/eval.sh", "grade_by": "exit_code",
        "from_substituted": [{"from": "python:3.11-slim", "to": "agentmt-base:bookworm"}]},
        validation={"status": "validated", "gold_runs": {"passed": 2, "of": 3},
                    "source_fallbacks": [{"source": "prebuilt_image", "reason": "pull x failed: refused"}]})
    text = render_explanation(task)
    assert ("source: row_dockerfile; prebuilt_image not used: pull x failed: refused; "
            "FROM python:3.11-slim replaced by agentmt-base:bookworm") in text
    assert "test: bash /agentmt/eval.sh (graded by its exit code)" in text and "python None" not in text
    assert "gold runs: 2 of 3 pass every graded test" in text


def test_swebench_spec_table_facts_for_pytest_pylint_and_flask():
    """Facts of swebench 4.x's MAP_REPO_VERSION_TO_SPECS_PY; where the harness installs the
    repository's requirement file (flask, pylint) the inferred test requirements stay, pins winning."""
    from agentmt.environments.rows.swebench_specs import lookup

    assert "pluggy==0.11.0" in lookup("pytest-dev/pytest", "4.5")["packages"]
    assert lookup("pytest-dev/pytest", "6.3")["packages"][-1] == "toml==0.10.2"
    assert lookup("pallets/flask", "2.1")["python"] == "3.10" and lookup("pallets/flask", "2.0")["python"] == "3.9"
    assert lookup("pylint-dev/pylint", "3.0")["packages"] == ["astroid==3.0.0a6", "setuptools"]
    assert lookup("pylint-dev/pylint", "2.8") is None  # its spec needs apt packages (libenchant)
    pytest_repo = TaskInstance("pytest-dev__pytest-1", "pytest-dev/pytest", "c", "", "", "", version="5.0")
    r = choose_recipe(pytest_repo, dict(BASE_RECIPE, dependencies=["pluggy>=0.12"]), ["3.9"], lambda p: None)
    assert r["test_dependencies"] == lookup("pytest-dev/pytest", "5.0")["packages"]  # the harness installs no extras
    assert r["pin_date"] is None  # its 2023 pins (atomicwrites==1.4.1) postdate a 2019 task's commit
    assert r["dependencies"] == [] and {"package": "pluggy", "kept": "pluggy==0.13.1", "dropped": "pluggy>=0.12"} in r["pin_conflicts"]
    pylint = TaskInstance("pylint-dev__pylint-1", "pylint-dev/pylint", "c", "", "", "", version="3.0")
    r = choose_recipe(pylint, dict(BASE_RECIPE), ["3.9"], lambda p: None)
    assert r["test_dependencies"] == ["astroid==3.0.0a6", "setuptools", "pytest==1.0.0", "pytest-mock==1.0.0"]
    # requests: the harness installs only pytest, so requirements.txt's pins leave the recipe
    requests = TaskInstance("psf__requests-1724", "psf/requests", "c", "", "", "", version="2.0")
    base = dict(BASE_RECIPE, dependencies=["py==1.4.12", "invoke==0.2.0", "idna"])
    r = choose_recipe(requests, base, ["3.9"], {"requirements.txt": "py==1.4.12\ninvoke==0.2.0\n"}.get)
    assert r["dependencies"] == ["idna"] and r["requirements_not_installed"] == ["invoke==0.2.0", "py==1.4.12"]
    r = choose_recipe(pylint, base, ["3.9"], {"requirements.txt": "py==1.4.12\n"}.get)
    assert r["dependencies"] == base["dependencies"]  # pylint's harness installs its requirement file
