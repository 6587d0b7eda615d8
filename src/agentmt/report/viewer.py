"""The trajectory viewer: one static HTML page per trajectory (steps, tool calls, observations,
the diff and test results), linked from the report and to its neighbours.

Guarantees: every piece of trajectory text goes through `html.escape` (trajectories hold
arbitrary model and tool output, `<script>` included); long observations fold into `<details>`
so a 100-step trajectory stays readable; the pages need no JavaScript.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from agentmt.report.page import page

FOLD_CHARS = 1500  # observations longer than this (or FOLD_LINES lines) start folded
FOLD_LINES = 25


def page_name(traj_id: str) -> str:
    """A file name for a trajectory id, safe on every file system and unique per id."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", traj_id)[:80]
    return f"{safe}-{hashlib.sha1(traj_id.encode()).hexdigest()[:8]}.html"


def _text_block(text: str | None, cls: str = "") -> str:
    text = text or ""
    body = f'<pre class="{cls}">{html.escape(text)}</pre>'
    if len(text) > FOLD_CHARS or text.count("\n") > FOLD_LINES:
        first = html.escape(text.strip().splitlines()[0][:120]) if text.strip() else ""
        return (f"<details><summary>{len(text):,} chars, {text.count(chr(10)) + 1} lines: "
                f"<code>{first}</code></summary>{body}</details>")
    return body


def _call(call: Any) -> str:
    fn = call.function
    try:
        args = json.loads(fn.arguments)
        shown = "\n".join(f"{k}: {v}" for k, v in args.items()) if isinstance(args, dict) else fn.arguments
    except ValueError:
        shown = fn.arguments  # the model's malformed JSON, shown verbatim
    return (f'<div class="call"><b>action</b> <code>{html.escape(fn.name)}</code>'
            f"{_text_block(shown, 'args')}</div>")


def _steps(messages: list[Any]) -> str:
    parts, step = [], 0
    for m in messages:
        if m.role == "assistant":
            step += 1
            calls = "".join(_call(c) for c in m.tool_calls)
            thought = _text_block(m.content, "thought") if (m.content or "").strip() else ""
            parts.append(f'<section class="step" id="step-{step}"><h3>step {step}</h3>{thought}{calls}</section>')
        elif m.role == "tool":
            parts.append(f'<div class="obs"><b>observation</b>{_text_block(m.content)}</div>')
        else:  # system / user: the prompt, folded like any long text
            parts.append(f'<div class="msg"><b>{html.escape(m.role)}</b>{_text_block(m.content)}</div>')
    return "".join(parts), step


def _tests(traj: Any) -> str:
    if not traj.tests_status and not traj.report:
        return "<p>Not graded.</p>"
    rows = "".join(f"<tr><td><code>{html.escape(t)}</code></td><td class=\"{html.escape(s)}\">{html.escape(s)}"
                   f"</td></tr>" for t, s in sorted(traj.tests_status.items()))
    table = f"<table><tr><th>test</th><th>status</th></tr>{rows}</table>" if rows else ""
    report = _text_block(json.dumps(traj.report, indent=2, sort_keys=True, default=str)) if traj.report else ""
    return table + (f"<h3>grading report</h3>{report}" if report else "")


def render_trajectory(traj: Any, index_href: str, prev_href: str | None, next_href: str | None) -> str:
    """The HTML page of one Trajectory record."""
    steps, n = _steps(traj.messages)
    nav = [f'<a href="{html.escape(index_href)}" id="back">&larr; report</a>']
    if prev_href:
        nav.append(f'<a href="{html.escape(prev_href)}" id="prev">previous</a>')
    if next_href:
        nav.append(f'<a href="{html.escape(next_href)}" id="next">next</a>')
    resolved = {True: "resolved", False: "not resolved", None: "not graded"}[traj.resolved]
    jump = " ".join(f'<a href="#step-{i}">{i}</a>' for i in range(1, n + 1))
    meta = (f"<p><b>{html.escape(traj.instance_id)}</b> run {traj.run_index} · model "
            f"<code>{html.escape(traj.model)}</code> · source {html.escape(traj.source)} · exit "
            f"<code>{html.escape(traj.exit_status)}</code> · <b>{resolved}</b> · {n} steps · "
            f"{traj.num_tokens:,} tokens</p>")
    body = (f'<nav>{" · ".join(nav)}</nav>{meta}'
            f'<p class="jump">steps: {jump or "none"}</p>'
            f'<h2>trajectory</h2>{steps}'
            f'<h2 id="diff">diff</h2>{_text_block(traj.submission or "(empty)", "diff")}'
            f'<h2 id="tests">test results</h2>{_tests(traj)}')
    return page(f"trajectory {traj.id}", body)


def write_viewer(trajs: list[Any], out_dir: Path, index_href: str = "../index.html") -> dict[str, str]:
    """Write one page per trajectory under `out_dir`; returns trajectory id -> file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [page_name(t.id) for t in trajs]
    for i, t in enumerate(trajs):
        prev_href = names[i - 1] if i else None
        next_href = names[i + 1] if i + 1 < len(trajs) else None
        (out_dir / names[i]).write_text(render_trajectory(t, index_href, prev_href, next_href), encoding="utf-8")
    return {t.id: n for t, n in zip(trajs, names)}
