"""The report on a partial run folder made by the real commands (demo repository, mine git, ctx
render without LLM, the packaged trajectories): figures match the stages' own manifests."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from agentmt.cli.main import app


def _agentmt(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_report_of_a_real_partial_run(tmp_path):
    run = tmp_path / "run"
    _agentmt("demo", "init", str(run / "demo"))
    _agentmt("mine", "git", str(run / "demo" / "repo"), "--metadata", str(run / "demo" / "metadata"),
             "--out", str(run / "prs-py"))
    _agentmt("ctx", "render", str(run / "prs-py"), "--format", "py", "--out", str(run / "ctx-py"), "--no-llm")
    _agentmt("demo", "trajectories", str(run / "trajectories"))
    _agentmt("report", str(run))

    html = (run / "report" / "index.html").read_text()
    ctx = json.loads((run / "ctx-py" / "manifest.json").read_text())
    assert f"{ctx['extra']['tokens']['py']:,}" in html
    prs = json.loads((run / "prs-py" / "manifest.json").read_text())
    for reason in prs["drops"]:
        assert reason in html
    for absent in ["No environment stages", "No training stages", "No evaluation stages", "No pipeline timings"]:
        assert absent in html
    pages = [p for p in (run / "report" / "trajectories" / "trajectories").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 4  # demo trajectories writes 4 runs of its fixture task
    page = pages[0].read_text()
    assert re.search(r'<section class="step" id="step-1">', page) and 'id="diff"' in page and 'id="tests"' in page
