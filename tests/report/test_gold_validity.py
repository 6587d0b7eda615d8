"""The report's gold validity section is computed from an env validate output's task records."""

from __future__ import annotations

import re

from report_runfolder import make_full_run, write_validated_tasks

from agentmt.report import build_report


def _gold(index) -> str:
    html = index.read_text()
    return re.search(r'<section id="gold">(.*?)</section>', html, re.DOTALL).group(1)


def _rows(section: str) -> dict[str, str]:
    """dataset -> its row's cells (the summary table), hover titles left out."""
    rows = {}
    for m in re.finditer(r'<tr><td><code>tasks-valid</code></td><td><span title="([^"]*)">([^<]+)</span></td>(.*?)</tr>',
                         section):
        rows[m.group(2)] = (m.group(1), re.findall(r"<td>(.*?)</td>", m.group(3)))
    return rows


def test_gold_validity_per_dataset_and_per_task(tmp_path):
    gold = _gold(build_report(make_full_run(tmp_path / "run"), tmp_path / "out"))
    assert 'src="gold_validity.png"' in gold and (tmp_path / "out" / "gold_validity.png").is_file()
    rows = _rows(gold)
    hover, cells = rows["swe-rebench"]
    # t1 3/3 and t2 2/3 kept, t4 dropped at validation with 0/3: one of three passes every gold run
    assert cells == ["1 of 3", "33.3%", "0/3: 1, 2/3: 1, 3/3: 1", "0"]
    assert hover == "t1: 3/3; t2: 2/3; t4: 0/3"
    assert rows["mined"][1][:2] == ["1 of 1", "100.0%"]
    assert "<td>t4</td><td>swe-rebench</td><td>swe_rebench</td><td>0/3</td><td>gold_not_resolved</td>" in gold


def test_the_figure_follows_the_records(tmp_path):
    run = make_full_run(tmp_path / "run")
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl

    tasks = list(read_tasks(run / "tasks-valid" / "tasks.jsonl"))
    tasks[1].validation["gold_runs"]["passed"] = 3  # t2 now passes every run too
    write_tasks_jsonl(tasks, run / "tasks-valid" / "tasks.jsonl")
    cells = _rows(_gold(build_report(run, tmp_path / "out")))["swe-rebench"][1]
    assert cells[:2] == ["2 of 3", "66.7%"]


def test_a_validate_output_without_records_says_so(tmp_path):
    run = make_full_run(tmp_path / "run")
    (run / "tasks-valid" / "tasks.jsonl").unlink()
    (run / "tasks-valid" / "failed" / "tasks.jsonl").unlink()
    gold = _gold(build_report(run, tmp_path / "out"))
    assert 'class="absent"' in gold and "no task records" in gold
    write_validated_tasks(run / "tasks-valid")  # the helper writes both files again
    assert "1 of 3" in _gold(build_report(run, tmp_path / "out2"))
