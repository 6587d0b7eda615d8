"""A pipeline file: a list of stages (name, kind, inputs, config), validated into a run order.

An input value is a path when it starts with `/`, `./`, `../` or `~`; anything else names a stage,
optionally with a sub-path inside its output folder (`split/train`). Stages run in dependency order
(declared order among independent ones; `parallel` of them at once); an unknown kind, a name no stage has, a duplicate name or
a cycle is a `PipelineError` with a one-line message naming the stage to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentmt.config import read_yaml
from agentmt.errors import ConfigError


class PipelineError(ConfigError):
    """A pipeline file that cannot run as written."""


class PipelineStage(BaseModel):
    """One stage entry of a pipeline file (what to run); `agentmt.runner.PipelineStage` is how a stage runs its units."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The stage's name; also its output folder under the run folder."""
    kind: str
    """What the stage does (see `agentmt.pipeline.stages.KINDS`)."""
    inputs: dict[str, str | list[str]] = {}
    """Role → an earlier stage's name (`stage` or `stage/sub/path`) or a path; a list for roles taking several."""
    config: list[str] = []
    """Config specs for the stage's library function: built-in names, YAML paths, key=value overrides."""
    options: dict[str, Any] = {}
    """Keyword options of the stage kind (`format`, `model`, `no_llm`, ...)."""


class PipelineSpec(BaseModel):
    """A whole pipeline file."""

    model_config = ConfigDict(extra="forbid")
    name: str = "pipeline"
    """Shown in the timing table."""
    parallel: int = Field(1, ge=1, le=16)
    """Stages run at once when their inputs allow: 1 runs them one by one in this process; above 1,
    a stage that overlaps another runs in a child process of its own (run order decides who goes first)."""
    stages: list[PipelineStage]
    """The stages; inputs say what each needs."""


def is_path(value: str) -> bool:
    """Inputs starting like a filesystem path are paths; everything else names a stage."""
    return value.startswith(("/", "./", "../", "~")) or value in (".", "..")


def stage_ref(value: str) -> str | None:
    """The stage an input value names (None for a path)."""
    return None if is_path(value) else value.split("/", 1)[0]


def input_values(stage: PipelineStage) -> list[str]:
    return [v for vals in stage.inputs.values() for v in ([vals] if isinstance(vals, str) else vals)]


def parse_pipeline(data: Any, where: str) -> PipelineSpec:
    """Validate a loaded pipeline document (kinds, names, inputs, no cycles); return it in run order."""
    from agentmt.pipeline.stages import KINDS

    if isinstance(data, list):
        data = {"stages": data}
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise PipelineError(f"{where}: {loc}: {err['msg']}") from None
    names = [s.name for s in spec.stages]
    for s in spec.stages:
        if names.count(s.name) > 1:
            raise PipelineError(f"{where}: two stages are named {s.name!r}; give each a unique name")
        if s.kind not in KINDS:
            raise PipelineError(f"{where}: stage {s.name!r} has unknown kind {s.kind!r} "
                                f"(known: {', '.join(sorted(KINDS))})")
        for v in input_values(s):
            ref = stage_ref(v)
            if ref is not None and ref not in names:
                raise PipelineError(f"{where}: stage {s.name!r} input {v!r} names no stage of this pipeline "
                                    f"(write a path as ./{v} or /abs/{v})")
    return spec.model_copy(update={"stages": _run_order(spec.stages, where)})


def _run_order(stages: list[PipelineStage], where: str) -> list[PipelineStage]:
    """Depth-first topological order that keeps the declared order where inputs allow it."""
    by_name = {s.name: s for s in stages}
    order: list[PipelineStage] = []
    state: dict[str, str] = {}  # name → "visiting" | "done"

    def visit(s: PipelineStage, path: list[str]) -> None:
        if state.get(s.name) == "done":
            return
        if state.get(s.name) == "visiting":
            cycle = path[path.index(s.name):] + [s.name]
            raise PipelineError(f"{where}: stages form a cycle: {' -> '.join(cycle)}; remove one of these inputs")
        state[s.name] = "visiting"
        for v in input_values(s):
            ref = stage_ref(v)
            if ref is not None:
                visit(by_name[ref], [*path, s.name])
        state[s.name] = "done"
        order.append(s)

    for s in stages:
        visit(s, [])
    return order


def load_pipeline(spec: str | Path) -> tuple[PipelineSpec, Path]:
    """Load a pipeline from a YAML path or a built-in name (`demo`); return it and its folder (for paths)."""
    from importlib import resources

    path = Path(spec)
    if path.is_file():
        text, base, where = path.read_text(encoding="utf-8"), path.resolve().parent, str(path)
    else:
        res = resources.files("agentmt").joinpath("configs", "pipelines", f"{spec}.yaml")
        if not res.is_file():
            raise PipelineError(f"no pipeline file {spec!r} and no built-in pipeline of that name "
                                f"(built-in: {', '.join(builtin_pipelines())})")
        text, base, where = res.read_text(encoding="utf-8"), Path.cwd(), f"built-in pipeline {spec}"
    return parse_pipeline(read_yaml(text, where, PipelineError), where), base


def builtin_pipelines() -> list[str]:
    from importlib import resources

    folder = resources.files("agentmt").joinpath("configs", "pipelines")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
