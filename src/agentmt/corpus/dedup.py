"""Deduplication of rendered documents: exact (content hash) and near (MinHash LSH), in shards.

Rule: documents are judged in corpus order (input shard order, then record order) and the first
document of a cluster is kept, every later one that matches a *kept* document is dropped (a chain
A~B~C with A not ~ C keeps A and C). The order is fixed by the input, so a rerun, a resume and any
number of workers keep the same documents. (repo, PR) duplicates are caught before rendering
(agentmt.corpus.filters.dedup_key).

Near duplicates: word 5-gram shingles of the document's change view (`change_view`), MinHash over
`num_perm` permutations in rensa (a maintained Rust MinHash), LSH bands sized for `threshold`
(num_bands_for; contiguous slices of the signature, as rensa's own RMinHashLSH bands them), and each
band candidate confirmed by its estimated Jaccard, so a band collision alone never drops a document.

Spread over workers in three passes (agentmt.corpus.curate_passes): per shard, `sign_table` writes
each document's exact hash, leak verdict and LSH bands (pass a); one pass reads only those small
columns, band by band, keeps the documents that share a key with another (`shared_positions`), and
runs the in-order rule over them alone (`judge_shards`, pass b): a document sharing no key can neither
match nor be matched; per shard the drops are applied (pass c). datatrove's MinHash steps were not
used: they keep one document per union-find component, which is not this rule (A and C above).
"""

from __future__ import annotations

import hashlib
import re

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


def signatures(texts: list[str], *, num_perm: int, ngram: int = 5, seed: int = 42):
    """MinHash signatures of `texts` (uint32 array, one row each), computed in one batched call."""
    import numpy as np
    from rensa import RMinHash

    ms = RMinHash.from_token_sets([shingles(t, ngram) for t in texts], num_perm, seed)
    return np.array([m.digest() for m in ms], dtype=np.uint32).reshape(len(texts), num_perm)


def band_columns(sigs, num_bands: int) -> dict[str, list[bytes]]:
    """The LSH band keys of signatures as Parquet-ready columns: band j is the bytes of slice j."""
    n, num_perm = sigs.shape
    bands = sigs.astype("<u4").reshape(n, num_bands, num_perm // num_bands)  # little-endian on any node
    return {band_name(j): [bands[i, j].tobytes() for i in range(n)] for j in range(num_bands)}


def band_name(j: int) -> str:
    return f"band_{j:03d}"


def shared_positions(column) -> set[int]:
    """Positions (in a pyarrow ChunkedArray) of the values that occur more than once."""
    import numpy as np
    import pyarrow.compute as pc

    counts = pc.value_counts(column)
    shared = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if not len(shared):
        return set()
    return set(np.flatnonzero(pc.is_in(column, value_set=shared).to_numpy(zero_copy_only=False)).tolist())


class InOrderJudge:
    """The module's rule over documents fed in corpus order: `judge` returns the drop reason or None.
    Only kept documents join the indexes; a leak (ngram_leak) is judged after the exact check, as ever."""

    def __init__(self, *, threshold: float, num_perm: int, exact: bool, near: bool):
        self.threshold, self.num_perm, self.exact, self.near = threshold, num_perm, exact, near
        self.num_bands = num_bands_for(threshold, num_perm)
        self.hashes: set[str] = set()
        self.buckets: list[dict[bytes, list[int]]] = [{} for _ in range(self.num_bands)]
        self.kept: list = []  # signatures of kept documents, indexed by the buckets

    def judge(self, h: str, leak: bool, bands: list[bytes] | None) -> str | None:
        import numpy as np

        if self.exact and h in self.hashes:
            return "duplicate_content"
        if leak:
            return "ngram_leak"
        sig = np.frombuffer(b"".join(bands), dtype="<u4") if self.near and bands else None
        if sig is not None:
            seen: set[int] = set()
            for j, key in enumerate(bands):
                for k in self.buckets[j].get(key, ()):
                    if k not in seen:
                        seen.add(k)
                        # rensa's estimate: the share of equal slots, compared as it does
                        if int((self.kept[k] == sig).sum()) / self.num_perm >= self.threshold:
                            return "near_duplicate"
        if self.exact:
            self.hashes.add(h)
        if sig is not None:
            for j, key in enumerate(bands):
                self.buckets[j].setdefault(key, []).append(len(self.kept))
            self.kept.append(sig)
        return None
