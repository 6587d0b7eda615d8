"""Stage `mine git`: PRs from a repository's history (+ metadata) → filtered Parquet shards.

Guarantees: shards hold `shard_size` kept PRs each (the last one fewer), written atomically and
marked done with the walk position and counts they cover; the repository is one unit of the stage
runner (agentmt.runner), so a rerun on the same output folder resumes after the last marked shard and
gives exactly the shards and counts of a clean run, and another config, head or metadata is refused
unless --force. The manifest (config, version, repo + ref + head sha, counts, drops by reason) is
written last.
"""

from __future__ import annotations

import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt import io
from agentmt.config import make_config
from agentmt.sources.filters import FilterConfig, first_drop_reason
from agentmt.sources.git import GitHistorySource, count_mainline, repo_name_for
from agentmt.sources.metadata import GitHubMetadata, load_metadata
from agentmt.types import PullRequest

STAGE = "mine_git"


class MineConfig(BaseModel):
    """How `mine git` walks history and which PRs it keeps."""

    ref: str = "HEAD"
    """Branch, tag or commit whose history is mined (PRs on and off its first-parent chain)."""
    repo_name: str = ""
    """"owner/name" recorded in each PR; empty: repo.json's full_name, else the origin remote's (or the
    clone URL's) owner/name, else unknown (recorded as "", with a warning)."""
    synthetic: bool = False
    """Also record merges that are not PRs ("Merge branch 'x'") as merge_kind "synthetic"; the py
    profile still drops them unless filters.synthetic_in_py."""
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


def _source(repo: str, repo_name: str, cfg: MineConfig, md: GitHubMetadata | None) -> GitHistorySource:
    return GitHistorySource(repo, repo_name=repo_name, ref=cfg.ref, max_file_bytes=cfg.max_file_bytes,
                            batch_prs=cfg.batch_prs, screen=lambda pr, counts: _screen(pr, md, cfg.filters, counts),
                            # The py filters drop most PRs of a typical repository, so diff only the kept
                            # ones; gen keeps nearly all, where listing files first would cost more.
                            diff_after_screen=cfg.filters.profile != "gen", synthetic=cfg.synthetic)


def _mine_unit(unit, ctx) -> dict:
    """Runner unit: one repository → its PR shards, each with a part marker holding the walk's
    position and counts, so a killed run resumes after the last finished shard."""
    cfg = MineConfig.model_validate(unit.items["cfg"])
    metadata_dir = unit.items["metadata_dir"]
    md = load_metadata(metadata_dir) if metadata_dir else None
    src = _source(unit.items["repo"], unit.items["repo_name"], cfg, md)
    out = ctx.out_dir
    shard, info = 0, {}
    while (part := ctx.part_done(io.shard_name(shard))) is not None:
        shard, info = shard + 1, part
    src.counts.update(info.get("counts", {}))
    src.drops.update(info.get("drops", {}))
    rows: list[PullRequest] = []

    def write_shard() -> None:
        nonlocal shard, rows
        name = io.shard_name(shard)
        io.write_records(out / name, rows, PullRequest)
        # Right after a PR is yielded the counts cover the walk up to it, so they are the resume point.
        ctx.mark_part(name, {"rows": len(rows), "position": list(src.position),
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
    shards = [io.shard_name(i) for i in range(shard)]
    drops = Counter(src.drops) + Counter(md.drops if md is not None else {})
    return {"counts": dict(src.counts), "drops": dict(drops), "shards": shards, "outputs": shards}


def mine_git(repo: str | Path, out_dir: str | Path, *config_specs: str,
             metadata_dir: str | Path | None = None, executor=None, force: bool = False) -> io.Manifest:
    """Mine `repo` into `out_dir`; `config_specs` as for `make_config` over the built-in `mine`.

    One unit of the stage runner: the fingerprint covers the config (not progress or batch_prs, which
    do not change the output), the repository's head sha and name, and the metadata files' content."""
    from agentmt.runner import StageSpec, Unit, make_manifest, run_stage

    cfg = make_config(MineConfig, "mine", *config_specs)
    md: GitHubMetadata | None = load_metadata(metadata_dir) if metadata_dir else None
    repo_name = cfg.repo_name or (md.full_name if md else "") or repo_name_for(repo)
    head_sha = _source(str(repo), repo_name, cfg, md).head_sha  # a bad repo or ref fails here, in one line
    if not repo_name:
        # Unknown rather than a made-up "local/<folder>": name-based decontamination must not be fooled.
        warnings.warn(f"cannot tell which repository {repo} is (no repo.json, no origin remote): its PRs are "
                      "recorded with repo \"\"; pass -c repo_name=owner/name", UserWarning, stacklevel=2)
    md_arg = str(metadata_dir) if metadata_dir else None
    spec = StageSpec(name=STAGE, out_dir=Path(out_dir), config=cfg.model_dump(exclude={"progress", "batch_prs"}),
                     inputs=[metadata_dir] if metadata_dir else [],
                     identity={"repo_name": repo_name, "head_sha": head_sha},
                     units=[Unit("repo", {"repo": str(repo), "repo_name": repo_name, "metadata_dir": md_arg,
                                          "cfg": cfg.model_dump()})],
                     process=_mine_unit)
    run = run_stage(spec, executor=executor, force=force)
    manifest = make_manifest(spec, run, shards=run.infos[0]["shards"])
    manifest.config = cfg.model_dump()
    manifest.inputs = [str(repo)]
    manifest.extra.update({"repo": str(repo), "repo_name": repo_name, "ref": cfg.ref, "head_sha": head_sha,
                           "metadata_dir": md_arg})
    manifest.write(out_dir)
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


@contextmanager
def _progress(enabled: bool, src: GitHistorySource):
    """Progress over mainline commits (agentmt.progress); yields an `advance(index)` callback, or None."""
    if not enabled:
        yield None
        return
    from agentmt.progress import progress

    total = count_mainline(src.path, src.head_sha)
    with progress("mining commits", total, unit="commits") as advance:
        shown = [0]

        def to_index(index: int) -> None:
            advance(index + 1 - shown[0])
            shown[0] = index + 1

        yield to_index
