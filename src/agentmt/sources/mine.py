"""Stage `mine git`: PRs from a repository's history (+ metadata) → filtered Parquet shards.

Guarantees: shards hold `shard_size` kept PRs each (the last one fewer), written atomically and
marked done with the mainline position and counts they cover; a rerun on the same output folder
resumes after the last marked shard and gives exactly the shards and counts of a clean run. The
manifest (config, version, repo + ref + head sha, counts, drops by reason) is written last.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt import io
from agentmt.config import make_config
from agentmt.errors import InputError
from agentmt.sources.filters import FilterConfig, first_drop_reason
from agentmt.sources.git import GitHistorySource, count_mainline, repo_name_for
from agentmt.sources.metadata import GitHubMetadata, load_metadata
from agentmt.types import PullRequest

STAGE = "mine_git"


class MineConfig(BaseModel):
    """How `mine git` walks history and which PRs it keeps."""

    ref: str = "HEAD"
    """Branch, tag or commit whose first-parent history is mined."""
    repo_name: str = ""
    """"owner/name" recorded in each PR; empty: repo.json's full_name, else derived from the path/URL."""
    shard_size: int = Field(500, ge=1)
    """Kept PRs per Parquet shard (also the resume granularity)."""
    max_file_bytes: int = Field(1_000_000, ge=1)
    """A PR touching a file larger than this (at snapshot or head) is dropped as file_too_large."""
    batch_prs: int = Field(64, ge=1)
    """PRs whose diffs are asked of one git process (throughput only; output does not depend on it)."""
    progress: bool = True
    """Show a progress bar on stderr."""
    filters: FilterConfig = Field(default_factory=FilterConfig)
    """PR-level filters and profile (py | gen)."""


def _fingerprint(cfg: MineConfig, repo_name: str, head_sha: str, metadata_dir: str | None) -> str:
    """What an output folder's shards depend on; a resume with another fingerprint is refused."""
    data = cfg.model_dump(exclude={"progress", "batch_prs"})
    data.update(repo_name=repo_name, head_sha=head_sha, metadata=bool(metadata_dir))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _resume(out: Path, fingerprint: str) -> tuple[int, dict]:
    """(next shard index, info of the last finished shard or {})."""
    index, info = 0, {}
    while io.is_done(out, io.shard_name(index)):
        info = io.done_info(out, io.shard_name(index))
        if info.get("fingerprint") != fingerprint:
            raise InputError(f"{out} holds shards mined from another head, repo or config: "
                             "pass a new --out folder or delete this one")
        index += 1
    return index, info


def mine_git(repo: str | Path, out_dir: str | Path, *config_specs: str,
             metadata_dir: str | Path | None = None) -> io.Manifest:
    """Mine `repo` into `out_dir`; `config_specs` as for `make_config` over the built-in `mine`."""
    cfg = make_config(MineConfig, "mine", *config_specs)
    md: GitHubMetadata | None = load_metadata(metadata_dir) if metadata_dir else None
    repo_name = cfg.repo_name or (md.full_name if md else "") or repo_name_for(repo)

    src = GitHistorySource(repo, repo_name=repo_name, ref=cfg.ref, max_file_bytes=cfg.max_file_bytes,
                           batch_prs=cfg.batch_prs, screen=lambda pr, counts: _screen(pr, md, cfg.filters, counts),
                           # The py filters drop most PRs of a typical repository, so diff only the kept
                           # ones; gen keeps nearly all, where listing files first would cost more.
                           diff_after_screen=cfg.filters.profile != "gen")
    out = Path(out_dir)
    fp = _fingerprint(cfg, repo_name, src.head_sha, str(metadata_dir) if metadata_dir else None)
    shard, info = _resume(out, fp)
    src.counts.update(info.get("counts", {}))
    src.drops.update(info.get("drops", {}))

    rows: list[PullRequest] = []

    def write_shard() -> None:
        nonlocal shard, rows
        name = io.shard_name(shard)
        io.write_records(out / name, rows, PullRequest)
        # Right after a PR is yielded the counts cover the mainline up to it, so they are the resume point.
        io.mark_done(out, name, {"rows": len(rows), "position": src.counts["mainline_commits"], "fingerprint": fp,
                                 "counts": dict(src.counts), "drops": dict(src.drops)})
        shard, rows = shard + 1, []

    with _progress(cfg.progress, src) as advance:
        for _, pr in src.iter(start=info.get("position", 0), progress=advance):
            rows.append(pr)
            src.counts["prs_kept"] += 1
            if len(rows) >= cfg.shard_size:
                write_shard()
        if rows or shard == 0:  # an empty result still gets one (empty) shard, so readers find a file
            write_shard()

    manifest = io.Manifest(stage=STAGE, config=cfg.model_dump(), inputs=[str(repo)])
    manifest.counts.update(src.counts)
    manifest.drops.update(src.drops)
    if md is not None:
        manifest.drops.update(md.drops)
    manifest.shards = [io.shard_name(i) for i in range(shard)]
    manifest.extra = {"repo": str(repo), "repo_name": repo_name, "ref": cfg.ref, "head_sha": src.head_sha,
                      "metadata_dir": str(metadata_dir) if metadata_dir else None}
    manifest.write(out)
    return manifest


def encode_pr(pr: PullRequest) -> dict:
    """The Arrow row `io.write_records` stores for a PR (records.to_row_fn: compiled once per type,
    it copies only what needs converting, unlike dataclasses.asdict's deep copies)."""
    from agentmt.records import to_row_fn

    return to_row_fn(PullRequest)(pr)


def _screen(pr: PullRequest, md: GitHubMetadata | None, fcfg: FilterConfig, counts: Counter) -> str | None:
    """Metadata join + filters; reads paths, authors and messages only, never diffs (see diff_after_screen)."""
    if md is not None:
        counts["metadata_joined" if pr.number in md.pulls else "metadata_not_found"] += 1
        md.join(pr)
    return first_drop_reason(pr, fcfg)


class _progress:
    """A rich progress bar on stderr over mainline commits; yields an `advance(index)` callback."""

    def __init__(self, enabled: bool, src: GitHistorySource):
        self.enabled, self.src, self.bar = enabled, src, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        total = count_mainline(self.src.path, self.src.head_sha)
        self.bar = Progress(console=Console(stderr=True), transient=False)
        self.bar.start()
        task = self.bar.add_task("mining commits", total=total)

        def advance(index: int) -> None:
            if index % 64 == 0 or index + 1 == total:
                self.bar.update(task, completed=index + 1)

        return advance

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
