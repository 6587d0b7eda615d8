"""The curation steps of `ctx render`, in order, each counting its drops by reason.

Before rendering (per PullRequest, in place): SWE-bench repository and instance decontamination,
licence allowlist, quality (file removal, formatting-only PRs), private keys (drop), then privacy
redaction (pseudonyms, secret placeholders). Redaction comes before rendering and treats snapshot,
head and diffs line by line alike, so py documents still replay to the head. After rendering (per
document, in corpus order): exact content duplicates, 13-gram leakage, near duplicates.

`Curator` holds no state that grows with the corpus: per shard it judges PRs and writes each rendered
document's keys (`sign_table`: exact hash, leak verdict and leakage maxima, LSH bands); the in-order
judgement over those keys (agentmt.corpus.dedup.InOrderJudge) runs once for the whole corpus
(agentmt.corpus.curate_passes), so shards render on any number of workers and keep the same documents.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentmt.corpus import decontam, dedup, quality, redact
from agentmt.corpus.secrets import has_private_key
from agentmt.sources import licenses
from agentmt.types import PullRequest

SALT_FILE = ".pseudonym_salt"


class CurationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    """Run the curation steps (off: only the paper's filters in agentmt.corpus.filters)."""
    exact_content: bool = True
    """Drop documents whose whitespace-normalised text was already kept ("duplicate_content")."""
    near_dedup: bool = True
    """Drop near duplicates by MinHash LSH ("near_duplicate"); the first of a cluster is kept."""
    near_threshold: float = Field(0.8, gt=0, lt=1)
    """Estimated Jaccard similarity of word 5-gram shingles at or above which documents are duplicates."""
    num_perm: int = Field(128, ge=16, le=1024)
    """MinHash permutations."""
    decontam_content: bool = True
    """Repository decontamination by root commit and SWE-bench base commit, not only by name."""
    instances_file: str = ""
    """SWE-bench-format JSON/JSONL/Parquet with patches and problem statements (patch and n-gram levels);
    empty: the shipped ids, base commits and descriptions."""
    ngram: int = Field(13, ge=3, le=64)
    """N-gram size for leakage (spec App. D: 13)."""
    ngram_threshold: float = Field(0.10, gt=0, le=1)
    """Leakage |G_e ∩ G_x| / |G_e| at or above which an instance counts as leaked into a document."""
    ngram_action: Literal["drop", "report"] = "drop"
    """drop: remove the training document ("ngram_leak"); report: keep it, list the instance to exclude."""
    licenses: list[str] = Field(default_factory=lambda: list(licenses.PERMISSIVE))
    """SPDX ids allowed (the released corpus kept permissive licences only); empty list: no licence filter."""
    require_license: bool = False
    """Drop repositories whose licence is unknown ("license_unknown"); off, they are kept and counted."""
    quality: bool = True
    """Remove lock, vendored, generated, minified and oversized files; drop formatting-only PRs."""
    max_file_bytes: int = Field(262144, gt=0)
    """Files larger than this (snapshot or head) are removed ("file_too_large")."""
    redact_identities: bool = True
    """Replace logins, names and emails by per-document pseudonyms (bots keep their names)."""
    redact_secrets: bool = True
    """Replace API keys, tokens, passwords by typed placeholders; drop PRs holding private keys."""
    pseudonym_salt: str = ""
    """Secret salt of the pseudonyms; empty: AGENTMT_PSEUDONYM_SALT, else a random salt kept in the output folder."""


def make_salt(cfg: CurationConfig, out_dir: Path) -> str:
    """The configured salt, the environment's, or one made once per output folder (kept out of the manifest)."""
    if cfg.pseudonym_salt:
        return cfg.pseudonym_salt
    if os.environ.get("AGENTMT_PSEUDONYM_SALT"):
        return os.environ["AGENTMT_PSEUDONYM_SALT"]
    path = out_dir / SALT_FILE
    if not path.exists():
        from agentmt import io

        io.atomic_write_text(path, pysecrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def make_judge(cfg: CurationConfig) -> dedup.InOrderJudge:
    """The in-order duplicate judge (pass b of a curated render), as `cfg` configures it."""
    return dedup.InOrderJudge(threshold=cfg.near_threshold, num_perm=cfg.num_perm, exact=cfg.exact_content,
                              near=cfg.near_dedup)


def pr_patch(pr: PullRequest) -> str:
    return "\n".join(ch.diff for c in pr.commits for ch in c.changes if ch.diff)


class Curator:
    """Judges and transforms records for one `ctx render` run (see the module docstring)."""

    def __init__(self, cfg: CurationConfig, *, repos: list[str], out_dir: Path):
        self.cfg = cfg
        self.index = decontam.build_index(decontam.load_instances(cfg.instances_file or None), repos=repos,
                                          ngram=cfg.ngram)
        self.contaminated: set[str] = set()
        self.salt = make_salt(cfg, out_dir) if cfg.redact_identities else ""

    def prepare(self, paths: list[Path], read_shard) -> None:
        """Scan the corpus once for repositories holding a SWE-bench base commit (before any shard)."""
        if self.cfg.decontam_content:
            self.contaminated = decontam.contaminated_repos(
                (pr for path in paths for pr in _light_prs(path, read_shard)), self.index)

    def judge_pr(self, pr: PullRequest, counts: Counter) -> str | None:
        """Pre-render: the drop reason, or None after redacting `pr` in place."""
        cfg = self.cfg
        reason = decontam.repo_reason(pr, self.index, self.contaminated, by_content=cfg.decontam_content)
        reason = reason or decontam.instance_reason(pr, self.index, pr_patch(pr) if self.index.patch_lines else "")
        if reason:
            return reason
        if cfg.licenses:
            reason = licenses.license_reason(pr.repo_license, cfg.licenses, cfg.require_license)
            if reason:
                return reason
            if not licenses.normalize_license(pr.repo_license):
                counts["license_unknown_kept"] += 1
        if cfg.quality:
            reason = quality.drop_files(pr, cfg.max_file_bytes, counts)
            if reason:
                return reason
        if cfg.redact_secrets and _holds_private_key(pr):
            return "private_key"
        if cfg.redact_identities or cfg.redact_secrets:
            found = redact.redact_pr(pr, salt=self.salt, identities=cfg.redact_identities,
                                     secret_values=cfg.redact_secrets)
            counts.update({f"secret_{k}" if k != "identity_pseudonymized" else k: v for k, v in found.items()})
        return None

    def sign_table(self, docs: list[tuple[str, str]]):
        """Pass a of the post-render steps, for one shard's (id, text) documents in order: a table of
        id, exact hash, leak verdict and LSH band keys, and the shard's leakage maxima per instance
        (every document's, dropped ones included)."""
        import pyarrow as pa

        cfg = self.cfg
        max_leak: dict[str, float] = {}
        leaks = []
        for _, text in docs:
            hit = False
            for k, ratio in decontam.leakage(text, self.index, cfg.ngram).items():
                iid = self.index.ids[k]
                max_leak[iid] = max(ratio, max_leak.get(iid, 0.0))
                hit |= ratio >= cfg.ngram_threshold
            leaks.append(hit and cfg.ngram_action == "drop")
        cols = {"id": pa.array([d for d, _ in docs], pa.string()),
                "hash": pa.array([dedup.content_hash(t) if cfg.exact_content else "" for _, t in docs], pa.string()),
                "leak": pa.array(leaks, pa.bool_())}
        if cfg.near_dedup:
            import numpy as np

            num_bands = dedup.num_bands_for(cfg.near_threshold, cfg.num_perm)
            sigs = (dedup.signatures([dedup.change_view(t) for _, t in docs], num_perm=cfg.num_perm) if docs
                    else np.zeros((0, cfg.num_perm), np.uint32))
            width = cfg.num_perm // num_bands * 4
            cols |= {k: pa.array(v, pa.binary(width)) for k, v in dedup.band_columns(sigs, num_bands).items()}
        return pa.table(cols), max_leak

    def report(self, max_leak: dict[str, float]) -> dict:
        """What the manifest records: instances reaching the threshold (to exclude from evaluation), from
        the corpus's leakage maxima per instance."""
        flagged = sorted(i for i, r in max_leak.items() if r >= self.cfg.ngram_threshold)
        top = sorted(max_leak.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        c = self.cfg
        steps = ["decontam_repo_name", "decontam_repo_content" if c.decontam_content else "", "decontam_instance",
                 "license" if c.licenses else "", "quality" if c.quality else "",
                 "redact_secrets" if c.redact_secrets else "", "redact_identities" if c.redact_identities else "",
                 "exact_content" if c.exact_content else "", "decontam_ngram", "near_dedup" if c.near_dedup else ""]
        return {"steps": [s for s in steps if s], "ngram_threshold": self.cfg.ngram_threshold, "ngram_action": self.cfg.ngram_action,
                "eval_instances_to_exclude": flagged, "max_leakage_top": {k: round(v, 4) for k, v in top},
                "contaminated_repos": sorted(self.contaminated)}


LIGHT_COLUMNS = ("repo", "repo_roots", "base_sha", "snapshot_sha", "head_sha", "merge_sha")


def _light_prs(path: Path, read_shard):
    """The fields the repository scan needs, read as columns from Parquet (no file contents), else records."""
    from types import SimpleNamespace

    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if set(LIGHT_COLUMNS) <= set(pq.read_schema(path).names):
            for row in pq.read_table(path, columns=list(LIGHT_COLUMNS)).to_pylist():
                yield SimpleNamespace(**row, commits=[])
            return
    yield from read_shard(path)


def _holds_private_key(pr: PullRequest) -> bool:
    texts = [pr.body, *(c.message for c in pr.commits), *(f.content for f in (*pr.relevant_files, *pr.head_files)),
             *(ch.diff for c in pr.commits for ch in c.changes), *(c.body for c in (*pr.comments, *pr.review_comments))]
    return any(has_private_key(t) for t in texts)
