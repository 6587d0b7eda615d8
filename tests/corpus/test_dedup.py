"""Deduplication: exact content hashes, MinHash LSH near duplicates, first-of-cluster rule, in shards
(sign tables per shard, then one in-order judgement over their keys)."""

from __future__ import annotations

import random


from agentmt.corpus import dedup
from agentmt import io
from agentmt.corpus.curate import CurationConfig, Curator, make_judge
from agentmt.corpus.curate_passes import judge_shards


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


def _verdicts(shards: list[list[tuple[str, str]]], folder, cfg: CurationConfig | None = None) -> list[str | None]:
    """Per document of `shards` (in order), its drop reason through passes a and b of a curated render."""
    cfg = cfg or CurationConfig(pseudonym_salt="s")
    curator = Curator(cfg, repos=[], out_dir=folder)
    files = []
    for i, docs in enumerate(shards):
        table, _ = curator.sign_table(docs)
        files.append(folder / f"s{i}.sign.parquet")
        io.write_parquet(files[-1], table.to_pylist(), schema=table.schema)
    drops, _ = judge_shards(files, make_judge(cfg))
    at = {(d["shard"], d["row"]): d["reason"] for d in drops}
    return [at.get((i, j)) for i, docs in enumerate(shards) for j in range(len(docs))]


def test_near_duplicates_are_found_and_distinct_documents_kept(tmp_path):
    base = _docs(60)
    light = [_edit(t, 0.01, i) for i, t in enumerate(base)]  # ~0.95 Jaccard on 5-gram shingles
    heavy = [_edit(t, 0.4, i) for i, t in enumerate(base)]
    shards = [[(f"{k}{i}", t) for i, t in enumerate(docs)] for k, docs in (("b", base), ("l", light), ("h", heavy))]
    assert _verdicts(shards, tmp_path) == [None] * 60 + ["near_duplicate"] * 60 + [None] * 60


def test_duplicates_inside_one_shard_keep_the_first(tmp_path):
    (a,) = _docs(1, seed=3)
    assert _verdicts([[("x", a), ("y", _edit(a, 0.01, 1)), ("z", a)]], tmp_path) == [None, "near_duplicate",
                                                                                      "duplicate_content"]


def test_a_chain_keeps_its_ends_as_rensas_own_lsh_in_order_does(tmp_path):
    """A ~ B and B ~ C but A !~ C: B goes, C stays (it matches no kept document); a union-find
    clustering would drop C too. The reference is rensa's RMinHashLSH queried and filled in order."""
    from rensa import RMinHash, RMinHashLSH

    rng = random.Random(11)
    docs, chain = [], []
    for k in range(40):
        (a,) = _docs(1, seed=100 + k)
        words = a.split()
        b = words[:]  # 14 of 300 words changed: ~0.6 shingle Jaccard with a neighbour, ~0.35 two apart
        for i in rng.sample(range(len(words)), 14):
            b[i] = f"b{k}x{i}"
        c = b[:]
        for i in rng.sample(range(len(words)), 14):
            c[i] = f"c{k}x{i}"
        chain += [a, " ".join(b), " ".join(c)]
    docs = [(f"d{i}", t) for i, t in enumerate(chain)]
    cfg = CurationConfig(pseudonym_salt="s", near_threshold=0.5)
    got = _verdicts([docs[:50], docs[50:80], docs[80:]], tmp_path, cfg)
    lsh = RMinHashLSH(threshold=0.5, num_perm=128, num_bands=dedup.num_bands_for(0.5, 128))
    want, kept = [], {}
    for i, m in enumerate(RMinHash.from_token_sets([dedup.shingles(dedup.change_view(t)) for t in chain], 128, 42)):
        hit = any(c.jaccard(m) >= 0.5 for c in (kept[j] for j in lsh.query(m)))
        want.append("near_duplicate" if hit else None)
        if not hit:
            kept[i] = m
            lsh.insert(i, m)
    assert got == want
    assert any(w is None for w in want[2::3]) and "near_duplicate" in want[1::3]  # some chains keep both ends


def test_content_hash_ignores_whitespace_only():
    assert dedup.content_hash("a  b\n\tc") == dedup.content_hash("a b c")
    assert dedup.content_hash("a b c") != dedup.content_hash("a b d")


def test_curator_exact_then_near_across_shards(tmp_path):
    docs = _docs(20, seed=5)
    stream = [(f"d{i}", t) for i, t in enumerate(docs)]
    stream += [("dup0", docs[0]), ("near1", _edit(docs[1], 0.01, 9)), ("new", _docs(1, seed=77)[0])]
    whole = _verdicts([stream[:10], stream[10:]], tmp_path)
    assert whole[:20] == [None] * 20 and whole[-3:] == ["duplicate_content", "near_duplicate", None]
    assert _verdicts([stream], tmp_path) == whole  # shard boundaries change nothing


def test_different_prs_on_one_large_file_are_not_near_duplicates_but_a_forks_copy_is(tmp_path):
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
    assert _verdicts([docs], tmp_path) == [None, None, "near_duplicate"]
