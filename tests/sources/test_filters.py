"""PR-level filters are pure functions of a PullRequest record."""

from __future__ import annotations

from agentmt.sources.filters import FilterConfig, changed_files, first_drop_reason, is_doc
from agentmt.types import Commit, FileChange, PullRequest


def make_pr(*paths: str, author: str = "dev", bot: bool = False, state: str = "merged",
            renamed: tuple[str, str] | None = None) -> PullRequest:
    changes = [FileChange("modified", p, p) for p in paths]
    if renamed:
        changes.append(FileChange("renamed", renamed[0], renamed[1]))
    return PullRequest(id="o/r#1", repo="o/r", number=1, title="t", body="", author=author, base_sha="b",
                       snapshot_sha="s", head_sha="h", merge_sha="m", merge_kind="merge",
                       commits=[Commit("c", "msg", author, "2024", changes=changes)], author_is_bot=bot, state=state)


PY = FilterConfig()
GEN = FilterConfig(profile="gen")


def test_py_profile_keeps_python_with_docs():
    assert first_drop_reason(make_pr("a.py", "b.pyi", "docs/x.rst", "README", "CHANGELOG.md"), PY) is None


def test_each_filter_has_its_reason():
    assert first_drop_reason(make_pr("a.py", state="closed"), PY) == "not_merged"
    assert first_drop_reason(make_pr("a.py", bot=True), PY) == "bot_author"
    assert first_drop_reason(make_pr("a.py", author="dependabot[bot]"), PY) == "bot_author"
    assert first_drop_reason(make_pr("README.md"), PY) == "too_few_python_files"
    assert first_drop_reason(make_pr(*[f"m{i}.py" for i in range(6)]), PY) == "too_many_python_files"
    assert first_drop_reason(make_pr("a.py", "app.js"), PY) == "non_python_files"
    assert first_drop_reason(make_pr("a.py", *[f"d{i}.md" for i in range(20)]), PY) == "too_many_files"


def test_gen_profile_only_checks_merged_and_bots():
    assert first_drop_reason(make_pr("app.js", *[f"m{i}.py" for i in range(30)]), GEN) is None
    assert first_drop_reason(make_pr("app.js", bot=True), GEN) == "bot_author"
    assert first_drop_reason(make_pr("app.js", state="closed"), GEN) == "not_merged"


def test_thresholds_come_from_config():
    cfg = FilterConfig(max_python_files=1)
    assert first_drop_reason(make_pr("a.py", "b.py"), cfg) == "too_many_python_files"


def test_rename_counts_once_and_docs_are_recognised():
    pr = make_pr("a.py", renamed=("old.py", "new.py"))
    assert changed_files(pr) == ["a.py", "new.py"]
    assert is_doc("docs/LICENSE", PY) and is_doc("Guide.adoc", PY) and not is_doc("setup.cfg", PY)


def test_one_bot_rule_for_git_authors_and_github_users():
    from agentmt.sources.filters import is_bot_account
    from agentmt.sources.github.queries import is_bot as is_graphql_bot
    from agentmt.sources.metadata import is_bot

    for login, kind, bot in [("dependabot[bot]", "Bot", True), ("pre-commit-ci[bot]", "", True),
                             ("renovate", "Bot", True), ("botanist", "User", False), ("Dev", "User", False),
                             ("Renovate[BOT] ", "User", True)]:
        assert is_bot_account(login, kind) is bot
        assert is_bot({"login": login, "type": kind}) is bot
        assert is_graphql_bot({"login": login, "__typename": kind}) is bot  # mine github's GraphQL actors
        pr = make_pr("a.py", author=login, bot=is_bot({"login": login, "type": kind}))
        assert (first_drop_reason(pr, GEN) == "bot_author") is bot
    assert first_drop_reason(make_pr("a.py", author="github-actions[bot]"), GEN) == "bot_author"  # git author only


def test_synthetic_merges_stay_out_of_py_unless_asked():
    pr = make_pr("a.py")
    pr.merge_kind = "synthetic"
    assert first_drop_reason(pr, PY) == "synthetic_merge"
    assert first_drop_reason(pr, FilterConfig(synthetic_in_py=True)) is None
    assert first_drop_reason(pr, GEN) is None
