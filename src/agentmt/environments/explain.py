"""`agentmt env explain TASK_ID DIR`: what happened to one task, readable.

`find_task` looks in a build or validate output folder (`failed/tasks.jsonl` first, then the kept
tasks); `render_explanation` is pure: the drop (stage, reason, detail), the recipe and where it came
from, the lock with its pin date, and per phase the exit codes, status counts, failing tests and
the log tail.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agentmt.errors import InputError
from agentmt.types import TaskInstance

FAILED_SHARD = "failed/tasks.jsonl"


def find_task(out_dir: str | Path, task_id: str) -> TaskInstance:
    """The task `task_id` from a stage folder; InputError naming the folder when it is not there."""
    from agentmt.environments.tasks import read_tasks

    out_dir = Path(out_dir)
    for path in (out_dir / FAILED_SHARD, out_dir / "tasks.jsonl"):
        if path.exists():
            for task in read_tasks(path):
                if task.instance_id == task_id:
                    return task
    raise InputError(f"no task {task_id} in {out_dir}: pass the output folder of `env build` or `env validate`")


def stage_tasks(out_dir: str | Path) -> list[TaskInstance]:
    """Every task of a build or validate output folder: the kept ones and `failed/tasks.jsonl`."""
    from agentmt.environments.tasks import read_tasks

    out_dir = Path(out_dir)
    return [t for p in (out_dir / "tasks.jsonl", out_dir / FAILED_SHARD) if p.exists() for t in read_tasks(p)]


def render_explanation(task: TaskInstance, *, max_tests: int = 20, log_lines: int = 40) -> str:
    from agentmt.environments.logtext import clean_log

    v, r = task.validation, task.install
    out = [f"task {task.instance_id}  ({task.repo} @ {task.base_commit[:12]})"]
    drop = v.get("drop")
    if drop:
        out.append(f"DROPPED at {drop.get('stage')}: {drop.get('reason')}")
        out += _indent(clean_log(str(drop.get("detail", ""))).strip().splitlines()[:30])
    else:
        out.append(f"status: {v.get('status', 'unknown')}  outcome: {v.get('outcome', '-')}")
    if "gold_runs" in v:
        out.append(f"gold runs: {v['gold_runs']['passed']} of {v['gold_runs']['of']} pass every graded test")
    if r:
        out.append("recipe:")
        out.append(f"  source: {r.get('source') or 'inferred'}"
                   + "".join(f"; {f['source']} not used: {f['reason']}" for f in v.get("source_fallbacks") or [])
                   + "".join(f"; FROM {s['from']} replaced by {s['to']}" for s in r.get("from_substituted") or []))
    if r and "python" not in r:  # the row's own image (prebuilt or its Dockerfile): no recipe of agentmt's
        graded = " (graded by its exit code)" if r.get("grade_by") == "exit_code" else ""
        out.append(f"  image: {r.get('image') or 'built from the row Dockerfile'}; test: {r.get('test_cmd')}{graded}")
    elif r:
        out.append(f"  python {r.get('python')} (target {r.get('python_target')}, requires-python "
                   f"{r.get('python_spec') or '-'}, stated {r.get('python_stated') or '-'}), base "
                   f"{r.get('base_release')}")
        out.append(f"  sources: {', '.join(r.get('sources') or []) or '-'}")
        out.append(f"  dependencies: {', '.join(r.get('dependencies') or []) or '-'}")
        out.append(f"  test dependencies: {', '.join(r.get('test_dependencies') or []) or '-'}")
        out.append(f"  build dependencies: {', '.join(r.get('build_dependencies') or []) or '-'}")
        if r.get("compiler"):
            out.append("  env layer: with a C toolchain (a dependency had to be compiled)")
        out.append(f"  install: {r.get('install') or '-'}")
        out.append(f"  test: {r.get('test_cmd')} ({r.get('test_runner')})")
        lock = r.get("lock") or []
        exempt = f", exempt from the date: {', '.join(r['pin_exempt'])}" if r.get("pin_exempt") else ""
        out.append(f"lock ({r.get('lock_source', 'none')}, pin date {r.get('pin_date') or 'none'}{exempt}): "
                   f"{len(lock)} packages")
        out += _indent(lock)
    for phase, rec in (v.get("phases") or {}).items():
        status = rec.get("status") or {}
        counts = ", ".join(f"{k}={n}" for k, n in sorted(Counter(status.values()).items())) or "no tests parsed"
        out.append(f"phase {phase}: exit codes {rec.get('exit_codes')}; {counts}")
        bad = sorted(t for t, s in status.items() if s not in ("PASSED", "XFAIL"))
        if bad:
            out.append(f"  not passing ({len(bad)}): " + ", ".join(bad[:max_tests]) + (" ..." if len(bad) > max_tests else ""))
        tail = clean_log(rec.get("log_tail") or "").rstrip().splitlines()[-log_lines:]
        if tail:
            out.append("  log tail:")
            out += _indent(tail, "    ")
    if drop and drop.get("log_tail"):
        out.append("build log tail:")
        out += _indent(clean_log(drop["log_tail"]).rstrip().splitlines()[-log_lines:], "    ")
    if "agreement" in v:
        a = v["agreement"]
        out.append(f"given lists: {a['label']}")
        for name in ("FAIL_TO_PASS", "PASS_TO_PASS"):
            d = a[name]
            out.append(f"  {name}: {d['label']}; missing {d['missing'][:max_tests]}; extra {d['extra'][:max_tests]}")
    from agentmt.environments.setup_agent import render_setup_agent

    out += render_setup_agent(task)
    return "\n".join(out) + "\n"


def _indent(lines: list[str], prefix: str = "  ") -> list[str]:
    return [prefix + line for line in lines]
