"""The report's gold validity section: per env validate output and dataset, how many tasks' gold
patch passed every graded test in each of its k reruns (environments/goldvalidity.py), with each
task's count in a table below (and on hover over its dataset's row)."""

from __future__ import annotations

from pathlib import Path

from agentmt.report import plots
from agentmt.report.collect import RunData, read_stage_tasks
from agentmt.report.page import absent
from agentmt.report.sections import _e, _img, _table

MAX_TASK_ROWS = 500  # per validate output; a larger one lists its first tasks


def _runs(task) -> str:
    g = task.validation.get("gold_runs")
    return f"{g['passed']}/{g['of']}" if g else "–"


def gold_validity(run: RunData, out_dir: Path) -> str:
    from agentmt.environments.goldvalidity import MINED, make_gold_validity

    outs = run.of("env.validate")
    if not outs:
        return absent("No env validate stages in this run: gold validity is measured there.")
    rows, task_rows, shares, notes = [], [], {}, []
    for s in outs:
        tasks, why = read_stage_tasks(s)
        if why:
            notes.append(f"<li><code>{_e(s.rel)}</code>: {_e(why)}</li>")
            continue
        for name, d in make_gold_validity(tasks).items():
            mine = [t for t in tasks if (t.validation.get("dataset") or MINED) == name]
            hover = "; ".join(f"{t.instance_id}: {_runs(t)}" for t in mine[:50])
            share = f"{d['share']:.1%}" if d["share"] is not None else "–"
            rows.append([f"<code>{_e(s.rel)}</code>", f'<span title="{_e(hover)}">{_e(name)}</span>',
                         f"{d['k_of_k']} of {d['ran']}", share,
                         _e(", ".join(f"{k}: {n}" for k, n in d["passed"].items()) or "–"), _e(d["not_run"])])
            if d["share"] is not None:
                shares.setdefault(s.rel, {})[name] = d["share"]
        task_rows += [[f"<code>{_e(s.rel)}</code>", _e(t.instance_id), _e(t.validation.get("dataset") or MINED),
                       _e(t.install.get("source") or "–"), _e(_runs(t)),
                       _e((t.validation.get("drop") or {}).get("reason") or t.validation.get("status") or "–")]
                      for t in tasks[:MAX_TASK_ROWS]]
    if not rows:
        return absent("No env validate output holds task records.") + (f"<ul>{''.join(notes)}</ul>" if notes else "")
    png = plots.bar_groups(out_dir, "gold_validity.png", "share of tasks whose gold patch passed k of k runs",
                           shares, "share passing k of k") if shares else ""
    per_task = _table(["folder", "task", "dataset", "environment source", "gold runs passed", "outcome"], task_rows)
    return ((_img(png, "gold validity per dataset") if png else "")
            + _table(["folder", "dataset", "pass k of k", "share", "gold runs passed (j/k: tasks)",
                      "not validated"], rows)
            + (f"<ul>{''.join(notes)}</ul>" if notes else "")
            + f"<details><summary>per task</summary>{per_task}</details>")
