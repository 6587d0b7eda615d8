"""Faults from the local GitHub: limits, 5xx, slow and truncated answers, rejected tokens. No
record is lost or duplicated, and every wait is the one GitHub asked for (on a fake clock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from github_server import demo_server, make_demo

from agentmt import io
from agentmt.sources.github.client import GitHubClient
from agentmt.sources.github.clock import FakeClock
from agentmt.sources.github.mine import mine_github
from agentmt.sources.github.tokens import NoTokenError
from agentmt.types import PullRequest


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def clean(demo, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("clean")
    clock = FakeClock()
    gh, name = demo_server(clock, demo)
    with gh:
        mine_github([name], out / "o", f"api_url={gh.url}", f"clone_dir={out / 'c'}", "filters.profile=gen",
                    tokens=["good-token"], clock=clock)
    return rows(out / "o")


def rows(folder: Path) -> dict[str, dict]:
    ids = [p.id for p in io.read_records(folder, PullRequest)]
    assert len(ids) == len(set(ids)), "a PR was written twice"
    return {p.id: p.to_dict() for p in io.read_records(folder, PullRequest)}


def run(demo, tmp_path, faults, *, tokens=("good-token",), server_tokens=None, specs=(), limit=5000, timeout=10.0):
    """Mine the demo with `faults` queued; a generous client timeout, so a loaded machine's slow
    answer is never mistaken for a fault (which would add a backoff to the fake clock)."""
    clock = FakeClock()
    gh, name = demo_server(clock, demo, tokens=server_tokens or tokens, limit=limit)
    for kind, kw in faults:
        gh.inject(kind, **kw)
    with gh:
        manifest = mine_github([name], tmp_path / "out", f"api_url={gh.url}", f"clone_dir={tmp_path / 'c'}",
                               "filters.profile=gen", "page_size=5", f"timeout_s={timeout}", *specs,
                               tokens=list(tokens), clock=clock)
    return manifest, gh, clock


@pytest.mark.parametrize("kind,kw", [
    ("rate_limit", {"times": 2, "match": "graphql:MergedPulls", "reset_in": 300}),
    ("429", {"times": 2, "match": "graphql", "retry_after": 7}),
    ("secondary", {"times": 3, "retry_after": 45}),
    ("secondary", {"times": 1, "retry_after": 0}),
    ("graphql_rate_limited", {"times": 2, "match": "graphql", "reset_in": 50}),
    ("502", {"times": 4}),
    ("truncated", {"times": 3, "match": "graphql"}),
    ("slow", {"times": 2, "match": "graphql:MergedPulls", "delay": 1.0}),
    ("502", {"times": 2, "match": "/repos/"}),
])
def test_faults_lose_and_duplicate_nothing(demo, tmp_path, clean, kind, kw):
    manifest, gh, _ = run(demo, tmp_path, [(kind, kw)], timeout=0.3 if kind == "slow" else 10.0)
    assert manifest.extra["repos"] == {"agentmt-demo/textkit": "mined"}
    assert rows(tmp_path / "out") == clean
    assert all(f.times == 0 for f in gh.faults), "every injected fault was met"


def test_primary_limit_waits_until_reset(demo, tmp_path, clean):
    manifest, gh, clock = run(demo, tmp_path, [("rate_limit", {"match": "graphql:MergedPulls", "reset_in": 900})])
    (at,) = [t for t, _, c, s in gh.log if s == 403]
    after = [t for t, _, c, s in gh.log if t > at]
    assert after and min(after) >= at + 900  # nothing was asked before the reset time
    assert 900 <= sum(clock.slept) <= 902  # and no longer than to the reset (+1 s GitHub rounding)
    assert manifest.extra["client"]["primary_limit"] == 1
    assert rows(tmp_path / "out") == clean


@pytest.mark.parametrize("kind,after,wait", [("secondary", 61, 61), ("429", 61, 61), ("secondary", 0, 60)])
def test_retry_after_is_honoured(demo, tmp_path, kind, after, wait):
    """retry-after when given, else GitHub's advice for secondary limits (a minute)."""
    _, gh, clock = run(demo, tmp_path, [(kind, {"match": "graphql:LinkedIssues", "retry_after": after})])
    (at,) = [t for t, _, c, s in gh.log if s in (403, 429)]
    assert min(t for t, _, c, s in gh.log if t > at) >= at + wait
    assert wait <= sum(clock.slept) <= wait + 1


def test_graphql_rate_limited_waits_until_reset(demo, tmp_path, clean):
    _, gh, clock = run(demo, tmp_path, [("graphql_rate_limited", {"match": "graphql:MergedPulls", "reset_in": 700})])
    assert gh.faults[0].times == 0 and 700 <= sum(clock.slept) <= 702
    assert rows(tmp_path / "out") == clean


def test_token_pool_moves_on_instead_of_waiting(demo, tmp_path, clean):
    """Two tokens with quota for half the run (plus one) cover it without a wait; one must wait for its reset."""
    _, probe, _ = run(demo, tmp_path / "probe", [])
    limit = sum(c.startswith("graphql") for c in probe.calls()) // 2 + 1
    _, gh, clock = run(demo, tmp_path, [], tokens=("tok-a", "tok-b"), limit=limit)
    assert rows(tmp_path / "out") == clean and sum(clock.slept) == 0
    assert len({label for _, label, _, s in gh.log if s == 200}) == 2
    _, _, clock1 = run(demo, tmp_path / "one", [], tokens=("tok-a",), limit=limit)
    assert sum(clock1.slept) >= 3000  # the server's window is an hour from the first request
    assert rows(tmp_path / "one" / "out") == clean


def test_giving_up_leaves_the_repository_to_a_rerun(demo, tmp_path, clean):
    manifest, _, _ = run(demo, tmp_path, [("502", {"times": 50, "match": "graphql:MergedPulls"})],
                         specs=("max_retries=2",))
    assert manifest.extra["repos"] == {"agentmt-demo/textkit": "unavailable"}
    again, _, _ = run(demo, tmp_path, [])
    assert again.extra["repos"] == {"agentmt-demo/textkit": "mined"}
    assert rows(tmp_path / "out") == clean


def test_rejected_token_stops_the_run_and_never_shows(demo, tmp_path):
    with pytest.raises(NoTokenError) as e:
        run(demo, tmp_path, [], tokens=("expired-secret-token",), server_tokens=("good-token",))
    assert "401" in str(e.value) and "expired-secret-token" not in str(e.value)
    with pytest.raises(NoTokenError):
        run(demo, tmp_path / "b", [("401", {"match": "graphql"})])
    for path in (tmp_path / "b").rglob("*"):
        if path.is_file():
            assert b"good-token" not in path.read_bytes()


def test_etag_makes_the_second_ask_a_304(demo, tmp_path):
    clock = FakeClock()
    gh, name = demo_server(clock, demo)
    with gh:
        client = GitHubClient(["good-token"], base_url=gh.url, clock=clock, cache_dir=tmp_path / "cache")
        first = client.rest(f"/repos/{name}")
        again = GitHubClient(["good-token"], base_url=gh.url, clock=clock, cache_dir=tmp_path / "cache")
        assert again.rest(f"/repos/{name}") == first
    assert [s for *_, s in gh.log] == [200, 304] and again.counts["not_modified"] == 1



def test_quotas_are_per_resource_and_secondary_limits_per_token():
    """GitHub budgets core, graphql and search apart; a secondary limit stops the token everywhere."""
    from agentmt.sources.github.tokens import TokenPool

    clock = FakeClock()
    pool = TokenPool(["a"], clock)
    pool.exhaust("a", clock.now() + 500, "core")
    assert pool.acquire("graphql") == "a" and clock.slept == []  # core at zero does not park GraphQL
    assert pool.acquire("core") == "a" and clock.slept == [501]  # core waits for its reset
    pool.block("a", clock.now() + 60)
    assert pool.acquire("graphql") == "a" and clock.slept == [501, 61]
