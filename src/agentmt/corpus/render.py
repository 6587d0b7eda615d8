"""The D_ctx stage: mined PR shards → filtered, (optionally) LLM-enhanced, rendered, tokenized documents.

Input shard i maps to output shard i (`part-0000i.parquet`, possibly empty), one unit of the stage
runner (agentmt.runner): its completion marker holds that shard's counts, drops and token counts, a
rerun skips finished shards and reproduces the same bytes, and a changed config or input folder is
refused (or redone with --force). (repo, number) dedup across shards is settled before rendering, so
shards render apart, on local processes or Ray; with curation on, the corpus-wide duplicate judgement
runs as passes over every shard's keys (agentmt.corpus.curate_passes). Every py document passes the end-to-end
round-trip check (parse the text, replay its edits, compare with the head) or is dropped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentmt import io
from agentmt.config import make_config, validate_config
from agentmt.corpus import filters
from agentmt.errors import ConfigError, InputError, RecordDropped
from agentmt.types import CtxDocument, PullRequest

FORMATS = ("py", "gen")
OUTPUT_COLUMNS = ("text", "id", "repo", "pr_number", "format", "num_tokens", "base_sha", "head_sha")
MAX_ERROR_EXAMPLES = 5


class CtxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    tokenizer: str = "embedded"
    """Tokenizer for counting: "embedded" (SmolLM2) or any local HF tokenizer/checkpoint folder."""
    max_tokens: int = Field(32768, gt=0)
    """Documents with more tokens are dropped ("too_long"); the paper uses 32k."""
    max_relevant_files: int = Field(50, gt=0)
    """PRs whose snapshot shows more files are dropped ("too_many_files"); the official code caps at 50."""
    max_context_expand: int = Field(20, ge=0)
    """Lines added above and below a non-unique Search block before giving up ("ambiguous_search")."""
    max_issue_comments: int = Field(20, ge=0)
    """PRs whose linked issue has more comments are dropped ("issue_too_many_comments")."""
    decontam_repos: list[str] = Field(default_factory=lambda: list(filters.SWEBENCH_VERIFIED_REPOS))
    """Repositories whose PRs are all removed (SWE-bench Verified decontamination)."""
    batch_size: int = Field(64, gt=0)
    """Documents tokenized per batched tokenizer call."""
    progress: bool = True
    """Show progress on stderr: a bar on a terminal, else a line every $AGENTMT_PROGRESS_EVERY seconds."""
    llm: dict[str, Any] = Field(default_factory=dict)
    """Settings passed to agentmt.corpus.enhance.EnhanceConfig (py format without --no-llm only)."""
    curation: dict[str, Any] = Field(default_factory=dict)
    """Settings of agentmt.corpus.curate.CurationConfig (dedup, decontamination, licences, quality, redaction)."""


def render_document(pr: PullRequest, fmt: str, cfg: CtxConfig, counts: Counter) -> str:
    """Render one PR; py documents are round-trip checked. RecordDropped says why not."""
    if fmt == "gen":
        from agentmt.corpus.render_gen import render_gen

        return render_gen(pr, max_files=cfg.max_relevant_files)
    from agentmt.corpus.render_py import check_py_roundtrip, render_py

    text = render_py(pr, max_files=cfg.max_relevant_files, max_expand=cfg.max_context_expand)
    counts["roundtrip_checked"] += 1
    check_py_roundtrip(text, pr)
    counts["roundtrip_passed"] += 1
    return text


def read_pr_shard(path: Path):
    """PullRequests of one shard; a shard that does not hold them raises a one-line InputError."""
    try:
        for rec in io.read_records(path, PullRequest):
            if not isinstance(rec.id, str) or not isinstance(rec.commits, list):
                raise TypeError("missing id or commits")
            yield rec
    except (TypeError, KeyError, ValueError, OSError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"{path} is not a PullRequest shard ({type(e).__name__}: {str(e)[:120]}); "
                         "pass the output folder of `agentmt mine git`") from e


def render_shard(path: Path, out_path: Path, fmt: str, cfg: CtxConfig, seen: set[str], tokenizer, enhance,
                 curator=None) -> dict:
    """Process one input shard into `out_path`; return the info stored in its completion marker."""
    from agentmt.corpus.tokenize import count_tokens
    from agentmt.progress import parquet_rows, track

    shard = io.Manifest(stage="ctx_render_shard")  # collects counts/drops, enhancement's included
    keys: list[str] = []
    errors: list[str] = []

    def kept():
        # counted as read: the lazy LLM enhancement downstream pulls them, so its minutes show progress too
        for pr in track(read_pr_shard(path), f"ctx {fmt} {path.name}", total=parquet_rows(path), unit="PRs",
                        enabled=cfg.progress):
            shard.counts["input"] += 1
            key = filters.dedup_key(pr)
            reason = filters.pr_reason(pr, seen, repos=cfg.decontam_repos, max_issue_comments=cfg.max_issue_comments)
            seen.add(key)
            keys.append(key)
            if not reason and curator is not None:
                reason = curator.judge_pr(pr, shard.counts)  # redacts pr in place when it keeps it
            if reason:
                shard.drop(reason)
                continue
            yield pr

    stream = enhance(kept(), shard) if enhance else kept()
    rows: list[CtxDocument] = []
    tokens: list[int] = []
    pending: list[tuple[PullRequest, str]] = []

    def flush():
        fits = []
        for (pr, text), n in zip(pending, count_tokens(tokenizer, [t for _, t in pending])):
            tokens.append(n)
            if filters.length_reason(n, cfg.max_tokens):
                shard.drop("too_long")
                continue
            fits.append((pr, text, n))
        for pr, text, n in fits:
            rows.append(CtxDocument(text=text, id=f"{pr.id}/{fmt}", repo=pr.repo, pr_number=pr.number,
                                    format=fmt, num_tokens=n, base_sha=pr.base_sha, head_sha=pr.head_sha))
        pending.clear()

    for pr in stream:
        try:
            pending.append((pr, render_document(pr, fmt, cfg, shard.counts)))
        except RecordDropped as e:
            shard.drop(e.reason)
        except Exception as e:  # per-record boundary: one odd PR must not stop a corpus run
            shard.drop("render_error")
            if len(errors) < MAX_ERROR_EXAMPLES:
                errors.append(f"{pr.id}: {type(e).__name__}: {e}")
        if len(pending) >= cfg.batch_size:
            flush()
    flush()
    io.write_records(out_path, rows, CtxDocument)
    shard.counts["kept"] = len(rows)
    info = {"counts": dict(shard.counts), "drops": dict(shard.drops), "keys": keys, "tokens": tokens,
            "kept_tokens": sum(r.num_tokens for r in rows), "errors": errors}
    if curator is not None:  # pass a of curation: the documents' keys for the corpus-wide judgement
        from agentmt.corpus.curate_passes import sign_name

        table, info["max_leak"] = curator.sign_table([(r.id, r.text) for r in rows])
        io.write_parquet(out_path.with_name(sign_name(out_path.name)), table.to_pylist(), schema=table.schema)
        info["outputs"] = [out_path.name, sign_name(out_path.name)]
    return info


def merge_max(dicts) -> dict[str, float]:
    """Per key, the largest value over `dicts` (the corpus's leakage maxima from the shards')."""
    out: dict[str, float] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = max(v, out.get(k, 0.0))
    return out


def _curation_config(cfg: CtxConfig):
    """`cfg.curation` validated over CurationConfig's defaults; a bad key is a one-line ConfigError."""
    from agentmt.corpus.curate import CurationConfig

    return validate_config(CurationConfig, cfg.curation, "curation")


def _make_curator(cfg: CtxConfig, out_dir: Path, inputs: list[Path]):
    """The run's Curator (None when curation is off), after its corpus-wide decontamination scan."""
    from agentmt.corpus.curate import Curator

    ccfg = _curation_config(cfg)
    if not ccfg.enabled:
        return None
    curator = Curator(ccfg, repos=cfg.decontam_repos, out_dir=out_dir)
    curator.prepare(inputs, read_pr_shard)
    return curator


def _dup_keys(inputs: list[Path]) -> list[list[str]]:
    """Per input shard, its dedup keys already seen in an earlier shard (so shards render apart).

    Reads only the key columns of Parquet shards; a shard that is not PullRequest records fails here,
    in one line, before any work starts."""
    import pyarrow.parquet as pq

    seen: set[str] = set()
    out = []
    for path in inputs:
        if path.suffix == ".parquet":
            io.check_record_file(path, PullRequest)
            table = pq.read_table(path, columns=["repo", "number"])
            keys = [filters.dedup_key(SimpleNamespace(repo=r, number=n))
                    for r, n in zip(table.column("repo").to_pylist(), table.column("number").to_pylist())]
        else:
            keys = [filters.dedup_key(pr) for pr in read_pr_shard(path)]
        out.append(sorted({k for k in keys if k in seen}))
        seen.update(keys)
    return out


@functools.cache
def _tokenizer(name: str):
    from agentmt.corpus.tokenize import load_tokenizer

    return load_tokenizer(name)  # once per worker process


def _render_unit(unit, ctx) -> dict:
    """Runner unit: one input PR shard → one D_ctx shard (module level, so any executor can run it)."""
    path, dup_keys = unit.items
    cfg = CtxConfig.model_validate(ctx.shared["cfg"])
    enhance = None
    if ctx.shared.get("llm_base_url"):
        from agentmt.corpus.enhance import EnhanceConfig

        ecfg = EnhanceConfig.model_validate(cfg.llm).model_copy(update={"base_url": ctx.shared["llm_base_url"]})
        enhance = functools.partial(_enhance, ecfg=ecfg)
    return render_shard(Path(path), ctx.out_dir / unit.name, ctx.shared["format"], cfg, set(dup_keys),
                        _tokenizer(cfg.tokenizer), enhance, ctx.shared.get("curator"))


def _enhance(prs, manifest, ecfg):
    from agentmt.corpus.enhance import enhance_prs

    return enhance_prs(prs, ecfg, manifest)


@contextlib.contextmanager
def _open_llm(cfg: CtxConfig):
    """Runner setup: the LLM endpoint (a local server started here when needed), for every unit."""
    from agentmt.corpus.enhance import EnhanceConfig, open_endpoint

    ecfg = validate_config(EnhanceConfig, cfg.llm, "llm")
    if not ecfg.enabled:
        yield {}
        return
    with open_endpoint(ecfg) as url:
        yield {"llm_base_url": url}


def render_ctx(prs_dir: str | Path, out_dir: str | Path, fmt: str, *config_specs: str, no_llm: bool = False,
               executor=None, force: bool = False) -> io.Manifest:
    """Render every PR shard of `prs_dir` into D_ctx documents of format `fmt` under `out_dir`
    (input shard i → output shard i), resumable through the stage runner."""
    from agentmt.runner import StageSpec, Unit, make_manifest, run_stage

    if fmt not in FORMATS:
        raise ConfigError(f"format {fmt!r} is unknown: use one of {', '.join(FORMATS)}")
    cfg = make_config(CtxConfig, "ctx", *config_specs)
    inputs = io.shard_files(prs_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    use_llm = fmt == "py" and not no_llm  # gen documents show original messages: nothing to enhance
    recorded = {**cfg.model_dump(), "format": fmt, "llm_enabled": use_llm}
    recorded["llm"] = {k: v for k, v in cfg.llm.items() if k != "api_key"}  # never write secrets out
    recorded["curation"] = _curation_config(cfg).model_dump()  # resolved: the fingerprint sees the defaults
    if recorded["curation"]["pseudonym_salt"]:  # the salt is what makes pseudonyms irreversible: record a digest
        salt = str(recorded["curation"]["pseudonym_salt"])
        recorded["curation"]["pseudonym_salt"] = "sha256:" + hashlib.sha256(salt.encode()).hexdigest()[:12]
    dups = _dup_keys(inputs)
    curator = _make_curator(cfg, out_dir, inputs)
    spec = StageSpec(
        name="ctx_render", out_dir=out_dir, config=recorded, inputs=[prs_dir],
        units=[Unit(io.shard_name(i), (str(path), dups[i])) for i, path in enumerate(inputs)],
        process=_render_unit, shared={"cfg": cfg.model_dump(), "format": fmt, "curator": curator},
        setup=(lambda: _open_llm(cfg)) if use_llm else None,
    )
    if curator is None:
        run = run_stage(spec, executor=executor, force=force)
    else:  # the same units as passes: render + keys, the corpus-wide judgement, per-shard filtering
        from agentmt.corpus.curate_passes import run_curated

        spec, run = run_curated(spec, executor=executor, force=force)
    manifest = make_manifest(spec, run)
    manifest.inputs = [str(p) for p in inputs]
    if (Path(prs_dir) / io.MANIFEST).exists():
        src = io.read_manifest(prs_dir)
        manifest.extra["input_manifest"] = {k: src.get(k) for k in ("stage", "agentmt_version", "counts", "drops")}
    all_tokens = [n for info in run.infos for n in info["tokens"]]
    errors = [e for info in run.infos for e in info["errors"]]
    manifest.extra.update({
        "format": fmt, "tokenizer": cfg.tokenizer, "tokens": {fmt: sum(i["kept_tokens"] for i in run.infos)},
        "retention": filters.retention(all_tokens), "error_examples": errors[:MAX_ERROR_EXAMPLES],
    })
    if curator is not None:
        manifest.extra["curation"] = curator.report(merge_max(info.get("max_leak", {}) for info in run.infos))
    manifest.write(out_dir)
    return manifest
