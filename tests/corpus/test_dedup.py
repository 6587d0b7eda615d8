"""Deduplication: exact content hashes, MinHash LSH near duplicates, first-of-cluster rule, resume."""

from __future__ import annotations

import random

import pytest

from agentmt.corpus import dedup
from agentmt.corpus.curate import CurationConfig, Curator


def _docs(n: int, seed: int = 0, words: int = 300) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"tok{i}" for i in range(4000)]
    return [" ".join(rng.choices(vocab, k=words)) for _ in range(n)]


def _edit(text: str, share: float, seed: int) -> str:
    rng = random.Random(seed)
    w = text.split()
    for i in rng.sample(range(len(w)), int(len(w) * share)):
        w[i] = "changed"
    return " ".join(w)


def test_bands_give_high_recall_at_the_threshold():
    for threshold in (0.7, 0.8, 0.9):
        b = dedup.num_bands_for(threshold, 128)
        r = 128 // b
        assert 1 - (1 - threshold ** r) ** b >= 0.99


def test_near_duplicates_are_found_and_distinct_documents_kept():
    base = _docs(60)
    near = dedup.NearDedup(threshold=0.8)
    assert near.check(base, [f"b{i}" for i in range(60)]) == [None] * 60
    light = [_edit(t, 0.01, i) for i, t in enumerate(base)]  # ~0.95 Jaccard on 5-gram shingles
    found = near.check(light, [f"l{i}" for i in range(60)])
    assert found == [f"b{i}" for i in range(60)]  # each points at the first of its cluster
    heavy = [_edit(t, 0.4, i) for i, t in enumerate(base)]
    assert near.check(heavy, [f"h{i}" for i in range(60)]) == [None] * 60


def test_duplicates_inside_one_batch_keep_the_first():
    (a,) = _docs(1, seed=3)
    near = dedup.NearDedup(threshold=0.8)
    assert near.check([a, _edit(a, 0.01, 1), a], ["x", "y", "z"]) == [None, "x", "x"]


def test_content_hash_ignores_whitespace_only():
    assert dedup.content_hash("a  b\n\tc") == dedup.content_hash("a b c")
    assert dedup.content_hash("a b c") != dedup.content_hash("a b d")


@pytest.fixture
def curator(tmp_path):
    return lambda: Curator(CurationConfig(pseudonym_salt="s"), repos=[], out_dir=tmp_path)


def test_curator_exact_then_near_and_resume_gives_the_same_verdicts(curator):
    docs = _docs(20, seed=5)
    stream = [(f"d{i}", t) for i, t in enumerate(docs)]
    stream += [("dup0", docs[0]), ("near1", _edit(docs[1], 0.01, 9)), ("new", _docs(1, seed=77)[0])]
    one = curator()
    whole = one.judge_docs(stream[:10]) + one.judge_docs(stream[10:])
    assert whole[-3:] == ["duplicate_content", "near_duplicate", None]
    assert whole[:20] == [None] * 20
    # A resumed run: the first shard is finished, its kept documents re-indexed from disk.
    two = curator()
    two.resume([d for d, r in zip(stream[:10], whole[:10]) if r is None])
    assert two.judge_docs(stream[10:]) == whole[10:]


def test_different_prs_on_one_large_file_are_not_near_duplicates_but_a_forks_copy_is(curator):
    import copy

    from prfixtures import make_pr

    from agentmt.corpus.render_py import render_py

    big = "".join(f"def helper_{i}(value):\n    return value * {i} + {i * 7} - len(str(value))\n\n\n" for i in range(300))
    one = make_pr([{"core.py": big}, {"core.py": big.replace("return value * 3 +", "return value * 4 +")}], number=1)
    two = make_pr([{"core.py": big}, {"core.py": big.replace("def helper_250(value)", "def helper_250(value, x=0)")}],
                  number=2)
    two.title, two.body = "Accept x in helper_250", "Callers pass an offset now."
    fork = copy.deepcopy(one)
    fork.repo, fork.id = "forker/widgets", "forker/widgets#77"
    docs = [(p.id, render_py(p)) for p in (one, two, fork)]
    docs[2] = (docs[2][0], docs[2][1].replace("Name: acme/widgets", "Name: forker/widgets"))
    assert curator().judge_docs(docs) == [None, None, "near_duplicate"]
