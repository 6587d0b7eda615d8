"""Layered images on a real Docker engine: shared env layer, digests, no future history, install errors."""

from __future__ import annotations

import subprocess

import pytest

from agentmt.environments.runtime import DockerEnvironment

pytestmark = pytest.mark.docker


def test_tasks_share_the_env_layer_and_record_digests(built_tasks):
    tasks, manifest, _ = built_tasks
    assert manifest.counts["tasks_out"] == 2 and not manifest.drops
    images = [t.validation["image"] for t in tasks]
    assert images[0]["env_tag"] == images[1]["env_tag"] and images[0]["tag"] != images[1]["tag"]
    for img in images:
        assert img["id"].startswith("sha256:") and img["base"] == "agentmt-base:bookworm"
        labels = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", img["tag"]],
                                capture_output=True, text=True, check=True).stdout
        assert '"agentmt.kind":"instance"' in labels
    assert tasks[0].install["test_dependencies"] == ["pytest"]


def test_testbed_has_no_future_history(built_tasks, calc_repo):
    repo, prs = calc_repo
    task = built_tasks[0][0]  # PR 1: its fix, PR 2 and the tag v1.0 all lie in the future
    future = [prs[0].head_sha, prs[1].head_sha]
    with DockerEnvironment(task.validation["image"]["tag"]) as env:
        head, rc = env.execute("git rev-parse HEAD")
        assert rc == 0 and head.strip() == task.base_commit
        for sha in future:
            out, rc = env.execute(f"git cat-file -t {sha}")
            assert rc != 0, f"future commit {sha} readable in /testbed: {out}"
        refs, _ = env.execute("git for-each-ref --format='%(refname)'; git tag -l; git remote")
        assert refs.split() == ["refs/heads/main"]
        reflog, _ = env.execute("git reflog --all | wc -l; ls .git/logs 2>/dev/null | wc -l")
        assert reflog.split() == ["0", "0"]
        # every object stored is reachable from the base commit, so no blob of the fix hides in a pack
        stored, _ = env.execute("git cat-file --batch-all-objects --batch-check='%(objectname)' | sort")
        reachable, _ = env.execute("git rev-list --objects --all | cut -d' ' -f1 | sort")
        assert stored.split() == reachable.split()
        fixed_blob = subprocess.run(["git", "-C", str(repo), "rev-parse", f"{prs[0].head_sha}:src/calc/__init__.py"],
                                    capture_output=True, text=True, check=True).stdout.strip()
        assert fixed_blob not in stored.split()
        status, _ = env.execute("git status --porcelain --untracked-files=no")
        assert status.strip() == ""


def test_failed_install_is_an_environment_failure_with_log(calc_repo, tmp_path, docker_daemon):
    from agentmt.environments.stages import build_envs
    from agentmt.environments.tasks import make_task, read_tasks, write_tasks_jsonl
    from agentmt.io import read_manifest

    repo, prs = calc_repo
    task = make_task(prs[0])
    task.install = {"python": "3.11", "dependencies": [], "test_dependencies": [],
                    "install": "python -c 'import sys; sys.exit(\"broken build\")'", "test_runner": "pytest"}
    task.instance_id = "demo__calc-broken"
    write_tasks_jsonl([task], tmp_path / "in.jsonl")
    build_envs(tmp_path / "in.jsonl", tmp_path / "out", f"repos.demo/calc={repo}")
    manifest = read_manifest(tmp_path / "out")
    assert manifest["drops"] == {"install_error": 1} and manifest["counts"]["tasks_out"] == 0
    log = (tmp_path / "out" / "logs" / "task-demo__calc-broken.log").read_text()
    failed = next(read_tasks(tmp_path / "out" / "failed" / "tasks.jsonl"))
    assert failed.validation["outcome"] == "install_error" and "broken build" in failed.validation["log"]
    drop = failed.validation["drop"]
    assert drop["stage"] == "build" and drop["reason"] == "install_error" and "broken build" in drop["log_tail"]
    assert manifest["extra"]["drops_by_repo"] == {"demo/calc": {"install_error": 1}}
    assert "broken build" in log


def test_pruning_spares_images_used_since_the_cut_off():
    """A build of more tasks than the cap pruned its own first images before validation used them
    (and another run on the same home pruned a running yield benchmark's): recent ones stay."""
    from agentmt.environments import images
    from agentmt.environments.config import EnvConfig

    assert images.make_prune_list({"a": 1.0, "b": 3.0, "c": 2.0}, keep=1, spare_since=2.0) == ["a"]
    assert images.make_prune_list({"a": 1.0, "b": 3.0, "c": 2.0}, keep=0, spare_since=0.5) == []
    assert EnvConfig().prune_keep_recent_s == 86400.0


def test_lru_pruning_keeps_the_most_recently_used(built_tasks, tmp_path, monkeypatch):
    from agentmt.environments import images

    assert images.make_prune_list({"a": 1.0, "b": 3.0, "c": 2.0}, keep=1) == ["a", "c"]
    # a private last-used record for this test; the images stay this home's own (its label), as prune needs
    monkeypatch.setattr(images, "_lru_path", lambda: tmp_path / "lru.json")
    source = built_tasks[0][0].validation["image"]["tag"]
    tags = [f"{images.TASK_REPOSITORY}:lru-test-{i}" for i in range(3)]
    # built here, so labelled with this home (a cached source may predate the label); a label-only layer
    (tmp_path / "Dockerfile").write_text(f"FROM {source}\nLABEL agentmt.test=lru\n")
    images.docker_build(tmp_path, tags[0], network_host=False)
    for tag in tags:
        subprocess.run(["docker", "tag", tags[0], tag], check=True)
        images.touch_image(tag)
    images.touch_image(tags[0])  # used again: now the most recent
    removed = images.prune_images(max_task_images=1, max_env_images=10)
    assert removed == [tags[1], tags[2]]
    assert images.image_exists(tags[0]) and not images.image_exists(tags[1])
    assert images.image_exists(source)
    subprocess.run(["docker", "rmi", tags[0]], check=True, capture_output=True)
