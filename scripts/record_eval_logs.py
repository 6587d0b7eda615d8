"""Record the test logs the official-grader agreement test reads (tests/evaluation/fixtures/).

Each case is a real pytest run in a real task container: the task's test script (what agentmt's
grading runs) before the gold patch (hidden tests applied: F2P fail) and after it (F2P pass),
written as CASE/task.json (the SWE-bench row, with agentmt's install recipe), before.log, after.log.
`--suite REPO --image TAG` records a public repository's whole suite (a clone, its HEAD copied into
a container of TAG, which must have pytest) as suites/NAME-COMMIT.log + .json; the agreement test
builds rows from it. `--spaced-ids` adds a case whose test file has parametrized ids with spaces, to check that rows
listing them the way SWE-bench does (`test_x[a b]` listed as `test_x[a`) grade the same.

    .venv/bin/python scripts/record_eval_logs.py --tasks VALIDATED --out tests/evaluation/fixtures \
        [--only ID ...] [--spaced-ids]
    .venv/bin/python scripts/record_eval_logs.py --suite /path/to/toolz --image agentmt-task:TAG --tests toolz/tests
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SPACED_TEST = '''import pytest


@pytest.mark.parametrize("text", ["a b", "c d e", "plain"])
def test_words(text):
    assert text.split()


@pytest.mark.parametrize("text", ["x y", "z"])
def test_upper(text):
    assert text.upper() == text  # fails: lower-case input
'''


# a patch's conftest.py that prints a passing line for a test after pytest's summary said it failed:
# the official grader refuses a log whose exit code contradicts it (get_logs_eval), so must agentmt
CHEAT_TEST = "def test_target():\n    assert False\n"
CHEAT_CONFTEST = (
    "def pytest_unconfigure(config):\n"
    "    print('PASSED tests/cheat/test_cheat.py::test_target')\n"
)


def record(task, timeout_s: int = 300) -> dict[str, str]:
    """{'before': log, 'after': log} of the task's hidden tests without and with its gold patch."""
    from agentmt.environments.harness import apply_patch, prepare_grading, run_tests
    from agentmt.environments.runtime import DockerEnvironment

    logs = {}
    for side in ("before", "after"):
        with DockerEnvironment(task.validation["image"]["tag"]) as env:
            if side == "after":
                assert apply_patch(env, task.patch, "gold")[0], task.instance_id
            assert prepare_grading(env, task)[0], task.instance_id
            logs[side] = run_tests(env, task, timeout_s)
    return logs


def spaced_task(base):
    """A task whose test patch adds a file of parametrized tests with spaces in their ids."""
    from agentmt.environments.tasks import make_file_diff

    task = type(base).from_dict(base.to_dict())
    task.instance_id = base.instance_id + "-spaced-ids"
    task.test_patch = make_file_diff("tests/test_spaced_ids.py", None, SPACED_TEST)
    task.patch = ""
    return task


def cheat_task(base):
    """A task whose test fails, with a conftest.py that prints a fake PASSED line for it afterwards."""
    from agentmt.environments.tasks import make_file_diff

    task = type(base).from_dict(base.to_dict())
    task.instance_id = base.instance_id + "-fake-pass"
    task.test_patch = make_file_diff("tests/cheat/test_cheat.py", None, CHEAT_TEST) + \
        make_file_diff("tests/cheat/conftest.py", None, CHEAT_CONFTEST)
    task.patch = ""
    task.FAIL_TO_PASS, task.PASS_TO_PASS = ["tests/cheat/test_cheat.py::test_target"], []
    return task


def write_case(out: Path, task, logs: dict[str, str]) -> None:
    from agentmt.environments.tasks import task_to_row

    folder = out / task.instance_id
    folder.mkdir(parents=True, exist_ok=True)
    row = {**task_to_row(task), "install": task.install, "validation": {}}
    (folder / "task.json").write_text(json.dumps(row, indent=2, sort_keys=True) + "\n")
    for side, log in logs.items():
        (folder / f"{side}.log").write_text(log)


def record_suite(repo: Path, image: str, tests: str, out: Path, name: str = "") -> Path:
    """Run the repository's pytest suite at HEAD in a container of `image`, between agentmt's markers."""
    import subprocess

    from agentmt.environments.grading import END_TEST_OUTPUT, EXIT_CODE_MARKER, START_TEST_OUTPUT

    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    name = name or subprocess.run(["git", "-C", str(repo), "config", "--get", "remote.origin.url"],
                                  capture_output=True, text=True, check=False).stdout.strip()
    name = "__".join(name.rstrip("/").removesuffix(".git").split("/")[-2:]) if name else repo.name
    script = (f"mkdir -p /suite && cd /suite && tar x && echo '{START_TEST_OUTPUT}' && "
              f"timeout 600 python -m pytest -rA -p no:cacheprovider {tests}; rc=$?; "
              f"echo '{END_TEST_OUTPUT}'; echo '{EXIT_CODE_MARKER}' $rc")
    archive = subprocess.run(["git", "-C", str(repo), "archive", "HEAD"], capture_output=True, check=True).stdout
    run = subprocess.run(["docker", "run", "--rm", "-i", image, "bash", "-c", script], input=archive,
                         capture_output=True, check=False)
    path = out / "suites" / f"{name}-{head[:8]}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(run.stdout + run.stderr)
    meta = {"repo": name.replace("__", "/"), "commit": head, "image": image, "tests": tests}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def main() -> None:
    from agentmt.environments.tasks import read_tasks

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", help="validated tasks (env validate output or task file)")
    ap.add_argument("--suite", type=Path, help="a clone of a public repository whose pytest suite to record")
    ap.add_argument("--image", help="with --suite: an image with Python and pytest")
    ap.add_argument("--name", default="", help="with --suite: owner/name (default: the clone's origin)")
    ap.add_argument("--tests", default="", help="with --suite: test paths to run (default: pytest's discovery)")
    ap.add_argument("--out", default="tests/evaluation/fixtures")
    ap.add_argument("--only", nargs="*", help="instance ids to record (default: all)")
    ap.add_argument("--spaced-ids", action="store_true", help="add the spaced-ids case on the first task's image")
    args = ap.parse_args()
    if args.suite:
        print(f"recorded {record_suite(args.suite, args.image, args.tests, Path(args.out), args.name)}")
    if not args.tasks:
        return
    tasks = [t for t in read_tasks(args.tasks) if not args.only or t.instance_id in args.only]
    for task in tasks:
        write_case(Path(args.out), task, record(task))
        print(f"recorded {task.instance_id}")
    if args.spaced_ids and tasks:
        from agentmt.environments.harness import prepare_grading, run_tests
        from agentmt.environments.runtime import DockerEnvironment

        for task in (spaced_task(tasks[0]), cheat_task(tasks[0])):
            with DockerEnvironment(task.validation["image"]["tag"]) as env:
                assert prepare_grading(env, task)[0]
                log = run_tests(env, task, 300)
            write_case(Path(args.out), task, {"after": log})
            print(f"recorded {task.instance_id}")


if __name__ == "__main__":
    main()
