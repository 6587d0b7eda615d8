"""The curation test corpus: the demo's mined PRs plus one planted PR per curation drop reason, in
two shards; `spread=True` adds forks whose duplicates cross shards both ways (for the sharded passes)."""

from __future__ import annotations

import copy
from pathlib import Path

from prfixtures import make_pr

from agentmt import io
from agentmt.types import PullRequest


def _fork(pr: PullRequest, owner: str, number: int, root: str) -> PullRequest:
    """A fork's copy of a PR: the same change in another repository (another root commit)."""
    fork = copy.deepcopy(pr)
    fork.repo, fork.id, fork.repo_roots = f"{owner}/textkit", f"{owner}/textkit#{number}", [root * 40]
    return fork


def build_curation_corpus(root: Path, *, spread: bool = False) -> Path:
    """Mine the demo under `root` and write the corpus's PR shards to `root/prs` (returned)."""
    from agentmt.sources.demo.build import build_demo
    from agentmt.sources.mine import mine_git

    demo = build_demo(root / "demo")
    mine_git(demo.repo_path, root / "mined", metadata_dir=demo.metadata_dir)
    prs = list(io.read_records(root / "mined", PullRequest))
    fork = _fork(prs[2], "forker", 900, "e")
    gpl = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}], number=901, repo_license="GPL-3.0")
    fmt = make_pr([{"a.py": "x=1\n"}, {"a.py": "x = 1\n"}], number=902)
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE" + "Q" * 60 + "\n-----END RSA PRIVATE KEY-----\n"
    pem = make_pr([{"k.py": "K = ''\n"}, {"k.py": f"K = '''\n{key}'''\n"}], number=903)
    lock = make_pr([{"uv.lock": "a\n"}, {"uv.lock": "b\n"}], number=904)
    shards = [prs[:10], prs[10:] + [fork, gpl, fmt, pem, lock]]
    if spread:  # a fork of a later shard's PR in the first shard (it is kept, the original dropped), one twice
        shards[0] += [_fork(prs[12], "early", 905, "d"), _fork(prs[12], "copier", 906, "c"),
                      _fork(prs[5], "samefile", 907, "b")]
        shards.append([_fork(prs[2], "late", 908, "a"), _fork(prs[7], "late", 909, "a")])
    for i, shard in enumerate(shards):
        io.write_records(root / "prs" / io.shard_name(i), shard, PullRequest)
    return root / "prs"
