"""The data sections of the report: stages, tokens, drops, environments, rollouts. Each section
is a function (RunData, out_dir) -> HTML that says so when the run folder holds none of its data.
Training and evaluation sections live in `sections_train`."""

from __future__ import annotations

import html
from pathlib import Path

from agentmt.report import plots
from agentmt.report.collect import RunData, StageOutput
from agentmt.report.page import absent

# Stages whose output is Trajectory shards (the demo's packaged fixture trajectories included).
ROLLOUT_STAGES = ("rollout", "demo_trajectories")


def _e(x) -> str:
    return html.escape(str(x))


def _img(name: str, alt: str) -> str:
    return f'<img src="{_e(name)}" alt="{_e(alt)}">'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _kv(d: dict) -> str:
    return ", ".join(f"{_e(k)}={_e(v)}" for k, v in sorted(d.items())) or "–"


def _seconds(row: dict) -> str:
    """The wall time `agentmt run` measured for a stage when it last ran (timings.json)."""
    try:
        return f"{float(row.get('seconds_when_run', row.get('seconds'))):.1f} s"
    except (TypeError, ValueError):
        return "–"


def _duration(run: RunData, s: StageOutput) -> str:
    """Wall time of the stage's last (re)run: the pipeline's own figure where the stage is one of its
    stages (a manifest made at the end of a stage has no meaningful start), else the manifest's timestamps."""
    found = run.pipeline_row(s)
    if found:
        row, own = found
        return _seconds(row) if own else f"in {_e(row.get('stage'))}"
    start, end = s.manifest.get("started_at"), s.manifest.get("finished_at")
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or end < start:
        return "–"
    return f"{end - start:.1f} s"


def stages(run: RunData, out_dir: Path) -> str:
    if not run.stages:
        return absent("No stage outputs (folders with manifest.json) in this run folder.")
    rows = [[f"<code>{_e(s.rel)}</code>", _e(s.stage), _kv(s.manifest.get("counts", {})),
             _kv(s.manifest.get("drops", {})), _duration(run, s), _e(s.manifest.get("agentmt_version", "?"))]
            for s in run.stages]
    note = "".join(f"<li>{_e(u)}</li>" for u in run.unreadable)
    return _table(["folder", "stage", "counts", "drops", "wall time", "agentmt"], rows) + (
        f"<p>Unreadable manifests:</p><ul>{note}</ul>" if note else "")


def tokens(run: RunData, out_dir: Path) -> str:
    groups: dict[str, dict[str, float]] = {}
    for s in run.of("ctx_render"):
        fmt_tokens = s.manifest.get("extra", {}).get("tokens", {})
        if fmt_tokens:
            groups[s.rel] = {f"ctx:{k}": v for k, v in fmt_tokens.items()}
    for s in run.of("envdata.render", "rollout.import"):
        c = s.manifest.get("counts", {})
        got = {f"env:{k[len('tokens_'):]}": v for k, v in c.items() if k.startswith("tokens_")}
        if got:
            groups[s.rel] = got
    if not groups:
        return absent("No D_ctx or D_env outputs with token counts (ctx render, envdata render) in this run.")
    rows = [[f"<code>{_e(g)}</code>", _e(f), f"{int(n):,}"] for g, d in groups.items() for f, n in sorted(d.items())]
    total = sum(n for d in groups.values() for n in d.values())
    png = plots.bar_groups(out_dir, "tokens.png", "tokens per subset and format", groups, "tokens")
    return _img(png, "tokens per subset and format") + _table(["subset", "format", "tokens"], rows) + (
        f"<p>Total: {int(total):,} tokens.</p>")


def drops(run: RunData, out_dir: Path) -> str:
    groups = {s.rel: dict(s.manifest["drops"]) for s in run.stages if s.manifest.get("drops")}
    if not groups:
        return absent("No stage dropped any record (or no stage has run).")
    png = plots.bar_groups(out_dir, "drops.png", "drop reasons per stage", groups, "records dropped",
                           horizontal=True)
    rows = [[f"<code>{_e(g)}</code>", _e(r), _e(n)] for g, d in groups.items() for r, n in sorted(d.items())]
    return _img(png, "drop reasons per stage") + _table(["stage folder", "reason", "dropped"], rows)


def environments(run: RunData, out_dir: Path) -> str:
    envs = run.of("env.build", "env.validate")
    if not envs:
        return absent("No environment stages (env build / env validate) in this run.")
    rows, yields, flaky = [], {}, {}
    for s in envs:
        c = s.manifest.get("counts", {})
        n_in, n_out = c.get("tasks_in", 0), c.get("tasks_out", 0)
        rate = n_out / n_in if n_in else 0.0
        yields[s.rel] = {"yield": rate}
        rates = s.manifest.get("extra", {}).get("flake_rates", {})
        cell = "–"
        if s.stage == "env.validate":
            tests = [r for per_task in rates.values() for r in per_task.values()]
            with_flaky = sum(1 for per_task in rates.values() if per_task)
            share = with_flaky / n_out if n_out else 0.0
            flaky[s.rel] = {"tasks with flaky tests": share}
            mean = f", mean flake rate {sum(tests) / len(tests):.2f}" if tests else ""
            cell = f"{len(tests)} flaky tests in {with_flaky} of {n_out} tasks{mean}"
        rows.append([f"<code>{_e(s.rel)}</code>", _e(s.stage), f"{n_out} of {n_in}", f"{rate:.0%}", _e(cell)])
    png = plots.bar_groups(out_dir, "environments.png", "environment yield and flaky-task share",
                           {g: {**yields[g], **flaky.get(g, {})} for g in yields}, "fraction of tasks")
    return _img(png, "environment yield and flake rates") + _table(
        ["folder", "stage", "tasks kept", "yield", "flaky tests (left out of F2P/P2P)"], rows)


def rollouts(run: RunData, out_dir: Path, traj_links: dict[str, str]) -> str:
    outs = run.of(*ROLLOUT_STAGES)
    if not outs:
        return absent("No rollout stages in this run.")
    groups, rows = {}, []
    for s in outs:
        c, extra = s.manifest.get("counts", {}), s.manifest.get("extra", {})
        statuses = extra.get("exit_status", {})
        groups[s.rel] = dict(statuses)
        n = c.get("trajectories", sum(statuses.values()))
        resolved = c.get("resolved", 0)
        link = traj_links.get(s.rel)
        view = f'<a href="{_e(link)}">view trajectories</a>' if link else "–"
        rows.append([f"<code>{_e(s.rel)}</code>", _kv(statuses), _e(n), _e(resolved),
                     f"{resolved / n:.0%}" if n else "–", view])
    png = plots.bar_groups(out_dir, "rollouts.png", "rollout exit statuses", groups, "trajectories")
    return _img(png, "rollout exit statuses") + _table(
        ["folder", "exit statuses", "trajectories", "resolved", "pass rate", "viewer"], rows)


def pipeline(run: RunData, out_dir: Path) -> str:
    """`agentmt run`'s stages (collect.read_pipeline): each stage's status, wall time and one-line summary."""
    if run.pipeline_name is None:
        return absent("No pipeline timings (timings.json is written by `agentmt run`).")
    stages = run.pipeline
    rows = [[f"<code>{_e(s.get('stage', '?'))}</code>", _e(s.get("kind", "?")),
             f'<span class="{_e(s.get("status", ""))}">{_e(s.get("status", "?"))}</span>',
             f"{float(s.get('seconds', 0)):.1f} s" if "seconds" in s else "–",
             _seconds(s) if "seconds" in s or "seconds_when_run" in s else "–",
             _e(s.get("summary", ""))] for s in stages]
    total = sum(float(s.get("seconds", 0)) for s in stages)
    return (f"<p>Pipeline <code>{_e(run.pipeline_name)}</code>: {len(stages)} stages, {total:.1f} s "
            f"this run.</p>" + _table(["stage", "kind", "status", "this run", "when it ran", "summary"], rows))
