"""The validate stage's setup agent: a task whose tests cannot run until an untracked settings file
exists (its conftest refuses to load without it), driven by scripted models through the real loop,
real containers and a real replay build. One small instance image (the calc env layer is shared)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from agentmt.environments.setup_agent import (
    FIXED,
    REJECTED,
    STILL_DROPPED,
    is_setup_command,
    make_changed_files,
    make_setup_commands,
    make_write_command,
)
from agentmt.types import FunctionCall, Message, TaskInstance, ToolCall

# the calc fixture's commit date (tests/environments/conftest.py): same pin date, same lock, so the
# env image that fixture built is reused and only the instance layer is new
FIXTURE_DATE = "2024-03-01T12:00:00+00:00"
CONFTEST = '''"""The suite reads its settings from calc.env (README: copy calc.env.example to calc.env)."""
from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[1] / "calc.env"
if not SETTINGS.is_file():
    raise RuntimeError(f"{SETTINGS} is missing: copy calc.env.example to calc.env")
'''
FIX = [{"bash": "cat README.md"},  # inspection: not part of the recipe
       {"bash": "python -m pytest -rA tests/test_calc.py"},  # exits non-zero: not recorded
       {"bash": "cp calc.env.example calc.env"},
       {"bash": "bash /tmp/agentmt/run_tests.sh"},  # a test run: not recorded
       {"submit": True}]
CHEAT = [{"bash": "sed -i 's/^    raise RuntimeError/    pass  # RuntimeError/' tests/conftest.py"},
         {"bash": "python -m pytest -rA tests/test_calc.py"}, {"submit": True}]
GIVE_UP = [{"bash": "ls -a"},
           {"tool": "str_replace_editor",  # the wrong file: recorded and replayed, but fixes nothing
            "arguments": {"command": "create", "path": "/testbed/calc.cfg", "file_text": "mode = test\n"}},
           {"submit": True, "thought": "I cannot find what the tests need."}]


def _call(i: int, name: str, args: dict) -> Message:
    return Message("assistant", "", [ToolCall(f"c{i}", FunctionCall(name, json.dumps(args)))])


def test_recipe_keeps_succeeded_setup_steps_in_order():
    msgs = [Message("system", "s"), Message("user", "u"),
            _call(1, "bash", {"command": "ls"}), Message("tool", "a\nb", tool_call_id="c1"),
            _call(2, "bash", {"command": "pip install -e ./plugin"}),
            Message("tool", "error\n[exit code 1]", tool_call_id="c2"),
            _call(3, "bash", {"command": "cp a.example a.env"}), Message("tool", "ok", tool_call_id="c3"),
            _call(4, "str_replace_editor", {"command": "create", "path": "/testbed/x y.cfg", "file_text": "k = 'v'\n"}),
            Message("tool", "File created successfully at: /testbed/x y.cfg", tool_call_id="c4"),
            _call(5, "str_replace_editor", {"command": "create", "path": "/testbed/a.env", "file_text": "z"}),
            Message("tool", "File already exists at: /testbed/a.env.", tool_call_id="c5"),
            _call(6, "bash", {"command": "python -m pytest tests"}), Message("tool", "1 passed", tool_call_id="c6"),
            _call(7, "bash", {"command": "echo never answered"})]
    assert make_setup_commands(msgs) == ["cp a.example a.env", make_write_command("/testbed/x y.cfg", "k = 'v'\n")]
    # the write command reproduces the file byte for byte, quotes and spaces included
    out = subprocess.run(["bash", "-c", make_write_command("/dev/stdout", "k = 'v'\n")], capture_output=True,
                         text=True, check=True).stdout
    assert out == "k = 'v'\n"


@pytest.mark.parametrize("command, setup", [
    ("cat README.md", False), ("git status && git diff", False), ("python -m pip list", False),
    ("timeout -k 5 60 python -m pytest -rA tests", False), ("bash /tmp/agentmt/run_tests.sh", False),
    ("cp calc.env.example calc.env && python -m pytest", False), ("sed -n 1,9p setup.cfg", False),
    ("cp calc.env.example calc.env", True), ("pip install -e ./vendored_plugin", True),
    ("echo CALC=1 > calc.env", True), ("sed -i s/a/b/ setup.cfg", True), ("find . -name '*.pyc' -delete", True),
])
def test_is_setup_command(command, setup):
    assert is_setup_command(command) is setup


def test_changed_files_are_tracked_edits_and_new_test_files():
    assert make_changed_files("tests/conftest.py\n", "calc.env.py\ntests/conftest_extra.py\nsrc/x.py\n") == [
        "tests/conftest.py", "tests/conftest_extra.py"]
    assert make_changed_files("", "build/lib/calc/__init__.py\n") == []


def test_unknown_trigger_is_a_one_line_config_error():
    from agentmt.environments.config import load_env_config
    from agentmt.errors import ConfigError

    with pytest.raises(ConfigError, match="setup-agent trigger 'install_eror'"):
        load_env_config("setup_agent.triggers=[install_eror]")


# ---------------------------------------------------------------------------------------------
# Real containers


@pytest.fixture(scope="module")
def envfile_task(calc_repo, fixture_git, docker_daemon, tmp_path_factory):
    """The calc project at its first commit plus a conftest that needs calc.env; one add() fix task, built."""
    from agentmt.environments.stages import build_envs
    from agentmt.environments.tasks import make_repo_file_diff, read_tasks, write_tasks_jsonl

    src, prs = calc_repo
    git, commit = fixture_git
    root = tmp_path_factory.mktemp("setup-agent")
    repo = root / "calc"
    subprocess.run(["git", "clone", "-q", str(src), str(repo)], check=True)
    git(repo, "checkout", "-q", "-B", "main", prs[0].base_sha)
    base = commit(repo, {"tests/conftest.py": CONFTEST, "calc.env.example": "CALC_MODE=test\n",
                         ".gitignore": "calc.env\n", "README.md": "Tests: cp calc.env.example calc.env\n"},
                  "tests read calc.env")
    code = (repo / "src/calc/__init__.py").read_text()
    test = (repo / "tests/test_calc.py").read_text()
    head = commit(repo, {"src/calc/__init__.py": code.replace("return a - b", "return a + b"),
                         "tests/test_calc.py": test + "\n\ndef test_add():\n    from calc import add\n"
                                                      "    assert add(2, 3) == 5\n"}, "Fix add")
    task = TaskInstance(instance_id="demo__calc-101", repo="demo/calc", base_commit=base,
                        patch=make_repo_file_diff(repo, base, head, "src/calc/__init__.py"),
                        test_patch=make_repo_file_diff(repo, base, head, "tests/test_calc.py"),
                        problem_statement="add() subtracts\n", created_at=FIXTURE_DATE)
    write_tasks_jsonl([task], root / "tasks.jsonl")
    manifest = build_envs(root / "tasks.jsonl", root / "built", f"repos.demo/calc={repo}")
    assert manifest.counts["tasks_out"] == 1, manifest.drops
    return root, repo, next(read_tasks(root / "built"))


def _validate(root: Path, name: str, actions: list, *extra: str):
    from agentmt.environments.stages import validate_envs

    script = root / f"{name}.yaml"
    script.write_text(yaml.safe_dump(actions))
    out = root / name
    specs = ("runs=1", "setup_agent.enabled=true", f"setup_agent.model=scripted:{script}", *extra)
    return validate_envs(root / "built", out, *specs), out, specs


def _failed(out: Path) -> TaskInstance:
    from agentmt.environments.tasks import read_tasks

    (task,) = read_tasks(out / "failed" / "tasks.jsonl")
    return task


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_setup_agent_fixes_task_and_record_rebuilds(envfile_task, monkeypatch):
    from agentmt.environments import stages
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.tasks import read_tasks
    from agentmt.environments.validate import validate_task

    root, repo, built = envfile_task
    manifest, out, specs = _validate(root, "fixed", FIX)
    assert manifest.counts["tasks_out"] == 1 and not manifest.drops, manifest.drops
    assert manifest.counts["setup_agent_tried"] == 1 and manifest.counts["setup_agent_fixed"] == 1
    assert manifest.extra["setup_agent"] == {"demo__calc-101": FIXED}
    (task,) = read_tasks(out)
    assert task.install["setup_commands"] == ["cp calc.env.example calc.env"]
    assert task.install["sources"][-1] == "setup_agent"
    assert task.FAIL_TO_PASS == ["tests/test_calc.py::test_add"]
    assert task.PASS_TO_PASS == ["tests/test_calc.py::test_neg"]
    assert task.validation["setup_agent"]["outcome"] == FIXED and task.validation["status"] == "validated"
    assert task.validation["image"]["tag"] != built.validation["image"]["tag"]

    # resumable: a rerun reuses the unit's marker (running the unit again would fail) and writes the same
    def no_rerun(unit, ctx):
        raise AssertionError(f"{unit.name} ran again despite its completion marker")

    monkeypatch.setattr(stages, "_validate_unit", no_rerun)
    again = stages.validate_envs(root / "built", out, *specs)
    assert again.counts["setup_agent_fixed"] == 1 and list(read_tasks(out)) == [task]
    monkeypatch.undo()

    # the task record alone reproduces the environment: with the replayed image gone, `env build`'s
    # instance layer runs the setup commands itself, under the same tag, and the task validates again
    tag = task.validation["image"]["tag"]
    subprocess.run(["docker", "rmi", tag], check=True, capture_output=True)
    rebuilt = build_task(TaskInstance.from_dict(task.to_dict()), load_env_config("reuse_locks=true"), repo)
    assert rebuilt.validation["image"]["tag"] == tag
    again = validate_task(rebuilt, tag, runs=1, timeout_s=120)
    assert again.FAIL_TO_PASS == task.FAIL_TO_PASS and again.validation["status"] == "validated"


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_setup_agent_that_edits_a_tracked_test_file_is_rejected(envfile_task):
    from agentmt.environments.explain import render_explanation

    root, _, _ = envfile_task
    manifest, out, _ = _validate(root, "cheat", CHEAT)
    assert manifest.counts["tasks_out"] == 0 and manifest.drops == {"no_tests_ran": 1}
    assert manifest.counts["setup_agent_fixed"] == 0 and manifest.extra["setup_agent"] == {"demo__calc-101": REJECTED}
    task = _failed(out)
    rec = task.validation["setup_agent"]
    assert rec["changed_files"] == ["tests/conftest.py"] and "setup_commands" not in task.install
    assert task.validation["drop"]["reason"] == "no_tests_ran" and "replay_log" not in rec  # never replayed
    assert "rejected: changed tests/conftest.py" in render_explanation(task)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_setup_agent_that_gives_up_keeps_the_drop_and_trajectory(envfile_task):
    from agentmt.environments.explain import render_explanation

    root, _, _ = envfile_task
    manifest, out, _ = _validate(root, "gave-up", GIVE_UP)
    assert manifest.drops == {"no_tests_ran": 1} and manifest.extra["setup_agent"] == {"demo__calc-101": STILL_DROPPED}
    task = _failed(out)
    rec = task.validation["setup_agent"]
    # the editor's file was replayed in a fresh container (the build log shows the step), and the
    # tests still did not run: the original drop stands, with what the agent did
    assert rec["commands"] == [make_write_command("/testbed/calc.cfg", "mode = test\n")]
    assert re.search(r"^Step 2/\d+ : RUN ", rec["replay_log"], re.M) and rec["replay_drop"]["reason"] == "no_tests_ran"
    assert "calc.env is missing" in rec["replay_phases"]["after"]["log_tail"]
    assert rec["exit_status"] == "submitted" and rec["messages"][-1]["role"] == "tool"
    assert task.validation["drop"]["reason"] == "no_tests_ran" and "setup_commands" not in task.install
    text = render_explanation(task)
    assert "setup agent (scripted:" in text and "still_dropped" in text and "after replay: no_tests_ran" in text


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_setup_agent_off_or_not_triggered_changes_nothing(envfile_task):
    from agentmt.environments.stages import validate_envs

    root, _, _ = envfile_task
    plain = validate_envs(root / "built", root / "plain", "runs=1")
    assert plain.drops == {"no_tests_ran": 1} and "setup_agent_tried" not in plain.counts
    # a trigger list without no_tests_ran leaves the agent out (its script would fail the run if used)
    manifest, out, _ = _validate(root, "untriggered", [], "setup_agent.triggers=[no_fail_to_pass]")
    assert manifest.counts["setup_agent_tried"] == 0 and "setup_agent" not in _failed(out).validation
