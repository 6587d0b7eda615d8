"""Curation spread over workers: `ctx render` with curation on keeps the same documents (ids and
bytes) in this process, on two local worker processes, and as the single-process judge kept them
before the passes existed (golden/curation_spread_kept.json, recorded at a363d93); every drop is
counted with its reason; a kill between the passes resumes to the same documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from curation_corpus import build_curation_corpus

from agentmt import io
from agentmt.corpus.curate_passes import CLUSTER, DROPS, STAGED, sign_name
from agentmt.corpus.render import render_ctx
from agentmt.executors import make_executor

SALT = "curation.pseudonym_salt=fixed-test-salt"  # pseudonyms are part of the bytes compared
GOLDEN = Path(__file__).parent / "golden" / "curation_spread_kept.json"


@pytest.fixture(scope="module")
def spread_corpus(tmp_path_factory, embedded_checkpoint):
    return build_curation_corpus(tmp_path_factory.mktemp("spread"), spread=True)


def _kept(out: Path, manifest) -> tuple[dict[str, str], list[list[str]]]:
    kept = {r["id"]: hashlib.sha256(r["text"].encode()).hexdigest() for r in io.read_rows(out)}
    return kept, [[r["id"] for r in io.read_rows(out / s)] for s in manifest.shards]


def _bytes(out: Path, manifest) -> list[bytes]:
    return [(out / s).read_bytes() for s in manifest.shards]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_one_and_two_workers_keep_what_the_single_process_run_kept(spread_corpus, tmp_path):
    want = json.loads(GOLDEN.read_text())
    runs = {}
    for name, executor in (("one", None), ("two", make_executor("local", jobs=2))):
        m = render_ctx(spread_corpus, tmp_path / name, "py", SALT, no_llm=True, executor=executor)
        kept, shards = _kept(tmp_path / name, m)
        assert kept == want["kept"] and shards == want["shards"], name
        assert dict(sorted(m.drops.items())) == want["drops"], name
        assert m.extra["curation"]["max_leakage_top"] == want["max_leakage_top"]
        assert m.counts["kept"] == len(kept) and m.drops["near_duplicate"] == 5
        runs[name] = _bytes(tmp_path / name, m)
        # the staged copies are gone once filtered; the small sign tables and drops stay for a resume
        staged = tmp_path / name / STAGED
        assert not list(staged.glob("part-?????.parquet")) and len(list(staged.glob("*.sign.parquet"))) == 3
    assert runs["one"] == runs["two"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_kill_between_the_passes_resumes_to_the_same_documents(spread_corpus, tmp_path):
    out = tmp_path / "out"
    m = render_ctx(spread_corpus, out, "py", SALT, no_llm=True)
    before, drops = _bytes(out, m), dict(m.drops)
    # As a kill after pass a left it for shards 0 and 2: no final shard, no marker, no drop list yet.
    for shard in (io.shard_name(0), io.shard_name(2)):
        (out / shard).unlink()
        (out / io.DONE_DIR / shard).unlink()
    (out / CLUSTER / DROPS).unlink()
    (out / CLUSTER / io.DONE_DIR / DROPS).unlink()
    (out / io.MANIFEST).unlink()
    kept_marker = out / STAGED / io.DONE_DIR / io.shard_name(1)
    mtime = kept_marker.stat().st_mtime_ns
    again = render_ctx(spread_corpus, out, "py", SALT, no_llm=True)
    assert _bytes(out, again) == before and dict(again.drops) == drops
    assert kept_marker.stat().st_mtime_ns == mtime  # shard 1 was finished: not rendered again
    assert (out / STAGED / sign_name(io.shard_name(0))).exists()
