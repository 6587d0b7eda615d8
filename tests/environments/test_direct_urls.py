"""Direct URL requirements (`name @ URL`, `git+https://...`) stay out of a recipe unless the config allows
them: their code is pinned by no date and served by no index."""

from __future__ import annotations


def test_direct_url_requirements_are_refused_and_recorded_unless_allowed():
    from agentmt.environments.declared import refuse_direct_urls

    def recipe():
        return {"dependencies": ["attrs>=20", "evil @ https://example.org/evil-1.0.tar.gz", "requests"],
                "test_dependencies": ["pytest", "git+https://example.org/plugin.git", "mark[x] @ file:///tmp/m"]}

    r = recipe()
    assert refuse_direct_urls(r, allow=False) == ["evil @ https://example.org/evil-1.0.tar.gz",
                                                  "git+https://example.org/plugin.git", "mark[x] @ file:///tmp/m"]
    # what names its distribution comes from the index instead (as of the pin date, at build time)
    assert r["dependencies"] == ["attrs>=20", "requests", "evil"] and r["test_dependencies"] == ["pytest", "mark[x]"]
    assert r["index_instead"] == ["evil", "mark[x]"]
    assert r["refused_direct_urls"] == refuse_direct_urls(recipe(), allow=False)
    allowed = recipe()
    assert refuse_direct_urls(allowed, allow=True) == [] and allowed == recipe()


def test_the_name_a_direct_url_stands_for():
    from agentmt.environments.declared import index_name

    assert index_name("trio@git+https://github.com/python-trio/trio.git@exceptiongroup") == "trio"
    assert index_name("uvloop[x] @ https://e.org/u.tar.gz ; python_version < '3.11'") == "uvloop[x] ; python_version < '3.11'"
    assert index_name("git+https://e.org/p.git#egg=plugin") == "plugin"
    assert index_name("git+https://e.org/p.git") == ""


def test_env_build_counts_the_refused_direct_urls_in_its_manifest(tmp_path):
    """No Docker: a recipe whose Python no base image provides is dropped before any build."""
    import subprocess

    from agentmt.environments.stages import build_envs
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.types import TaskInstance

    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    install = {"python": "", "python_target": "2.1", "pin_date": "2020-01-01",
               "dependencies": ["attrs", "evil @ https://example.org/evil.tar.gz"],
               "test_dependencies": ["git+https://example.org/plugin.git"]}
    tasks = [TaskInstance(f"o__r-{i}", "o/r", "0" * 40, "", "", "", install=dict(install)) for i in (1, 2)]
    write_tasks_jsonl(tasks, tmp_path / "tasks.jsonl")
    m = build_envs(tmp_path / "tasks.jsonl", tmp_path / "built", f"repos.o/r={repo}")
    assert m.counts["tasks_with_refused_direct_urls"] == 2 and m.counts["refused_direct_urls"] == 4
    assert m.drops == {"python_unavailable": 2}


def test_guesses_taken_back_leave_the_declared_recipe():
    from agentmt.environments.buildtask import guesses, without_guesses

    r = {"dependencies": ["attrs", "evil"], "test_dependencies": ["pytest", "pytz"],
         "imports_added": ["pytz"], "index_instead": ["evil"], "refused_direct_urls": ["evil @ https://e.org/e"]}
    assert guesses(r) == ["pytz", "evil"]
    without_guesses(r, "resolution_failed: evil was not found in the package registry")
    assert r["dependencies"] == ["attrs"] and r["test_dependencies"] == ["pytest"] and not guesses(r)
    assert r["guesses_unusable"] == {"added": ["evil", "pytz"],
                                     "why": "resolution_failed: evil was not found in the package registry"}
    assert r["refused_direct_urls"] == ["evil @ https://e.org/e"]
