"""Stage `mine github`: merged PRs of repositories through the GitHub API (+ git for code) →
PullRequest shards equal to `mine git --metadata`'s records.

Guarantees: one shard per repository and page of PRs (`<owner>__<name>-<page>.parquet`), written
atomically, then marked done with the page's end cursor, PR numbers, counts and drops; a rerun
(after kill -9 too) continues after the last marked page of each repository, rewrites an unmarked
page whole and skips PR numbers already marked, so no PR is lost or duplicated. A repository that
cannot be mined (unknown, private, cannot clone) is a counted drop, never a crash; only a rejected
token (NoTokenError) stops the run. The manifest is written last, from the markers.

Each repository is one unit of the stage runner (agentmt.runner): in this process, on local worker
processes (-j N) or on a Ray cluster (--ray-address), each unit with its own client over the same
token list. The quota stays shared because GitHub reports it per token: every response's
x-ratelimit-remaining/reset updates a client's pool, and a client that meets a spent token parks it
until the reset GitHub names. On Ray the tokens reach the workers through their environment, never as
task arguments (agentmt.executors.ray swaps registered secrets out of them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt import io, secrets, settings
from agentmt.config import make_config
from agentmt.errors import GitError, InputError
from agentmt.sources.filters import FilterConfig, first_drop_reason
from agentmt.sources.github import queries as q
from agentmt.sources.github.assemble import GitReader
from agentmt.sources.github.client import Forbidden, GitHubClient, GitHubUnavailable, NotFound
from agentmt.sources.github.records import make_pull_request
from agentmt.sources.repository import mirror
from agentmt.types import PullRequest

STAGE = "mine_github"


class GitHubMineConfig(BaseModel):
    """How `mine github` talks to GitHub and which PRs it keeps."""

    api_url: str = "https://api.github.com"
    """REST root; GraphQL is `<api_url>/graphql` (GitHub Enterprise: https://HOST/api/v3 is not supported)."""
    page_size: int = Field(25, ge=1, le=100)
    """Merged PRs per GraphQL request (also the shard and resume granularity)."""
    timeout_s: float = Field(30.0, gt=0)
    """Seconds before a request counts as timed out and is retried."""
    max_retries: int = Field(8, ge=0)
    """Consecutive retries of 5xx / timeouts / broken bodies before a repository is given up."""
    max_file_bytes: int = Field(1_000_000, ge=1)
    """A PR touching a file larger than this is dropped as file_too_large (as in `mine git`)."""
    max_diff_bytes: int = Field(20_000_000, ge=1)
    """A PR whose diffs total more is dropped as diff_too_large (the API would truncate it; git does not)."""
    clone_dir: str = ""
    """Where bare git mirrors of the repositories live; empty: $AGENTMT_HOME/repos."""
    filters: FilterConfig = Field(default_factory=FilterConfig)
    """PR-level filters and profile (py | gen), as for `mine git`."""


def slug(repo: str) -> str:
    return repo.replace("/", "__")


# what only changes how GitHub is reached, never what is mined: left out of the stage fingerprint,
# so a resumed run may use another endpoint address (a mirror, a test server's new port) or patience
_TRANSPORT = ("api_url", "timeout_s", "max_retries", "clone_dir")


def mine_github(repos: list[str], out_dir: str | Path, *config_specs: str, tokens: list[str] | None = None,
                clock=None, executor=None, force: bool = False) -> io.Manifest:
    """Mine each "owner/name" in `repos` into `out_dir`, one runner unit per repository on `executor`
    (default: in this process; resumes an unfinished run, refuses another config's output unless `force`)."""
    from agentmt.runner import StageSpec, Unit, pending_units, run_stage

    cfg = make_config(GitHubMineConfig, *config_specs)
    names = list(dict.fromkeys(_check_name(r) for r in _expand(repos)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    toks = tokens if tokens is not None else _env_tokens()
    secrets.register(*toks)  # a token echoed in an error or a log line is redacted
    if not toks:
        raise InputError("mine github needs a GitHub token (GraphQL answers no anonymous request): "
                         "set GITHUB_TOKEN or pass --tokens-file")
    spec = StageSpec(name=STAGE, out_dir=out, inputs=[],
                     config={k: v for k, v in cfg.model_dump().items() if k not in _TRANSPORT},
                     units=[Unit(slug(n), n) for n in names], process=_mine_unit,
                     shared={"cfg": cfg.model_dump(), "tokens": toks, "clock": clock})
    running = {u.name for u in pending_units(spec, force)}
    run = run_stage(spec, executor=executor, force=force)
    statuses = {n: info["status"] for n, info in zip(names, run.infos)}
    # requests of this run only: a resumed run reports what the rerun cost
    ran = [info for u, info in zip(spec.units, run.infos) if u.name in running]
    client_counts = sum((Counter(i["client"]) for i in ran), Counter())
    return _write_manifest(out, statuses, cfg, sum(i["api_requests"] for i in ran), dict(client_counts))


def _mine_unit(unit, ctx) -> dict:
    """Runner unit: one repository, with its own client; an unavailable one gets no marker (retried)."""
    cfg = GitHubMineConfig.model_validate(ctx.shared["cfg"])
    secrets.register(*ctx.shared["tokens"])  # in a worker process too
    client = GitHubClient(ctx.shared["tokens"], base_url=cfg.api_url, clock=ctx.shared["clock"], timeout=cfg.timeout_s,
                          cache_dir=ctx.out_dir / ".github-cache", max_retries=cfg.max_retries)
    try:
        result = mine_repository(unit.items, ctx.out_dir, cfg, client)
    finally:
        client.close()
    page = 0
    while io.is_done(ctx.out_dir, _shard(unit.items, page)):
        page += 1
    return {"status": result["status"], "retry": result["status"] == "unavailable",
            "api_requests": client.num_requests, "client": dict(client.counts),
            "outputs": [_shard(unit.items, i) for i in range(page)]}


def _expand(repos: list[str]) -> list[str]:
    """Names, where a path to a `repos select` output stands for the names it lists."""
    from agentmt.sources.github.select import read_repo_names

    out: list[str] = []
    for r in repos:
        out += read_repo_names(r) if Path(r).exists() else [r]
    return out


def _check_name(repo: str) -> str:
    parts = repo.strip().strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise InputError(f"{repo!r} is not a repository name: pass OWNER/NAME, e.g. pallets/flask")
    return "/".join(parts)


def read_tokens_file(path: str | Path) -> list[str]:
    """One token per line (blank lines and # comments skipped)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read the tokens file {path} ({e.strerror}): pass a file with one token per line") from None
    tokens = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not tokens:
        raise InputError(f"{path} holds no token: put one GitHub token per line")
    return tokens


def _env_tokens() -> list[str]:
    token = settings.github_token()
    return [t for t in (token or "").split(",") if t.strip()]


def mine_repository(name: str, out: Path, cfg: GitHubMineConfig, client: GitHubClient) -> dict:
    """Mine one repository page by page; returns its done-marker info."""
    done = f"{slug(name)}.repo"
    if io.is_done(out, done):
        return io.done_info(out, done)
    page, info = _resume(out, name)
    counts, drops = Counter(info.get("counts", {})), Counter(info.get("drops", {}))
    status = "mined"
    try:
        repo = client.rest(f"/repos/{name}")
        name_now = str(repo.get("full_name") or name)
        try:
            path = mirror(str(repo.get("clone_url") or ""), Path(cfg.clone_dir) if cfg.clone_dir
                          else settings.home() / "repos", name_now)
        except GitError:
            raise _RepoDrop("clone_failed") from None
        reader = GitReader(path, cfg.max_file_bytes)
        roots, license_file = reader.repo_facts(str(repo.get("default_branch") or "main"))
        lic = repo.get("license") or {}  # GitHub's licence detection wins over the file, as in the metadata join
        facts = {"repo_roots": roots, "repo_license": str(lic.get("spdx_id") or lic.get("key") or license_file),
                 "repo_description": str(repo.get("description") or "")}
        try:
            _pages(name, name_now, facts, out, cfg, client, reader, page, info, counts, drops)
        finally:
            reader.close()
    except GitHubUnavailable as e:
        # retries exhausted: leave the repository unfinished (no done marker), so a rerun resumes it
        counts["repos_unavailable"] += 1
        return {"repo": name, "status": "unavailable", "detail": str(e), "counts": dict(counts), "drops": dict(drops)}
    except NotFound:
        status = "repo_not_found"  # GitHub answers 404 for unknown and for private without access
    except Forbidden:
        status = "repo_forbidden"
    except _RepoDrop as d:
        status = d.reason
    if status != "mined":
        drops[status] += 1
    result = {"repo": name, "status": status, "counts": dict(counts), "drops": dict(drops)}
    io.mark_done(out, done, result)
    return result


class _RepoDrop(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _resume(out: Path, name: str) -> tuple[int, dict]:
    """(next page, info of the last marked page with "seen": every PR number marked so far)."""
    page, info, seen = 0, {}, set()
    while io.is_done(out, _shard(name, page)):
        info = io.done_info(out, _shard(name, page))
        seen.update(info.get("numbers", []))
        page += 1
    return page, {**info, "seen": seen}


def _shard(name: str, page: int) -> str:
    return f"{slug(name)}-{page:05d}.parquet"


def _pages(name, repo, facts, out, cfg, client, reader, page, info, counts, drops) -> None:
    owner, short = name.split("/")
    cursor, seen = info.get("cursor"), set(info["seen"])
    while True:
        result = client.graphql(q.MERGED_PULLS, {"owner": owner, "name": short, "first": cfg.page_size,
                                                 "after": cursor})
        data = (result.get("data") or {}).get("repository")
        if data is None:
            raise _RepoDrop(_graphql_reason(result))
        # what GitHub charged (points of its 5,000/hour GraphQL budget), for the cost estimate
        counts["graphql_points"] += int(((result.get("data") or {}).get("rateLimit") or {}).get("cost") or 0)
        conn = data["pullRequests"]
        numbers: list[int] = []
        fresh = []
        for node in conn["nodes"]:
            number = int(node["number"])
            if number in seen:
                counts["prs_already_mined"] += 1
                continue
            counts["prs_seen"] += 1
            numbers.append(number)
            if not (node.get("mergeCommit") or {}).get("oid"):
                drops["no_merge_commit"] += 1
            else:
                fresh.append(node)
        sides = reader.sides([n["mergeCommit"]["oid"] for n in fresh])
        if reader.fetched:
            counts["merge_commits_fetched"] += reader.fetched
            reader.fetched = 0
        screened = []
        for node in fresh:
            outcome = _one(node, sides[node["mergeCommit"]["oid"]], repo, facts, cfg, client, owner, short, counts)
            if isinstance(outcome, str):
                drops[outcome] += 1
            else:
                screened.append(outcome)
        kept: list[PullRequest] = []
        for (pr, _), reason in zip(screened, reader.add_files(screened)):
            if reason:
                drops[reason] += 1
            else:
                kept.append(pr)
        _add_issues(kept, client, owner, short, counts)
        counts["prs_kept"] += len(kept)
        seen.update(numbers)
        cursor = conn["pageInfo"]["endCursor"] or cursor
        name_ = _shard(name, page)
        _write_shard(out / name_, kept)
        io.mark_done(out, name_, {"cursor": cursor, "numbers": numbers,
                                  "rows": len(kept), "counts": dict(counts), "drops": dict(drops)})
        page += 1
        if not conn["pageInfo"]["hasNextPage"]:
            return


def _write_shard(path: Path, prs: list[PullRequest]) -> None:
    if hasattr(io, "write_records"):  # typed Arrow shards (the foundation's io)
        io.write_records(path, prs, PullRequest)
    else:
        io.write_parquet(path, [io.encode_record(p, columns=("id", "repo", "number")) for p in prs])


def _graphql_reason(result: dict) -> str:
    types = {e.get("type") for e in result.get("errors") or [] if isinstance(e, dict)}
    if "NOT_FOUND" in types:
        return "repo_not_found"
    if "FORBIDDEN" in types:
        return "repo_forbidden"
    return "graphql_error"


def _one(node, side, repo, facts, cfg, client, owner, short, counts):
    """One PR node + its git side → (record without files, its git commits), or a drop reason;
    the filters run before any file content is read."""
    if isinstance(side, str):
        return side
    _complete(node, client, owner, short)
    pr = make_pull_request(node, side, repo, facts, counts)
    reason = first_drop_reason(pr, cfg.filters)
    if reason:
        return reason
    if sum(len(ch.diff) for c in pr.commits for ch in c.changes) > cfg.max_diff_bytes:
        return "diff_too_large"
    return pr, side.logged


def _complete(node: dict, client: GitHubClient, owner: str, short: str) -> None:
    """Fetch the rest of a PR's comments and reviews when their first page was not all."""
    for kind, conn in (("pr_comments", "comments"), ("pr_reviews", "reviews")):
        _more(node[conn], kind, int(node["number"]), client, owner, short)


def _more(conn: dict, kind: str, number: int, client, owner, short) -> None:
    obj, field, _ = q.MORE[kind]
    while conn["pageInfo"]["hasNextPage"]:
        got = client.graphql(q.make_more_query(kind), {"owner": owner, "name": short, "number": number,
                                                       "after": conn["pageInfo"]["endCursor"]})
        nxt = ((((got.get("data") or {}).get("repository") or {}).get(obj)) or {}).get(field)
        if not nxt:
            return
        conn["nodes"] = conn["nodes"] + nxt["nodes"]
        conn["pageInfo"] = nxt["pageInfo"]


def _add_issues(prs: list[PullRequest], client: GitHubClient, owner: str, short: str, counts: Counter) -> None:
    """The first linked number of each PR that is an issue (not a PR), with its comments: one request."""
    wanted = sorted({n for pr in prs for n in pr.linked_issues})
    if not wanted:
        return
    result = client.graphql(q.make_issues_query(wanted), {"owner": owner, "name": short})
    data = (result.get("data") or {}).get("repository") or {}
    issues = {}
    for n in wanted:
        node = data.get(f"i{n}")
        if not node or node.get("__typename") != "Issue":
            counts["linked_number_not_an_issue" if node else "linked_issue_not_found"] += 1
            continue
        _more(node["comments"], "issue_comments", n, client, owner, short)
        issues[n] = q.make_issue(node, [q.make_comment(c) for c in node["comments"]["nodes"]])
    for pr in prs:
        pr.issue = next((issues[n] for n in pr.linked_issues if n in issues), None)


def _write_manifest(out: Path, statuses: dict[str, str], cfg, requests: int, client_counts: dict) -> io.Manifest:
    """From the markers, so a resumed run reports the counts of a clean one; `statuses` per repository
    ("unavailable" ones have no done marker and are mined again by a rerun)."""
    manifest = io.Manifest(stage=STAGE, config=cfg.model_dump(), inputs=list(statuses))
    repos = dict(statuses)
    for name in statuses:
        info = io.done_info(out, f"{slug(name)}.repo") if io.is_done(out, f"{slug(name)}.repo") else {}
        manifest.counts.update(info.get("counts", {}))
        manifest.drops.update(info.get("drops", {}))
        page = 0
        while io.is_done(out, _shard(name, page)):
            manifest.shards.append(_shard(name, page))
            page += 1
    manifest.counts["repos_mined"] = sum(s == "mined" for s in repos.values())
    # requests of this run only: a resumed run reports what the rerun cost
    manifest.extra = {"repos": repos, "api_requests": requests, "client": client_counts}
    manifest.write(out)
    return manifest
