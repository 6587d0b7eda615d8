"""`build_report(run_dir, out_dir)`: the static HTML report of a run folder (index.html, PNG plots,
trajectory viewer pages), self-contained so it can be copied anywhere and opened from disk.

Guarantees: any run folder, partial or empty, gives a report (sections whose data is absent say
so); rerunning overwrites the report in place; nothing under the run folder but `out_dir` is written.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from agentmt import __version__
from agentmt.errors import InputError
from agentmt.io import Manifest, atomic_write_text
from agentmt.report import sections, sections_gold, sections_train
from agentmt.report.collect import collect, read_trajectories
from agentmt.report.page import page
from agentmt.report.viewer import write_viewer

MAX_TRAJECTORIES = 300  # viewer pages per rollout folder; a larger rollout shows its first ones


def _slug(rel: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", rel).strip("_") or "run"


def _viewers(run, out_dir: Path) -> tuple[dict[str, str], dict[tuple[str, str], str], list[str]]:
    """Viewer pages for every rollout folder: (folder -> list page, (eval folder, traj id) -> page, notes)."""
    lists, pages, notes = {}, {}, []
    for s in run.of(*sections.ROLLOUT_STAGES):
        trajs, why = read_trajectories(s)
        if why:
            notes.append(f"{s.rel}: trajectories unreadable ({why})")
            continue
        if len(trajs) > MAX_TRAJECTORIES:
            notes.append(f"{s.rel}: {len(trajs)} trajectories, the viewer shows the first {MAX_TRAJECTORIES}")
            trajs = trajs[:MAX_TRAJECTORIES]
        sub = Path("trajectories") / _slug(s.rel)
        names = write_viewer(trajs, out_dir / sub, index_href="../../index.html")
        (out_dir / sub / "index.html").write_text(_listing(s.rel, trajs, names), encoding="utf-8")
        lists[s.rel] = f"{sub.as_posix()}/index.html"
        parent = s.rel.rsplit("/", 1)[0] if "/" in s.rel else "."  # eval-x/runs belongs to eval-x
        for t in trajs:
            pages[(s.rel, t.id)] = pages[(parent, t.id)] = f"{sub.as_posix()}/{names[t.id]}"
    return lists, pages, notes


def _listing(rel: str, trajs: list, names: dict[str, str]) -> str:
    rows = "".join(
        f'<tr><td><a href="{html.escape(names[t.id])}">{html.escape(t.id)}</a></td>'
        f"<td>{html.escape(t.exit_status)}</td><td>{ {True: 'yes', False: 'no', None: '–'}[t.resolved] }</td>"
        f"<td>{sum(1 for m in t.messages if m.role == 'assistant')}</td><td>{t.num_tokens:,}</td></tr>"
        for t in trajs)
    body = (f'<nav><a href="../../index.html" id="back">&larr; report</a></nav><h1>trajectories of '
            f"<code>{html.escape(rel)}</code></h1><table><tr><th>trajectory</th><th>exit status</th>"
            f"<th>resolved</th><th>steps</th><th>tokens</th></tr>{rows}</table>")
    return page(f"trajectories of {rel}", body)


def build_report(run_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the report of `run_dir` into `out_dir` (default RUN_DIR/report); returns index.html's path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"{run_dir} is not a folder: pass a run folder (the --out of the stages or `agentmt run`)")
    out_dir = Path(out_dir) if out_dir else run_dir / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    run = collect(run_dir, exclude=out_dir)
    lists, pages, notes = _viewers(run, out_dir)
    parts = [
        ("pipeline", "Pipeline", sections.pipeline(run, out_dir)),
        ("stages", "Stage outputs", sections.stages(run, out_dir)),
        ("tokens", "Tokens per subset and format", sections.tokens(run, out_dir)),
        ("drops", "Drop reasons per stage", sections.drops(run, out_dir)),
        ("environments", "Environment yield and flake rates", sections.environments(run, out_dir)),
        ("gold", "Gold validity: the gold patch passing k of k reruns", sections_gold.gold_validity(run, out_dir)),
        ("rollouts", "Rollout exit statuses and pass rates", sections.rollouts(run, out_dir, lists)),
        ("training", "Loss curves of each training stage", sections_train.losses(run, out_dir)),
        ("evaluation", "Pass@1 before and after training", sections_train.evaluation(run, out_dir, pages)),
    ]
    toc = " · ".join(f'<a href="#{k}">{html.escape(t)}</a>' for k, t, _ in parts)
    body = "".join(f'<section id="{k}"><h2>{html.escape(t)}</h2>{b}</section>' for k, t, b in parts)
    note = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    # one count of stages: the pipeline's (as its section lists them); output folders are another thing
    outputs = f"{len(run.stages)} output folder{'s' if len(run.stages) != 1 else ''} with a manifest"
    what = (f"pipeline <code>{html.escape(run.pipeline_name)}</code> of {len(run.pipeline)} stages ({outputs})"
            if run.pipeline_name is not None else outputs)
    head = (f"<h1>agentmt report</h1><p>Run folder <code>{html.escape(str(run_dir.resolve()))}</code>: "
            f"{what}; agentmt {html.escape(__version__)}.</p><nav>{toc}</nav>")
    index = out_dir / "index.html"
    atomic_write_text(index, page("agentmt report", head + (f"<ul>{note}</ul>" if note else "") + body))
    m = Manifest(stage="report", inputs=[str(run_dir)], extra={"notes": notes, "sections_absent": [
        k for k, _, b in parts if b.startswith('<p class="absent">')]})
    m.counts.update(stage_outputs=len(run.stages), trajectory_pages=len({p for p in pages.values()}))
    m.write(out_dir)  # last: its presence means the report is complete
    return index
