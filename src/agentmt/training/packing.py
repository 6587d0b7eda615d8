"""Pack tokenized documents into fixed-length sequences with no attention across documents.

Guarantees:
- documents are laid end to end in the given order, each followed by EOS; nothing is truncated;
- split rule: a document that crosses a pack boundary is cut there and its remainder starts the next
  pack (a document longer than a pack spans several); each piece is its own attention block;
- position ids restart at 0 for every piece; the collator (boundaries.py) turns those restarts into
  an explicit block-diagonal mask (SDPA/eager) or varlen boundaries (flash);
- the first token of every piece has label -100: the position before it belongs to another piece,
  so no token is ever trained to be predicted across a boundary;
- only the last pack is padded (pad block with its own positions, labels -100).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

IGNORE = -100


@dataclass(slots=True)
class Pack:
    """One training sequence; `pieces` lists (doc_id, start_token, end_token) of each document piece."""

    input_ids: list[int]
    position_ids: list[int]
    labels: list[int]
    pieces: list[tuple[str, int, int]] = field(default_factory=list)
    num_pad: int = 0


@dataclass(slots=True)
class PackStats:
    num_docs: int = 0
    num_packs: int = 0
    num_split_docs: int = 0  # documents cut across at least one pack boundary
    num_tokens: int = 0  # document + EOS tokens
    num_pad: int = 0

    @property
    def efficiency(self) -> float:
        """Non-padding tokens / all tokens."""
        total = self.num_tokens + self.num_pad
        return self.num_tokens / total if total else 0.0


def _piece(ids: list[int]) -> tuple[list[int], list[int], list[int]]:
    return ids, list(range(len(ids))), [IGNORE] + ids[1:]


def iter_packs(
    docs: Iterable[tuple[str, list[int]]], seq_len: int, eos_id: int, pad_id: int, stats: PackStats | None = None
) -> Iterator[Pack]:
    """Stream packs of exactly `seq_len` tokens from (doc_id, token ids) pairs, in order."""
    assert seq_len >= 2, seq_len
    stats = stats if stats is not None else PackStats()
    cur = Pack([], [], [])
    for doc_id, ids in docs:
        toks = list(ids) + [eos_id]
        stats.num_docs += 1
        stats.num_tokens += len(toks)
        start = 0
        if len(toks) > seq_len - len(cur.input_ids):
            stats.num_split_docs += 1
        while start < len(toks):
            take = min(seq_len - len(cur.input_ids), len(toks) - start)
            chunk = toks[start : start + take]
            i, p, lab = _piece(chunk)
            cur.input_ids += i
            cur.position_ids += p
            cur.labels += lab
            cur.pieces.append((doc_id, start, start + take))
            start += take
            if len(cur.input_ids) == seq_len:
                stats.num_packs += 1
                yield cur
                cur = Pack([], [], [])
    if cur.input_ids:
        n = seq_len - len(cur.input_ids)
        cur.input_ids += [pad_id] * n
        cur.position_ids += list(range(n))
        cur.labels += [IGNORE] * n
        cur.num_pad = n
        stats.num_pad += n
        stats.num_packs += 1
        yield cur
