"""Deduplication of rendered documents: exact (content hash) and near (MinHash LSH).

Rule: documents are judged in corpus order (input shard order, then record order) and the first
document of a cluster is kept, every later one that matches a kept document is dropped. The order
is fixed by the input, so a rerun or a resume keeps the same documents. (repo, PR) duplicates are
caught before rendering (agentmt.corpus.filters.dedup_key).

Near duplicates: word 5-gram shingles of the document's change view (`change_view`), MinHash over `num_perm` permutations, LSH bands sized for
`threshold` (see num_bands_for) in rensa (a maintained Rust MinHash; chosen over datatrove's four-stage disk pipeline and
datasketch by benchmarks/bench_dedup.py), then each LSH candidate is confirmed by its estimated
Jaccard similarity, so a band collision alone never drops a document. The index keeps one MinHash per
kept document in memory (~0.6 KB at 128 permutations); corpora beyond a few million documents per
process should run datatrove's sharded pipeline instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

WORD = re.compile(r"\w+")


def content_hash(text: str) -> str:
    """Exact-duplicate key: the document with runs of whitespace collapsed."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def change_view(text: str) -> str:
    """The part of a rendered document that says what the PR did: the document without its context
    files (py: "# Relevant Files Found" up to the last "# Edits"; gen: "# Relevant Files Context" up to
    "Response:"). Two different PRs on the same large file share most of their text, so near-duplicate
    judging over whole documents would take them for copies; a fork's or cherry-pick's copy of a PR
    shares the change itself."""
    for start, end in (("# Relevant Files Found\n", "\n# Edits\n"), ("# Relevant Files Context\n", "\nResponse:\n<pr>")):
        i = text.find(start)
        if i != -1:
            j = text.rfind(end) if end.startswith("\n# Edits") else text.find(end, i)
            if j > i:
                return text[:i] + text[j:]
    return text


def shingles(text: str, n: int = 5) -> list[str]:
    w = WORD.findall(text.lower())
    if len(w) <= n:
        return [" ".join(w)] if w else [""]
    return [" ".join(w[i:i + n]) for i in range(len(w) - n + 1)]


def num_bands_for(threshold: float, num_perm: int, recall: float = 0.99) -> int:
    """The fewest bands b (rows r = num_perm // b) under which a pair at `threshold` becomes an LSH
    candidate with probability ≥ `recall`: 1 - (1 - s^r)^b. Candidates are confirmed by their
    Jaccard estimate, so extra candidates cost a comparison each, never a wrong drop."""
    divisors = [b for b in range(1, num_perm + 1) if num_perm % b == 0]
    for b in divisors:
        if 1 - (1 - threshold ** (num_perm // b)) ** b >= recall:
            return b
    return divisors[-1]


class NearDedup:
    """Streaming near-duplicate judge: `check(texts)` returns, per text, the key it duplicates or None.

    Each text not found similar (≥ threshold estimated Jaccard) to an earlier kept one is added to the
    index under its key; texts within one call are judged in order against each other too.
    """

    def __init__(self, *, threshold: float = 0.8, num_perm: int = 128, ngram: int = 5, seed: int = 42):
        from rensa import RMinHashLSH

        self.threshold, self.num_perm, self.ngram, self.seed = threshold, num_perm, ngram, seed
        self.lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=num_bands_for(threshold, num_perm))
        self.kept: dict[int, object] = {}
        self.names: list[str] = []

    def _minhashes(self, texts: list[str]):
        from rensa import RMinHash

        return RMinHash.from_token_sets([shingles(t, self.ngram) for t in texts], self.num_perm, self.seed)

    def signatures(self, texts: list[str]) -> list:
        """MinHashes of `texts`, computed in one batched call."""
        return self._minhashes(texts)

    def match(self, m) -> str | None:
        """The key of a kept document similar to MinHash `m`, or None."""
        c = next((c for c in self.lsh.query(m) if self.kept[c].jaccard(m) >= self.threshold), None)
        return None if c is None else self.names[c]

    def insert(self, m, key: str) -> None:
        i = len(self.names)
        self.names.append(key)
        self.kept[i] = m
        self.lsh.insert(i, m)

    def check(self, texts: list[str], keys: Iterable[str]) -> list[str | None]:
        out: list[str | None] = []
        for m, key in zip(self.signatures(texts), keys):
            dup = self.match(m)
            if dup is None:
                self.insert(m, key)
            out.append(dup)
        return out

    def add(self, texts: list[str], keys: Iterable[str]) -> None:
        """Index documents known to be kept (a finished shard on resume), without judging them."""
        for m, key in zip(self.signatures(texts), keys):
            self.insert(m, key)
