"""LLM enhancement: real embedded model end to end, cache reruns, failures kept and counted."""

from __future__ import annotations

import threading

import pytest
from fake_endpoint import FakeEndpoint, chat_answer

from agentmt.config import make_config
from agentmt.corpus import prompts
from agentmt.corpus.enhance import EnhanceConfig, enhance_prs
from agentmt.errors import EndpointError
from agentmt.io import Manifest
from agentmt.models.server import find_free_port
from agentmt.types import Commit, FileChange, Issue, PullRequest

LONG_DIFF = (
    "@@ -1,3 +1,3 @@\n def parse(s):\n"
    "-    return s.split(',')\n"
    "+    return [x.strip() for x in s.split(',')]\n" + " # padding line\n" * 40
)


@pytest.fixture(autouse=True)
def _no_endpoint_env(monkeypatch):
    for var in (
        "AGENTMT_LLM_BASE_URL",
        "OPENAI_BASE_URL",
        "AGENTMT_LLM_MODEL",
        "AGENTMT_LLM_API_KEY",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)


def make_pr(number: int, diff: str = LONG_DIFF) -> PullRequest:
    commits = [
        Commit(
            sha=f"{number}a",
            message="fix parse",
            author="dev",
            date="2024-01-01T00:00:00Z",
            changes=[FileChange("modified", "csvlite/parse.py", "csvlite/parse.py", diff)],
        ),
        Commit(
            sha=f"{number}b",
            message="add test",
            author="dev",
            date="2024-01-02T00:00:00Z",
            changes=[
                FileChange(
                    "added", None, "tests/test_parse.py", "@@ -0,0 +1,2 @@\n+def test_ws():\n+    pass\n"
                )
            ],
        ),
    ]
    return PullRequest(
        id=f"demo/csvlite#{number}",
        repo="demo/csvlite",
        number=number,
        title=f"Strip whitespace in parse (part {number})",
        body="Fields keep surrounding spaces.",
        author="dev",
        base_sha="b",
        snapshot_sha="s",
        head_sha="h",
        merge_sha="m",
        merge_kind="merge",
        commits=commits,
        repo_description="A tiny CSV parser",
        issue=Issue(number=3, title="parse keeps spaces", body="`parse('a, b')` gives ' b'"),
    )


def test_prompts_follow_the_paper_template():
    t = prompts.load_templates()
    pr = make_pr(1)
    summary = prompts.make_summary_prompt(pr, templates=t)
    assert summary.startswith(
        "Summarize this pull request in 1-4 clear sentences:\nRepository: demo/csvlite\n"
    )
    assert "Related Issue: parse keeps spaces\n" in summary
    assert (
        "Changed Files:\n- csvlite/parse.py\n- tests/test_parse.py\nCommits:\n## Message: fix parse\n"
        in summary
    )
    assert LONG_DIFF.rstrip("\n") in summary  # the summary prompt keeps whole patches by default
    assert summary.endswith("3. Any important implementation details?\nSummary:")
    no_issue = make_pr(1)
    no_issue.issue = None
    assert "Related Issue" not in prompts.make_summary_prompt(no_issue, templates=t)
    refine = prompts.make_refine_prompt(pr.commits[0], "S.", patch_chars=50, templates=t)
    assert "PR Context Summary: S.\nOriginal commit message: fix parse\n" in refine
    assert "File: csvlite/parse.py\n" + LONG_DIFF[:50] + prompts.TRUNCATION_NOTE + "\n" in refine
    assert refine.endswith("Refined commit message:")


def test_clean_output_strips_echo_and_caps():
    assert prompts.clean_output("Summary: Fixes X.", 100) == "Fixes X."
    assert prompts.clean_output("**Refined commit message:**\n```\nFix parse\n```", 100) == "Fix parse"
    assert prompts.clean_output("```\nFix parse\n```", 100) == "Fix parse"
    assert prompts.clean_output("Refined commit message:  Fix parse", 100) == "Fix parse"
    assert prompts.clean_output("The original commit message: Fix parse", 100) == "Fix parse"
    assert prompts.clean_output("The summary of it all: yes", 100) == "The summary of it all: yes"
    assert prompts.clean_output(" \n ", 100) is None
    assert prompts.clean_output("word " * 50, 22) == "word word word word"


@pytest.mark.slow
def test_enhance_with_embedded_model_then_rerun_hits_cache(tmp_path, embedded_checkpoint):
    # Short answers and a short diff keep three CPU generations to a few seconds each.
    specs = [
        f"cache_dir={tmp_path / 'cache'}",
        "max_summary_tokens=16",
        "max_message_tokens=8",
        "concurrency=2",
        "server_threads=1",
    ]
    cfg = make_config(EnhanceConfig, *specs)
    assert cfg.base_url is None and cfg.model == "embedded"
    first = Manifest(stage="test")
    short = LONG_DIFF[: LONG_DIFF.index(" # padding")]
    prs = list(enhance_prs([make_pr(1, short)], cfg, first))
    pr = prs[0]
    assert isinstance(pr.summary, str) and pr.summary.strip()
    for commit, original in zip(pr.commits, ["fix parse", "add test"]):
        assert commit.message == original
        assert isinstance(commit.refined_message, str) and commit.refined_message.strip()
    assert first.counts["llm_calls"] == 3 and first.counts["llm_cached"] == 0
    assert first.counts["prs_summarized"] == 1 and first.counts["commits_refined"] == 2

    # Same config: every answer comes from the cache, so no call is made and no server starts.
    second = Manifest(stage="test")
    again = next(iter(enhance_prs([make_pr(1, short)], cfg, second)))
    assert second.counts["llm_calls"] == 0 and second.counts["llm_cached"] == 3
    assert again.summary == pr.summary
    assert [c.refined_message for c in again.commits] == [c.refined_message for c in pr.commits]


def test_failed_calls_keep_originals_and_are_counted(tmp_path):
    # PR 1: summary answers, both refinements fail; PR 2: its summary fails, so refinement is skipped.
    script = [(200, chat_answer("Summary: Fixes the parser.")), (500, {"error": "overloaded"})]
    with FakeEndpoint(script) as fake:
        specs = [
            f"base_url={fake.base_url}",
            "model=fake",
            f"cache_dir={tmp_path}",
            "retries=0",
            "concurrency=1",
            "patch_chars=50",
        ]
        cfg = make_config(EnhanceConfig, *specs)
        manifest = Manifest(stage="test")
        out = list(enhance_prs([make_pr(1), make_pr(2)], cfg, manifest))
    assert [p.number for p in out] == [1, 2]
    assert out[0].summary == "Fixes the parser."
    assert out[1].summary is None
    assert all(c.refined_message is None for p in out for c in p.commits)
    assert [c.message for c in out[0].commits] == ["fix parse", "add test"]
    assert manifest.counts["llm_calls"] == 4
    assert manifest.counts["llm_failed_message"] == 2
    assert manifest.counts["llm_failed_summary"] == 1 and manifest.counts["llm_skipped_message"] == 2
    assert not manifest.drops
    refine_prompt = fake.posts[1]["messages"][0]["content"]
    assert fake.posts[1]["model"] == "fake" and fake.posts[1]["max_tokens"] == 256
    assert (
        "PR Context Summary: Fixes the parser.\n" in refine_prompt
        and prompts.TRUNCATION_NOTE in refine_prompt
    )


def test_unreachable_base_url_fails_the_stage_in_one_line(tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{find_free_port()}/v1"
    monkeypatch.setenv("AGENTMT_LLM_BASE_URL", url)  # the endpoint may come from the environment
    cfg = make_config(EnhanceConfig, f"cache_dir={tmp_path}")
    assert cfg.base_url == url
    with pytest.raises(EndpointError) as err:
        list(enhance_prs([make_pr(1)], cfg, Manifest(stage="test")))
    assert "\n" not in str(err.value) and url in str(err.value)


def test_disabled_passes_through(tmp_path):
    cfg = EnhanceConfig(enabled=False, cache_dir=tmp_path)
    manifest = Manifest(stage="test")
    pr = next(iter(enhance_prs([make_pr(1)], cfg, manifest)))
    assert pr.summary is None and not manifest.counts


def test_concurrent_run_keeps_input_order_and_stops_when_abandoned(tmp_path):
    with FakeEndpoint([(200, chat_answer("Refined commit message: Tidy things"))]) as fake:
        cfg = make_config(
            EnhanceConfig, f"base_url={fake.base_url}", f"cache_dir={tmp_path}", "concurrency=3"
        )
        manifest = Manifest(stage="test")
        out = list(enhance_prs((make_pr(n) for n in range(1, 7)), cfg, manifest))
        assert [p.number for p in out] == [1, 2, 3, 4, 5, 6]
        assert all(c.refined_message == "Tidy things" for p in out for c in p.commits)
        # Identical refinement prompts across PRs are answered once (or a few times when racing).
        assert manifest.counts["llm_calls"] + manifest.counts["llm_cached"] == 18
        assert manifest.counts["commits_refined"] == 12
        assert "model" not in fake.posts[0]  # "embedded" at a given base_url: the pinned server's model

        # A consumer that stops early must not make the stage wait for (or call on behalf of) the rest.
        gen = enhance_prs((make_pr(n) for n in range(100, 200)), cfg, Manifest(stage="test"))
        assert next(gen).number == 100
        gen.close()
        # Requests already on the wire may still land; they are all recorded once the worker threads
        # that made them have exited (a worker waits for its answer), so wait for exactly that.
        workers = [t for t in threading.enumerate() if t.name.startswith("enhance-")]
        for t in workers:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in workers), [t.name for t in workers if t.is_alive()]
        calls = len(fake.posts)
        assert calls < len(out) + 20  # a few PRs in flight, not the other 99 summaries


def test_long_prompts_get_tighter_patch_cuts_or_are_skipped(tmp_path):
    huge = "@@ -1,1 +1,1 @@\n" + "+x = 1\n" * 5000  # 35k characters: over the default prompt cap
    with FakeEndpoint([(200, chat_answer("Fine."))]) as fake:
        cfg = make_config(EnhanceConfig, f"base_url={fake.base_url}", f"cache_dir={tmp_path}")
        manifest = Manifest(stage="test")
        pr = next(iter(enhance_prs([make_pr(1, huge)], cfg, manifest)))
        assert pr.summary == "Fine." and all(c.refined_message == "Fine." for c in pr.commits)
        sizes = [len(p["messages"][0]["content"]) for p in fake.posts]
        assert max(sizes) <= cfg.max_prompt_chars
        assert prompts.TRUNCATION_NOTE in fake.posts[0]["messages"][0]["content"]  # cut to 2000 to fit

        tiny = cfg.model_copy(update={"max_prompt_chars": 100, "cache_dir": tmp_path / "other"})
        manifest = Manifest(stage="test")
        pr = next(iter(enhance_prs([make_pr(2)], tiny, manifest)))
        assert pr.summary is None and manifest.counts["llm_prompt_too_long"] == 1
        assert manifest.counts["llm_calls"] == 0 and len(fake.posts) == len(sizes)
