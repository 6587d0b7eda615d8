"""Each row kind builds through its own source on the calc fixture repository, and validates.

A SWE-rebench row builds from its `install_config` (its image's registry being down, recorded; its
apt pre_install step in the env layer); a SWE-rebench-V2 row pulls its prebuilt image from a local
registry (Debian's `docker-registry`); OpenSWE rows and swebench task repositories build their own
Dockerfile, the unpullable FROM replaced by agentmt's offline base; a SWE-bench row of a repository
and version the harness's table knows takes its Python and pins from it (`swebench_spec`); a
SWE-smith row's bug becomes the base commit and its reverse the gold patch.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from agentmt.environments.stages import build_envs, validate_envs
from agentmt.environments.tasks import import_tasks, make_task, read_tasks, write_tasks_jsonl

pytestmark = pytest.mark.docker
ROWS = Path(__file__).parent / "fixtures" / "rows"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


DOWN = f"127.0.0.1:{_free_port()}/agentmt/calc:down"  # nothing listens there: the registry is down


def _fill(text: str, calc_repo, image: str) -> str:
    repo, prs = calc_repo
    task = make_task(prs[0], repo)
    subs = {"BASE": task.base_commit, "BASE8": task.base_commit[:8], "PATCH": task.patch,
            "TEST_PATCH": task.test_patch, "IMAGE": image}
    for key, value in subs.items():
        text = text.replace(f"@{key}@", json.dumps(value)[1:-1] if text.lstrip().startswith("{") else value)
    return text


def _import(name: str, calc_repo, tmp_path: Path, image: str = DOWN, fmt: str = "auto") -> Path:
    rows = tmp_path / name
    rows.write_text(_fill((ROWS / name).read_text(), calc_repo, image))
    import_tasks(rows, tmp_path / "tasks", fmt)
    return tmp_path / "tasks"


def _build_and_validate(tasks: Path, calc_repo, tmp_path: Path, iid: str = "demo__calc-1", name: str = "demo/calc"):
    repo, _ = calc_repo
    build_envs(tasks, tmp_path / "built", f"repos.{name}={repo}")
    (built,) = [t for t in read_tasks(tmp_path / "built") if t.instance_id == iid]
    m = validate_envs(tmp_path / "built", tmp_path / "validated", "runs=1")
    assert m.counts["tasks_out"] == 1, m.drops
    (valid,) = read_tasks(tmp_path / "validated")
    assert valid.validation["gold_runs"] == {"passed": 1, "of": 1}
    return built


@pytest.fixture(scope="module")
def rebench_built(calc_repo, docker_daemon, tmp_path_factory):
    """The SWE-rebench row built from its install_config (its docker_image unreachable)."""
    tmp = tmp_path_factory.mktemp("rebench")
    return _build_and_validate(_import("swe_rebench.jsonl", calc_repo, tmp), calc_repo, tmp)


def test_swe_rebench_row_builds_from_install_config(rebench_built):
    r = rebench_built.install
    assert r["source"] == "swe_rebench" and r["python"] == "3.11"
    assert r["test_cmd"] == "pytest --no-header -rA --tb=no -p no:cacheprovider"
    assert any(x.startswith("pytest==8.3.4") for x in r["lock"])
    (fallback,) = rebench_built.validation["source_fallbacks"]
    assert fallback["source"] == "prebuilt_image" and DOWN.split("/")[0] in fallback["reason"]
    assert r["pre_install_system"] == ["apt-get update", "apt-get install -y -q --no-install-recommends tree"]
    ran = subprocess.run(["docker", "run", "--rm", "--network", "none", rebench_built.validation["image"]["tag"],
                          "sh", "-c", "command -v tree && cat /tmp/agentmt-pre-install"],
                         capture_output=True, text=True, check=False)
    # the apt step ran in the env layer (network), the rest of pre_install in the instance layer
    assert ran.stdout.split() == ["/usr/bin/tree", "pre-install", "ran"], ran.stderr


def test_prebuilt_image_is_pulled_from_a_registry(rebench_built, local_registry, calc_repo, tmp_path):
    ref = f"{local_registry}/agentmt-rows/calc:1"  # the session's registry (tests/conftest.py)
    subprocess.run(["docker", "tag", rebench_built.validation["image"]["tag"], ref], check=True)
    subprocess.run(["docker", "push", "-q", ref], check=True, capture_output=True)
    subprocess.run(["docker", "rmi", ref], check=True, capture_output=True)  # only the registry has it now
    try:
        built = _build_and_validate(_import("swe_rebench_v2.jsonl", calc_repo, tmp_path, ref), calc_repo, tmp_path)
        assert built.install["source"] == "prebuilt_image" and built.validation["image"]["tag"] == ref
        assert built.install["test_cmd"] == "pytest --no-header -rA --tb=no -p no:cacheprovider"
        assert "source_fallbacks" not in built.validation
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True, check=False)


def _task_repo(calc_repo, tmp_path: Path) -> Path:
    repo = tmp_path / "taskrepo"
    shutil.copytree(ROWS / "taskrepo", repo)
    for f in (repo / "tasks" / "demo__calc-1").iterdir():
        f.write_text(_fill(f.read_text(), calc_repo, DOWN).rstrip("\n") + "\n" if f.suffix == ".patch"
                     else _fill(f.read_text(), calc_repo, DOWN))
    return repo


@pytest.mark.parametrize("kind", ["openswe", "openswe_no_lists", "task_repo"])
def test_row_dockerfile_builds_with_its_from_substituted(kind, calc_repo, docker_daemon, tmp_path):
    if kind.startswith("openswe"):
        tasks, source = _import("openswe.jsonl", calc_repo, tmp_path, fmt="openswe"), "row_dockerfile"
        if kind == "openswe_no_lists":  # graded by the eval script's exit code
            (task,) = read_tasks(tasks)
            task.FAIL_TO_PASS, task.PASS_TO_PASS = [], []
            write_tasks_jsonl([task], tasks / "tasks.jsonl")
            (tasks / "tasks.parquet").unlink()
    else:
        import_tasks(_task_repo(calc_repo, tmp_path), tmp_path / "tasks")
        tasks, source = tmp_path / "tasks", "swebench_task"
    built = _build_and_validate(tasks, calc_repo, tmp_path)
    assert built.install["source"] == source and built.install["test_cmd"] == "bash /agentmt/eval.sh"
    assert built.install.get("grade_by") == ("exit_code" if kind == "openswe_no_lists" else None)
    from agentmt.environments.base import image_exists, registry_answers

    if image_exists("python:3.11-slim") or registry_answers():  # the row's FROM can be had as it is
        assert built.install["from_substituted"] == []
    else:
        assert built.install["from_substituted"] == [{"from": "python:3.11-slim",
                                                      "to": built.validation["image"]["base"]}]


def test_an_image_without_the_repository_at_testbed_is_not_used(docker_daemon):
    from agentmt.environments.base import ensure_base_image
    from agentmt.environments.prebuilt import PrebuiltUnavailable, check_testbed

    with pytest.raises(PrebuiltUnavailable, match="no git checkout at /testbed"):
        check_testbed(ensure_base_image(), "0" * 40)


def test_swebench_row_of_a_known_repo_and_version_builds_from_the_harness_facts(calc_repo, docker_daemon, tmp_path):
    """psf/requests 2.0 in the harness's table: Python 3.9 (bullseye's) and its test pins, not inference's 3.11."""
    rows = tmp_path / "rows.jsonl"
    (row, _) = _fill((ROWS / "swe_bench_verified.jsonl").read_text(), calc_repo, DOWN).splitlines()
    row = json.loads(row) | {"repo": "psf/requests", "instance_id": "psf__requests-1", "version": "2.0"}
    rows.write_text(json.dumps(row) + "\n")
    import_tasks(rows, tmp_path / "tasks")
    built = _build_and_validate(tmp_path / "tasks", calc_repo, tmp_path, "psf__requests-1", "psf/requests")
    r = built.install
    assert r["source"] == "swebench_spec" and r["python"] == "3.9" and r["sources"][0].startswith("swebench 4.x")
    assert r["test_dependencies"] == ["pytest"] and built.validation["image"]["base"].endswith(":bullseye")
    ran = subprocess.run(["docker", "run", "--rm", "--network", "none", built.validation["image"]["tag"],
                          "python", "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    assert ran.stdout.strip() == "(3, 9)"


def test_swe_smith_row_builds_on_its_bug_commit_and_validates_the_reversed_patch(calc_repo, docker_daemon, tmp_path):
    repo, _ = calc_repo
    mirror = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    bug = ("--- a/src/calc/__init__.py\n+++ b/src/calc/__init__.py\n@@ -8,3 +8,3 @@\n \n def neg(a):\n"
           "-    return -a\n+    return a\n")
    row = json.loads((ROWS / "swe_smith.jsonl").read_text().splitlines()[0].replace("@BASE8@", mirror[:8]))
    row |= {"patch": bug, "image_name": DOWN, "PASS_TO_PASS": ["tests/test_calc.py::test_add"]}
    (tmp_path / "rows.jsonl").write_text(json.dumps(row) + "\n")
    import_tasks(tmp_path / "rows.jsonl", tmp_path / "tasks")
    built = _build_and_validate(tmp_path / "tasks", calc_repo, tmp_path, row["instance_id"])
    assert built.install["source"] == "inferred"  # a SWE-smith row ships only its image, which is down
    assert [f["source"] for f in built.validation["source_fallbacks"]] == ["prebuilt_image"]
    made = built.validation["swesmith"]
    assert made["mirror_commit"] == mirror and built.base_commit == made["bug_commit"]
    assert "+    return -a" in built.patch  # the gold patch that validated is the bug reversed
