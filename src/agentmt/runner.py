"""The one stage runner: units of work → outputs + completion markers, resumable, on any executor.

A stage describes itself as a `StageSpec`: a name, the output folder, its resolved config, its inputs,
and a list of `Unit`s (a shard to render, a task to build, a (task, attempt) list to roll out...) that
a module-level `process(unit, ctx) -> dict` turns into outputs under `ctx.out_dir`. `run_stage`:

- computes the **fingerprint**: sha256 over the stage name, resolved config, the identity of every
  input (its `manifest.json` without timestamps, else the content hash of its files), the stage's
  extra identity (e.g. a repository's head sha) and agentmt's version;
- refuses an output folder made with another fingerprint (`StageConflictError`, one line naming
  `--force`), or with `force=True` deletes that work (markers, the outputs they list, the manifest);
- runs every unit without a marker on the executor (in-process, local processes `-j N`, or Ray);
  `process` writes its files atomically (`io.write_records`, `io.atomic_write_*`), then the runner
  writes the unit's marker (atomic, fsynced) holding the fingerprint and the returned info; a unit
  whose info says `"retry": True` (an infrastructure failure) gets no marker, so the next run retries;
- returns the infos in unit order, reused ones included, for the stage to fold into its manifest
  (`make_manifest`). Outputs depend only on the units and the inputs, so a rerun, a resumed run and
  the same stage on another executor give byte-identical files.

A unit that streams many shards (mining one repository) resumes inside itself with
`ctx.part_done` / `ctx.mark_part` (markers per part, same fingerprint). `StageSpec.setup` is a
context manager entered in the driver only when some unit must run (e.g. starting a model server);
what it yields is merged into `ctx.shared` (keep it picklable: it travels to the workers).

Why not datatrove's executors: its unit is a rank reading a Document stream with empty completion
files; agentmt's stages map typed records per shard or per task, keep a result in each marker (the
built image, the validation outcome), and must refuse a changed fingerprint. Wrapping every stage in
adapters to reuse it would be more code than this module and its two executors.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.errors import StageConflictError
from agentmt.hashing import sha256_file, sha256_json
from agentmt.progress import progress

STAGE_FILE = ".stage.json"
_VOLATILE = ("started_at", "finished_at")  # manifest keys that differ between identical runs


@dataclass
class Unit:
    """One resumable piece of work: `name` is unique in the stage (its marker, by convention the name
    of the shard it writes); `items` is the picklable payload handed to `process`."""

    name: str
    items: Any = None


@dataclass
class UnitContext:
    """What `process` gets beside its unit."""

    out_dir: Path
    fingerprint: str
    shared: dict[str, Any] = field(default_factory=dict)

    def part_done(self, name: str) -> dict[str, Any] | None:
        """The info of a finished part of a streaming unit (same fingerprint), else None."""
        marker = _marker(name)
        if not io.is_done(self.out_dir, marker):
            return None
        data = io.done_info(self.out_dir, marker)
        if data.get("fingerprint") != self.fingerprint:
            return None
        if not all((self.out_dir / o).exists() for o in data.get("outputs", [])):
            return None  # an output was deleted since: redo the part
        return data.get("info", {})

    def mark_part(self, name: str, info: dict[str, Any], outputs: list[str] | None = None) -> None:
        io.mark_done(self.out_dir, _marker(name), {"fingerprint": self.fingerprint, "info": info,
                                                   "outputs": outputs if outputs is not None else [name]})


@dataclass
class StageSpec:
    name: str
    out_dir: Path
    config: dict[str, Any]
    inputs: list[str | Path]
    units: list[Unit]
    process: Callable[[Unit, UnitContext], dict[str, Any] | None]
    identity: dict[str, Any] = field(default_factory=dict)  # more of what outputs depend on (head sha...)
    shared: dict[str, Any] = field(default_factory=dict)  # passed to every unit; not fingerprinted
    setup: Callable[[], contextlib.AbstractContextManager[dict[str, Any]]] | None = None
    # Units that depend on the ones before them through state held in the driver (training data prep):
    # run in unit order in this process whatever the executor, with `on_reuse(unit, info)` called
    # for each finished unit at its place in the order, so the state is rebuilt as a clean run has it.
    sequential: bool = False
    on_reuse: Callable[[Unit, dict[str, Any]], None] | None = None


UNITS_TO_RETRY = "units_to_retry"


@dataclass
class StageRun:
    fingerprint: str
    infos: list[dict[str, Any]]  # one per unit, in unit order
    ran: int
    reused: int
    retry: int = 0  # units that returned `"retry": True` this run: no marker, so the next run tries them


def _marker(name: str) -> str:
    return name.replace("/", "__")


def input_identity(path: str | Path) -> dict[str, Any]:
    """What identifies an input: its manifest (timestamps left out), else the hash of its files."""
    p = Path(path)
    if (p / io.MANIFEST).is_file():
        manifest = io.read_manifest(p)
        return {"manifest": sha256_json({k: v for k, v in manifest.items() if k not in _VOLATILE})}
    if p.is_file():
        return {"file": sha256_file(p)}
    if p.is_dir():  # shards without a manifest, or a folder of metadata JSON
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        return {"files": {str(f.relative_to(p)): sha256_file(f) for f in files}}
    return {"ref": str(path)}  # a URL or something the stage identifies itself (via `identity`)


def stage_fingerprint(stage: str, config: Any, inputs: Any, identity: dict[str, Any] | None = None) -> str:
    """The one stage fingerprint (16 hex): what a stage's outputs depend on, plus agentmt's version.
    The runner's stages and the pipeline's stages both call it, each with its own input identities.
    The config is hashed redacted: a key is no input of the outputs, so a new key alone changes nothing."""
    from agentmt import __version__
    from agentmt.secrets import redact

    return sha256_json({"stage": stage, "config": redact(config), "identity": identity or {}, "inputs": inputs,
                        "agentmt_version": __version__}, 16)


def fingerprint(spec: StageSpec) -> str:
    return stage_fingerprint(spec.name, spec.config, [input_identity(p) for p in spec.inputs], spec.identity)


def _check_or_clear(spec: StageSpec, fp: str, force: bool) -> None:
    out = spec.out_dir
    stage_file = out / STAGE_FILE
    old = io.read_json(stage_file).get("fingerprint") if stage_file.exists() else None
    done_dir = out / io.DONE_DIR
    stale = [m for m in done_dir.glob("*") if m.is_file() and not m.name.startswith(".")] if done_dir.is_dir() else []
    if old is None and stale:
        old = "unknown"  # markers from before the runner: treat as another fingerprint
    if old is None or old == fp:
        return
    if not force:
        raise StageConflictError(f"{out} holds {spec.name} output made with another config, input or agentmt "
                                 f"version (fingerprint {old} != {fp}): pass --force to redo it, or a new --out")
    for m in stale:  # remove what the old run wrote, so no stale shard survives beside the new ones
        with contextlib.suppress(ValueError, OSError):
            for name in io.read_json(m).get("outputs", []):
                (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / io.DONE_DIR, ignore_errors=True)
    (out / io.MANIFEST).unlink(missing_ok=True)


def pending_units(spec: StageSpec, force: bool = False) -> list[Unit]:
    """The units of `spec` a run would run now, after run_stage's own fingerprint check (or --force
    clearing): a stage built of passes (curated ctx render) skips the earlier passes when none is left."""
    fp = fingerprint(spec)
    Path(spec.out_dir).mkdir(parents=True, exist_ok=True)
    _check_or_clear(spec, fp, force)
    ctx = UnitContext(Path(spec.out_dir), fp)
    return [u for u in spec.units if ctx.part_done(u.name) is None]


def run_unit(process, unit: Unit, ctx: UnitContext) -> dict[str, Any]:
    """Run one unit and write its marker (runs on the worker, so finished work survives the driver)."""
    info = process(unit, ctx) or {}
    if not info.get("retry"):
        ctx.mark_part(unit.name, info, outputs=info.get("outputs", [unit.name]))
        # hand back what the marker holds (JSON: keys sorted, tuples as lists), so a unit run now and
        # one a rerun reuses give the stage the same dict, and its outputs the same bytes (a resumed
        # rollout stage wrote the reused trajectories' timings in another key order)
        info = json.loads(json.dumps(info, sort_keys=True, default=str))
    return info


def run_stage(spec: StageSpec, executor=None, force: bool = False) -> StageRun:
    """Run the units of `spec` that are not finished; see the module docstring for the guarantees."""
    from agentmt.executors import InProcessExecutor

    executor = executor or InProcessExecutor()
    out = Path(spec.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fp = fingerprint(spec)
    _check_or_clear(spec, fp, force)
    for tmp in [*out.glob(".*.tmp"), *(out / io.DONE_DIR).glob(".*.tmp")]:
        tmp.unlink(missing_ok=True)  # the torn half of a write a killed run left (never a finished file)
    io.write_json(out / STAGE_FILE, {"stage": spec.name, "fingerprint": fp})
    names = [u.name for u in spec.units]
    assert len(set(names)) == len(names), f"stage {spec.name}: unit names must be unique"
    ctx = UnitContext(out, fp, dict(spec.shared))
    infos: list[dict[str, Any] | None] = [ctx.part_done(u.name) for u in spec.units]
    pending = [i for i, info in enumerate(infos) if info is None]
    if spec.sequential and not isinstance(executor, InProcessExecutor):
        warnings.warn(f"stage {spec.name} keeps state across units: its units run in "
                      "order in this process, not on the chosen executor", UserWarning, stacklevel=2)
        executor = InProcessExecutor()
    with contextlib.ExitStack() as stack:
        # plain lines only: a unit may draw its own bar (mining, rendering), and two cannot share a terminal
        advance = stack.enter_context(progress(spec.name, len(spec.units), unit="units",
                                               done=len(spec.units) - len(pending), terminal=False))
        if pending and spec.setup:
            ctx.shared.update(stack.enter_context(spec.setup()) or {})
        if spec.sequential:
            for i, unit in enumerate(spec.units):
                if infos[i] is not None:
                    if spec.on_reuse:
                        spec.on_reuse(unit, infos[i])
                else:
                    infos[i] = run_unit(spec.process, unit, ctx)
                    advance()
        else:
            for i, info in executor.map(run_unit, [(spec.process, spec.units[i], ctx) for i in pending]):
                infos[pending[i]] = info
                advance()
    retry = sum(bool((infos[i] or {}).get("retry")) for i in pending)
    return StageRun(fp, [i or {} for i in infos], ran=len(pending), reused=len(spec.units) - len(pending),
                    retry=retry)


def make_manifest(spec: StageSpec, run: StageRun, shards: list[str] | None = None) -> io.Manifest:
    """A manifest for the stage: config, inputs, counts and drops summed over the units' infos."""
    manifest = io.Manifest(stage=spec.name, config=spec.config, inputs=[str(p) for p in spec.inputs])
    for info in run.infos:
        manifest.counts.update(info.get("counts", {}))
        manifest.drops.update(info.get("drops", {}))
    manifest.shards = shards if shards is not None else [u.name for u in spec.units]
    manifest.extra["fingerprint"] = run.fingerprint
    if run.retry:  # the stage is not finished: `agentmt run` reruns it (pipeline/run.py)
        manifest.extra[UNITS_TO_RETRY] = run.retry
    return manifest
