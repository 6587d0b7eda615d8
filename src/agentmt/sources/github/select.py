"""`repos select`: the repositories to mine, from a list of names or from GitHub's search API by
language and stars, kept when their licence is on a permissive allowlist (as the released corpus
was). One row per kept repository: name, description, stars, language, licence, default branch.

Guarantees: names are looked up one REST request each (ETag-cached); search pages follow `Link`
until `limit` rows are kept or the results end (GitHub serves at most 1,000 results per query).
A name GitHub does not know, or a licence off the allowlist, is a counted drop, never an error.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt import io
from agentmt.config import make_config
from agentmt.errors import InputError
from agentmt.sources.github.client import Forbidden, GitHubClient, NotFound
from agentmt.sources.licenses import PERMISSIVE, license_reason

STAGE = "repos_select"


class RepoSelectConfig(BaseModel):
    """Which repositories `repos select` keeps."""

    api_url: str = "https://api.github.com"
    """REST root of the GitHub API."""
    language: str = ""
    """Search: the repository's primary language (GitHub's name, e.g. Python); empty: any."""
    min_stars: int = Field(0, ge=0)
    """Search: fewest stars."""
    limit: int = Field(100, ge=1)
    """Most rows written (search mode)."""
    licenses: list[str] = Field(default_factory=lambda: list(PERMISSIVE))
    """Allowed licences (SPDX ids or GitHub's `license.key`, any case; default: the curation's permissive
    list); empty list: any licence."""
    per_page: int = Field(100, ge=1, le=100)
    """Search results per request."""


def make_row(repo: dict) -> dict:
    lic = repo.get("license") or {}
    return {"name": str(repo.get("full_name") or ""), "description": str(repo.get("description") or ""),
            "stars": int(repo.get("stargazers_count") or 0), "language": str(repo.get("language") or ""),
            "license": str(lic.get("spdx_id") or lic.get("key") or ""),
            "default_branch": str(repo.get("default_branch") or "")}


def license_drop(repo: dict, allowed: list[str]) -> str | None:
    if not allowed:
        return None
    return license_reason(str((repo.get("license") or {}).get("key") or ""), allowed, require_known=True)


def select_repos(out_dir: str | Path, *config_specs: str, names: list[str] | None = None,
                 tokens: list[str] | None = None, clock=None) -> io.Manifest:
    """Write out_dir/repos.jsonl (+ manifest.json) from `names`, or from the search API when none."""
    from agentmt.sources.github.mine import _check_name, _env_tokens

    cfg = make_config(RepoSelectConfig, *config_specs)
    out = Path(out_dir)
    client = GitHubClient(tokens if tokens is not None else _env_tokens(), base_url=cfg.api_url, clock=clock,
                          cache_dir=out / ".github-cache")
    drops, rows = Counter(), []
    if names:
        for name in dict.fromkeys(_check_name(n) for n in names):
            try:
                repo = client.rest(f"/repos/{name}")
            except NotFound:
                drops["repo_not_found"] += 1
                continue
            except Forbidden:
                drops["repo_forbidden"] += 1
                continue
            rows, drops = _keep(repo, cfg, rows, drops)
    else:
        if not cfg.language and not cfg.min_stars:
            raise InputError("repos select needs names, or a search: pass -c language=Python and/or -c min_stars=N")
        q = " ".join(t for t in (f"language:{cfg.language}" if cfg.language else "",
                                 f"stars:>={cfg.min_stars}" if cfg.min_stars else "") if t)
        params = {"q": q, "sort": "stars", "order": "desc", "per_page": cfg.per_page}
        for page in client.rest_pages("/search/repositories", params):
            for repo in page.get("items") or []:
                rows, drops = _keep(repo, cfg, rows, drops)
                if len(rows) >= cfg.limit:
                    break
            if len(rows) >= cfg.limit:
                break
    client.close()
    io.atomic_write_text(out / "repos.jsonl", "".join(_jsonl(r) for r in rows))
    manifest = io.Manifest(stage=STAGE, config=cfg.model_dump(), inputs=list(names or []))
    manifest.counts.update({"repos_kept": len(rows), "api_requests": client.num_requests})
    manifest.drops.update(drops)
    manifest.shards = ["repos.jsonl"]
    manifest.write(out)
    return manifest


def _keep(repo: dict, cfg: RepoSelectConfig, rows: list, drops: Counter) -> tuple[list, Counter]:
    reason = license_drop(repo, cfg.licenses)
    if reason:
        drops[reason] += 1
    elif not any(r["name"] == repo.get("full_name") for r in rows):
        rows.append(make_row(repo))
    return rows, drops


def _jsonl(row: dict) -> str:
    import json

    return json.dumps(row, ensure_ascii=False) + "\n"


def read_repo_names(path: str | Path) -> list[str]:
    """Names from a `repos select` output (its folder or repos.jsonl)."""
    p = Path(path)
    p = p / "repos.jsonl" if p.is_dir() else p
    import json

    try:
        return [str(json.loads(ln)["name"]) for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{p} is not a `repos select` output ({e}): pass its folder or repos.jsonl") from None
