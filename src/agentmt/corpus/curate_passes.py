"""`ctx render` with curation on: three runner stages, each on the executor's workers, resumable.

a. `OUT/.curate/render` (ctx_render_sign), per input shard: the PR judges and rendering
   (agentmt.corpus.render.render_shard) stage the shard's documents and write its sign table
   (exact hash, leak verdict, LSH band keys: agentmt.corpus.curate.Curator.sign_table).
b. `OUT/.curate/cluster` (ctx_render_cluster), one unit: reads only the sign tables' key columns and
   writes every post-render drop (shard, row, reason) by the in-order rule (agentmt.corpus.dedup).
c. `OUT` (ctx_render), per shard: the staged documents minus the shard's drops become the final
   shard; the staged copy is then removed.
The three share config and inputs, so their fingerprints change together; a shard whose final output
is done is not rendered again, and a staged shard lost with its final one is rendered again, the same.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agentmt import io
from agentmt.runner import StageSpec, Unit, pending_units, run_stage

STAGED = Path(".curate") / "render"
CLUSTER = Path(".curate") / "cluster"
DROPS = "drops.parquet"


def sign_name(shard: str) -> str:
    """The sign table beside a staged shard (part-00000.parquet -> part-00000.sign.parquet)."""
    return shard.removesuffix(".parquet") + ".sign.parquet"


def judge_shards(sign_files: list[Path], judge) -> tuple[list[dict], int]:
    """Pass b: (drops as {shard, row, reason} rows, documents judged). Key columns are read one at a
    time; only documents sharing a key with another, or leaking, are judged in corpus order: any
    other one is kept and can match none of them."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from agentmt.corpus import dedup

    sizes = [pq.read_metadata(f).num_rows for f in sign_files]
    if not sum(sizes):
        return [], 0

    def column(name: str):
        kind = pq.read_schema(sign_files[0]).field(name).type
        return pa.chunked_array([c for f in sign_files for c in pq.read_table(f, columns=[name]).column(name).chunks],
                                type=kind)

    leak = column("leak")
    wanted = set(pc.indices_nonzero(leak.combine_chunks()).to_pylist()) if pc.any(leak).as_py() else set()
    names = (["hash"] if judge.exact else []) + ([dedup.band_name(j) for j in range(judge.num_bands)] if judge.near else [])
    for name in names:
        wanted |= dedup.shared_positions(column(name))
    drops, start = [], 0
    bands = [dedup.band_name(j) for j in range(judge.num_bands)] if judge.near else []
    for shard, (path, size) in enumerate(zip(sign_files, sizes)):
        rows = sorted(p - start for p in wanted if start <= p < start + size)
        if rows:
            t = pq.read_table(path, columns=["hash", "leak", *bands]).take(rows).to_pydict()
            for i, row in enumerate(rows):
                reason = judge.judge(t["hash"][i], t["leak"][i], [t[b][i] for b in bands])
                if reason:
                    drops.append({"shard": shard, "row": row, "reason": reason})
        start += size
    return drops, len(wanted)


def _cluster_unit(unit: Unit, ctx) -> dict:
    """Runner unit of pass b: the drops of the whole corpus, in one small Parquet file."""
    import pyarrow as pa

    from agentmt.corpus.curate import CurationConfig, make_judge

    judge = make_judge(CurationConfig.model_validate(ctx.shared["curation"]))
    drops, judged = judge_shards([Path(p) for p in unit.items], judge)
    schema = pa.schema([("shard", pa.int32()), ("row", pa.int32()), ("reason", pa.string())])
    io.write_parquet(ctx.out_dir / unit.name, drops, schema=schema)
    return {"counts": {"dedup_candidates": judged}}


def _filter_unit(unit: Unit, ctx) -> dict:
    """Runner unit of pass c: a staged shard minus its drops; its info is pass a's, with the drops."""
    import pyarrow.parquet as pq

    from agentmt.types import CtxDocument

    index, staged, drops_path, info = unit.items
    staged = Path(staged)
    t = pq.read_table(drops_path, filters=[("shard", "=", index)]).to_pydict()
    dropped = dict(zip(t["row"], t["reason"]))
    docs = list(io.read_records(staged / unit.name, CtxDocument))
    kept = [d for i, d in enumerate(docs) if i not in dropped]
    io.write_records(ctx.out_dir / unit.name, kept, CtxDocument)
    (staged / unit.name).unlink(missing_ok=True)  # a kill before the marker: pass a renders it again
    counts = {**info["counts"], "kept": len(kept)}
    drops = Counter(info["drops"]) + Counter(dropped.values())
    return {**info, "counts": counts, "drops": dict(drops), "kept_tokens": sum(d.num_tokens for d in kept),
            "outputs": [unit.name]}


def run_curated(spec: StageSpec, executor=None, force: bool = False):
    """Run the render stage `spec` (its units render one input shard each) as passes a, b and c;
    returns the final stage's spec and run, as run_stage would for `spec`."""
    out = Path(spec.out_dir)
    staged = out / STAGED
    final = StageSpec(name=spec.name, out_dir=out, config=spec.config, inputs=spec.inputs,
                      units=[Unit(u.name) for u in spec.units], process=_filter_unit)
    todo = {u.name for u in pending_units(final, force)}
    if todo:
        render = [u for u in spec.units if u.name in todo or not (staged / sign_name(u.name)).exists()]
        run_a = run_stage(StageSpec(name=f"{spec.name}_sign", out_dir=staged, config=spec.config, inputs=spec.inputs,
                                    units=render, process=spec.process, shared=spec.shared, setup=spec.setup),
                          executor=executor, force=force)
        infos = dict(zip([u.name for u in render], run_a.infos))
        curation = spec.config["curation"]
        run_stage(StageSpec(name=f"{spec.name}_cluster", out_dir=out / CLUSTER, config=spec.config,
                            inputs=spec.inputs, process=_cluster_unit, shared={"curation": curation},
                            units=[Unit(DROPS, [str(staged / sign_name(u.name)) for u in spec.units])]),
                  executor=executor, force=force)
        final.units = [Unit(u.name, (i, str(staged), str(out / CLUSTER / DROPS), infos.get(u.name)))
                       for i, u in enumerate(spec.units)]
    return final, run_stage(final, executor=executor, force=force)
