"""`mine github --executor ray`: one Ray task per repository (agentmt.executors.ray).

Each task has its own client over the same token list. The quota stays shared because GitHub
reports it per token: every response's x-ratelimit-remaining/reset updates the task's pool, and a
task that meets a spent token parks it until the reset GitHub names. Tasks write their shards and
markers into the shared output folder themselves, so a killed cluster resumes like a local run.
The tokens reach the workers through their environment (Ray's runtime_env), never as task arguments,
which Ray keeps in its object store and shows in its task listings.
"""

from __future__ import annotations

import os
from pathlib import Path

TOKENS_ENV = "AGENTMT_GITHUB_TOKENS"  # newline-separated, set only in the mining workers' environment


def mine_one(name: str, out: str, cfg_data: dict) -> tuple[str, int, dict]:
    """(status, API requests, client counts) of one repository, run inside a Ray worker."""
    from agentmt import secrets
    from agentmt.sources.github.client import GitHubClient
    from agentmt.sources.github.mine import GitHubMineConfig, mine_repository

    cfg = GitHubMineConfig.model_validate(cfg_data)
    tokens = os.environ.get(TOKENS_ENV, "").split("\n")
    secrets.register(*tokens)
    client = GitHubClient(tokens, base_url=cfg.api_url, timeout=cfg.timeout_s, cache_dir=Path(out) / ".github-cache",
                          max_retries=cfg.max_retries)
    try:
        status = mine_repository(name, Path(out), cfg, client)["status"]
    finally:
        client.close()
    return status, client.num_requests, dict(client.counts)


def run_on_ray(names: list[str], out: Path, cfg, tokens: list[str],
               address: str | None = None) -> tuple[dict[str, str], int, dict]:
    from collections import Counter

    from agentmt.executors.ray import RayExecutor

    jobs = max(1, min(len(names), os.cpu_count() or 1))
    statuses: dict[str, str] = {}
    requests, counts = 0, Counter()
    args = [(n, str(out), cfg.model_dump()) for n in names]
    env = {TOKENS_ENV: "\n".join(tokens)}
    for i, (status, num, c) in RayExecutor(address, jobs=jobs).map(mine_one, args, env=env):
        statuses[names[i]] = status
        requests += num
        counts.update(c)
    return {n: statuses[n] for n in names}, requests, dict(counts)
