"""The held-out split (deterministic, disjoint, order-free) and the benchmark-side decontam report."""

from __future__ import annotations

import json

import pytest

from agentmt.errors import InputError
from agentmt.evaluation.decontam import make_decontam_report
from agentmt.evaluation.split import SplitConfig, make_split, split_tasks
from agentmt.types import CtxDocument, TaskInstance

STATEMENT = ("truncate cuts the text one character past the width when a suffix is given and the caller then "
             "sees a string longer than the requested width which breaks the table layout in reports")
PATCH = "diff --git a/s.py b/s.py\n-    return text[:width] + suffix\n+    return text[: width - len(suffix)] + suffix\n"


def _task(i: int, statement: str = "", patch: str = "") -> TaskInstance:
    return TaskInstance(instance_id=f"o__r-{i}", repo="o/r", base_commit="c" * 40, patch=patch or f"p{i}",
                        test_patch="", problem_statement=statement or f"issue number {i}")


def test_split_is_deterministic_disjoint_and_independent_of_order():
    tasks = [_task(i) for i in range(20)]
    train, held = make_split(tasks, SplitConfig(fraction=0.25, seed=3))
    assert len(held) == 5 and len(train) == 15
    assert not {t.instance_id for t in train} & {t.instance_id for t in held}
    assert {t.instance_id for t in train + held} == {t.instance_id for t in tasks}
    _, held2 = make_split(list(reversed(tasks)), SplitConfig(fraction=0.25, seed=3))
    assert {t.instance_id for t in held2} == {t.instance_id for t in held}
    other = make_split(tasks, SplitConfig(fraction=0.25, seed=4))[1]
    assert {t.instance_id for t in other} != {t.instance_id for t in held}  # the seed draws the set


def test_split_keeps_one_task_per_side_and_refuses_duplicates():
    train, held = make_split([_task(1), _task(2)], SplitConfig(fraction=0.9))
    assert len(train) == len(held) == 1
    with pytest.raises(InputError, match="at least 2"):
        make_split([_task(1)], SplitConfig())
    with pytest.raises(InputError, match="twice"):
        make_split([_task(1), _task(1)], SplitConfig())


def test_split_tasks_writes_two_readable_folders(tmp_path):
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl

    write_tasks_jsonl([_task(i) for i in range(7)], tmp_path / "all.jsonl")
    ids = split_tasks(tmp_path / "all.jsonl", tmp_path / "split", "fraction=0.3", "seed=0")
    again = split_tasks(tmp_path / "all.jsonl", tmp_path / "split2", "fraction=0.3", "seed=0")
    assert ids == again and len(ids["heldout"]) == 2
    for side in ("train", "heldout"):
        assert [t.instance_id for t in read_tasks(tmp_path / "split" / side)] == ids[side]
        m = json.loads((tmp_path / "split" / side / "manifest.json").read_text())
        assert m["extra"]["instance_ids"] == ids[side] and m["config"] == {"fraction": 0.3, "seed": 0}


def test_decontam_flags_a_task_whose_text_reached_the_training_data(tmp_path):
    from agentmt import io

    leaked, clean = _task(1, STATEMENT, PATCH), _task(2, "the tokenizer drops unicode letters " * 3)
    doc = CtxDocument(text=f"# PR\n{STATEMENT.upper()}\n\n{PATCH}", id="o/r#1/py", repo="o/r", pr_number=1,
                      format="py", num_tokens=10, base_sha="", head_sha="")
    other = CtxDocument(text="an unrelated document " * 20, id="o/r#9/py", repo="o/r", pr_number=9, format="py",
                        num_tokens=10, base_sha="", head_sha="")
    io.write_records(tmp_path / "ctx" / io.shard_name(0), [doc, other], CtxDocument)
    r = make_decontam_report([leaked, clean], [tmp_path / "ctx"], threshold=0.10)
    assert r["documents"] == 2 and r["flagged"] == ["o__r-1"]
    assert r["instances"]["o__r-1"]["leakage"] == 1.0  # case and layout are invisible to word 13-grams
    assert r["instances"]["o__r-1"]["max_document"].endswith(":o/r#1/py")
    assert r["instances"]["o__r-2"] == {**r["instances"]["o__r-2"], "leakage": 0.0, "flagged": False}
    assert r["summary"] == {"num_instances": 2, "num_flagged": 1, "max_leakage": 1.0}
    assert make_decontam_report([leaked], [], threshold=0.1)["flagged"] == []


def test_decontam_threshold_is_inclusive_and_partial_overlap_is_a_ratio(tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl

    task = _task(1, STATEMENT, PATCH)
    words = STATEMENT.split()
    write_tasks_jsonl([_task(5, " ".join(words[:16]))], tmp_path / "train.jsonl")  # 4 of the task's 13-grams
    r = make_decontam_report([task], [tmp_path / "train.jsonl"], threshold=0.10)
    ratio = r["instances"]["o__r-1"]["leakage"]
    assert 0 < ratio < 1 and ratio == round(4 / r["instances"]["o__r-1"]["ngrams"], 4)
    exact = 4 / r["instances"]["o__r-1"]["ngrams"]
    assert make_decontam_report([task], [tmp_path / "train.jsonl"], threshold=exact)["flagged"] == ["o__r-1"]
    assert make_decontam_report([task], [tmp_path / "train.jsonl"], threshold=exact + 1e-9)["flagged"] == []


def test_decontam_reads_a_d_env_folder_of_pass_and_fail_subfolders(tmp_path):
    """envdata render writes mt/{pass,fail} and sft/{pass,fail}: plain text and chat rows, no top-level shard."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from agentmt.evaluation.decontam import training_texts

    for sub, rows in {"mt/pass": [{"id": "a", "text": "alpha"}], "mt/fail": [{"id": "b", "text": "beta"}],
                      "sft/pass": [{"id": "c", "messages": [{"role": "user", "content": "gamma"}]}]}.items():
        (tmp_path / sub).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / sub / "part-00000.parquet")
    assert sorted(training_texts(tmp_path)) == [("a", "alpha"), ("b", "beta"), ("c", "gamma")]
    (tmp_path / "bad").mkdir()
    pq.write_table(pa.Table.from_pylist([{"x": 1}]), tmp_path / "bad" / "part-00000.parquet")
    import pytest

    from agentmt.errors import InputError
    with pytest.raises(InputError, match="row 0 has no text"):
        list(training_texts(tmp_path / "bad"))
