"""The report on full, partial and empty run folders, and the viewer's escaping and folding."""

from __future__ import annotations

import json
import re

import pytest
from report_runfolder import HOSTILE, make_full_run, make_trajectory

from agentmt.errors import UserError
from agentmt.report import build_report
from agentmt.report.viewer import page_name, render_trajectory

SECTIONS = ["pipeline", "stages", "tokens", "drops", "environments", "gold", "rollouts", "training", "evaluation"]


def _section(index: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>\s*(?=<section id=|</body>)', index, re.DOTALL).group(1)


def test_full_run_has_every_plot_and_figure(tmp_path):
    run = make_full_run(tmp_path / "run")
    index = build_report(run, tmp_path / "out")
    html = index.read_text()
    for png in ["tokens.png", "drops.png", "environments.png", "gold_validity.png", "rollouts.png", "loss.png",
                "pass_at_1.png"]:
        assert (index.parent / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f'src="{png}"' in html
    assert 'class="absent"' not in html  # every section found its data
    manifest = json.loads((index.parent / "manifest.json").read_text())
    assert manifest["stage"] == "report" and manifest["extra"]["sections_absent"] == []
    assert manifest["counts"] == {"stage_outputs": 14, "trajectory_pages": 7}
    assert "12,868" in _section(html, "tokens") and "env:fail" in _section(html, "tokens")
    assert "too_many_python_files" in _section(html, "drops")
    pipe = _section(html, "pipeline")
    assert "42.5 s" in pipe and '<span class="failed">failed</span>' in pipe and "&lt;no daemon&gt;" in pipe
    envs = _section(html, "environments")
    assert "3 of 4" in envs and "75%" in envs and "1 flaky tests in 1 of 2 tasks" in envs
    assert "33%" in _section(html, "rollouts")  # 1 of 3 trajectories resolved
    training = _section(html, "training")
    assert "stage2_ctx_py_env" in training and "1.4000" in training and "1 unreadable line" in training
    ev = _section(html, "evaluation")
    # before (embedded, 0%) comes first, after (sft, 50%) second
    assert ev.index("eval-base") < ev.index("eval-sft") and "0.0%" in ev and "50.0%" in ev
    assert "+50.0 percentage points" in ev


def test_stage_times_tokens_and_the_stage_count_agree_across_sections(tmp_path):
    index = build_report(make_full_run(tmp_path / "run"), tmp_path / "out")
    html = index.read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r"<tr><td><code>([^<]+)</code></td>(.*?)</tr>", _section(html, "stages"))}
    # the Stages table's wall time is the pipeline's figure (a stage-end manifest has no real start)
    assert "<td>1368.2 s</td>" in rows["ctx-py"] and "<td>41.0 s</td>" in rows["envs"]
    assert "<td>75.3 s</td>" in rows["eval-base"] and "<td>in eval-base</td>" in rows["eval-base/runs"]
    pipe = _section(html, "pipeline")
    assert "<td>1368.2 s</td>" in pipe
    # one stage count: the header's, the Pipeline section's and its rows (the report stage, running, included)
    num_rows = len(re.findall(r"<tr><td><code>", pipe))
    assert num_rows == 5 and "<code>report</code>" in pipe and "running" in pipe
    assert f"pipeline <code>demo</code> of {num_rows} stages (14 output folders with a manifest)" in html
    assert f"{num_rows} stages, 42.5 s this run" in pipe
    # the loss table's tokens: MT stages' doc_tokens, SFT's tokens
    training = _section(html, "training")
    assert "8,761" in training and "81,384" in training and "4,096" in training


def test_per_task_results_link_to_the_eval_trajectories(tmp_path):
    index = build_report(make_full_run(tmp_path / "run"), tmp_path / "out")
    ev = _section(index.read_text(), "evaluation")
    links = re.findall(r'href="(trajectories/[^"]+)"', ev)
    assert len(links) == 4  # 2 tasks x 2 evals, one run each
    for link in links:
        assert (index.parent / link).is_file()
    assert any("eval-sft_runs" in link for link in links)


def test_partial_run_says_what_is_missing(tmp_path):
    run = tmp_path / "run"
    make_full_run(tmp_path / "full")
    (run).mkdir()
    (tmp_path / "full" / "ctx-py").rename(run / "ctx-py")
    (run / "broken").mkdir()
    (run / "broken" / "manifest.json").write_text('{"stage": "mine_')  # killed while writing
    (run / "eval-half").mkdir()
    (run / "eval-half" / "manifest.json").write_text('{"stage": "eval", "counts": {}}')  # no report.json
    html = build_report(run, tmp_path / "out").read_text()
    assert "12,868" in _section(html, "tokens")
    assert "No environment stages" in _section(html, "environments")
    assert "No rollout stages" in _section(html, "rollouts")
    assert "No training stages" in _section(html, "training")
    assert "no report.json" in _section(html, "evaluation")
    assert "No pipeline timings" in _section(html, "pipeline")
    absent = json.loads((tmp_path / "out" / "manifest.json").read_text())["extra"]["sections_absent"]
    assert absent == ["pipeline", "environments", "gold", "rollouts", "training"]
    assert "broken/manifest.json" in _section(html, "stages")


def test_empty_folder_gives_a_report_and_a_missing_one_a_user_error(tmp_path):
    html = build_report(tmp_path, tmp_path / "report").read_text()
    assert html.count('class="absent"') == len(SECTIONS)
    with pytest.raises(UserError, match="not a folder"):
        build_report(tmp_path / "nope")


def test_report_folder_inside_the_run_is_not_read_as_a_stage(tmp_path):
    run = make_full_run(tmp_path / "run")
    (run / "report").mkdir()
    (run / "report" / "manifest.json").write_text('{"stage": "eval"}')  # e.g. the pipeline's own manifest
    html = build_report(run).read_text()
    assert "<code>report</code>" not in _section(html, "stages")


def test_viewer_escapes_everything_and_folds_long_observations():
    traj = make_trajectory("a/<0>", "a<b>", 0, 100, True, HOSTILE)
    html = render_trajectory(traj, "../index.html", None, "next.html")
    assert "<script>" not in html and "&lt;script&gt;window.__pwned" in html
    assert "+new &lt;/pre&gt;" in html and "a&lt;b&gt;" in html  # the diff and the id, escaped
    assert html.count('class="step"') == 100 and 'href="#step-100"' in html
    assert html.count("<details>") == 1  # step 3's 400-line observation, and nothing short
    assert "tests/test_x.py::test_b</code></td><td class=\"FAILED\">FAILED" in html
    assert page_name("a/<0>") != page_name("a_<0>") and "/" not in page_name("a/<0>")


def test_cli_report(tmp_path):
    from typer.testing import CliRunner

    from agentmt.cli.main import app

    run = make_full_run(tmp_path / "run")
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "index.html").is_file() and str(tmp_path / "o" / "index.html") in result.output
