"""The training and evaluation sections: loss curves of each training stage, and Pass@1 before and
after training with per-task results linked to the trajectory viewer."""

from __future__ import annotations

import html
from pathlib import Path

from agentmt.report import plots
from agentmt.report.collect import RunData, read_eval_report, read_loss
from agentmt.report.page import absent
from agentmt.report.sections import _e, _img, _table


def losses(run: RunData, out_dir: Path) -> str:
    stages = run.of("train_")
    if not stages:
        return absent("No training stages in this run.")
    curves, rows = {}, []
    for s in stages:
        log, note = read_loss(s.path)
        c = s.manifest.get("counts", {})
        if log:
            curves[s.rel] = ([int(r["step"]) for r in log], [float(r["loss"]) for r in log])
        first = f"{log[0]['loss']:.4f}" if log else "–"
        last = f"{log[-1]['loss']:.4f}" if log else "–"
        rows.append([f"<code>{_e(s.rel)}</code>", _e(s.stage), _e(c.get("optimizer_steps", "?")),
                     _tokens(c), first, last, _e(note or "")])
    table = _table(["folder", "stage", "optimizer steps", "tokens", "first loss", "last loss", "note"], rows)
    if not curves:
        return absent("Training stages ran but wrote no loss log.") + table
    return _img(plots.loss_curves(out_dir, "loss.png", curves), "loss curves") + table


def _tokens(counts: dict) -> str:
    """Tokens trained on: SFT counts `tokens`; mid-training counts its packed documents' `doc_tokens`."""
    n = counts.get("tokens", counts.get("doc_tokens"))
    return f"{n:,}" if isinstance(n, int) else "–"


def evaluation(run: RunData, out_dir: Path, traj_pages: dict[tuple[str, str], str]) -> str:
    """`traj_pages` maps (eval folder, trajectory id) to the viewer page's href."""
    evals = sorted(run.of("eval"), key=lambda s: s.manifest.get("finished_at") or 0)  # before, then after
    if not evals:
        return absent("No evaluation stages (agentmt eval) in this run.")
    values, per_task, rows, labels = {}, {}, [], []
    for s in evals:
        report, results = read_eval_report(s)
        if report is None:
            rows.append([f"<code>{_e(s.rel)}</code>", "–", "–", "–", "–", "no report.json (eval unfinished?)"])
            continue
        name = s.rel if s.rel != "." else run.root.resolve().name  # the run folder is itself an eval output
        label = f"{name} ({report.get('model_name_or_path', '?')})"
        labels.append((s.rel, label))
        if report.get("pass@1") is not None:
            values[label] = float(report["pass@1"])
        k = report.get("k", 1)
        spread = report.get("spread", {})
        rows.append([f"<code>{_e(s.rel)}</code>", _e(report.get("model_name_or_path", "?")),
                     _pct(report.get("pass@1")), _pct(report.get(f"pass@{k}")) + f" (k={_e(k)})",
                     f"{_pct(spread.get('min'))}–{_pct(spread.get('max'))}",
                     f"{_e(report.get('model_failures', 0))} model, {_e(report.get('infra_failures', 0))} infra"])
        for r in results:
            per_task.setdefault(r.get("instance_id", "?"), {})[s.rel] = r.get("runs", [])
    table = _table(["folder", "model", "Pass@1", "pass@k", "spread over runs", "failures"], rows)
    table += _change(values)
    plot = _img(plots.before_after(out_dir, "pass_at_1.png", values), "Pass@1 before and after") if values else ""
    return plot + table + _per_task(per_task, labels, traj_pages)


def _per_task(per_task: dict, labels: list[tuple[str, str]], traj_pages: dict) -> str:
    if not per_task:
        return absent("No per-task results (results.jsonl) yet.")
    rows = []
    for iid in sorted(per_task):
        cells = [f"<code>{_e(iid)}</code>"]
        for rel, _ in labels:
            runs = per_task[iid].get(rel)
            if runs is None:
                cells.append("–")
                continue
            marks = []
            for r in runs:
                mark = {True: "✓", False: "✗"}.get(r.get("resolved"), "?")
                title = html.escape(str(r.get("exit_status", "")), quote=True)
                href = traj_pages.get((rel, r.get("trajectory_id", "")))
                marks.append(f'<a href="{_e(href)}" title="{title}">{mark}</a>' if href else
                             f'<span title="{title}">{mark}</span>')
            cells.append(" ".join(marks) or "–")
        rows.append(cells)
    return "<h3>per-task results (one mark per run)</h3>" + _table(["task", *[lbl for _, lbl in labels]], rows)


def _change(values: dict[str, float]) -> str:
    """One line comparing the first evaluation (before training) with the last (after)."""
    if len(values) < 2:
        return absent("Only one finished evaluation: no before/after comparison yet.")
    (first, a), (last, b) = next(iter(values.items())), list(values.items())[-1]
    return (f"<p>Pass@1 {_pct(a)} ({_e(first)}) → {_pct(b)} ({_e(last)}): "
            f"{100 * (b - a):+.1f} percentage points.</p>")


def _pct(x) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}%"
