"""Records ↔ typed Arrow columns: lossless (property test), real columns for duckdb/datasets,
versioned metadata checked on read, one-line errors for malformed inputs."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmt import io
from agentmt.errors import InputError
from agentmt.records import arrow_schema
from agentmt.types import (
    Comment,
    Commit,
    CtxDocument,
    FileChange,
    FileSnapshot,
    FunctionCall,
    Issue,
    Message,
    PullRequest,
    Review,
    StepStats,
    TaskInstance,
    ToolCall,
    Trajectory,
)

text = st.text(max_size=12)  # any unicode: non-ASCII, NUL, surrogates excluded by hypothesis' default
opt_text = st.none() | text
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=False)
small_lists = {"max_size": 3}
json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**9, 10**9) | text,
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(text, kids, max_size=3),
                           max_leaves=8)

changes = st.builds(FileChange, status=st.sampled_from(["added", "modified", "deleted", "renamed"]),
                    old_path=opt_text, new_path=opt_text, diff=text, binary=st.booleans())
commits = st.builds(Commit, sha=text, message=text, author=text, date=text,
                    changes=st.lists(changes, **small_lists), parents=st.lists(text, **small_lists),
                    refined_message=opt_text)
comments = st.builds(Comment, id=ints, author=text, body=text, created_at=text, path=opt_text,
                     diff_hunk=opt_text, line=st.none() | ints, in_reply_to_id=st.none() | ints,
                     review_id=st.none() | ints)
reviews = st.builds(Review, id=ints, author=text, state=text, body=text, submitted_at=text)
snapshots = st.builds(FileSnapshot, path=text, content=opt_text, binary=st.booleans())
issues = st.builds(Issue, number=ints, title=text, body=text, author=text, comments=st.lists(comments, **small_lists))
prs = st.builds(
    PullRequest, id=text, repo=text, number=ints, title=text, body=text, author=text, base_sha=text,
    snapshot_sha=text, head_sha=text, merge_sha=text, merge_kind=st.sampled_from(["merge", "squash", "synthetic"]),
    commits=st.lists(commits, **small_lists), relevant_files=st.lists(snapshots, **small_lists),
    head_files=st.lists(snapshots, **small_lists), linked_issues=st.lists(ints, **small_lists),
    issue=st.none() | issues, comments=st.lists(comments, **small_lists), reviews=st.lists(reviews, **small_lists),
    review_comments=st.lists(comments, **small_lists), summary=opt_text,
)
tasks = st.builds(
    TaskInstance, instance_id=text, repo=text, base_commit=text, patch=text, test_patch=text,
    problem_statement=text, FAIL_TO_PASS=st.lists(text, **small_lists), PASS_TO_PASS=st.lists(text, **small_lists),
    install=st.dictionaries(text, json_values, max_size=3), validation=st.dictionaries(text, json_values, max_size=3),
)
messages = st.builds(Message, role=text, content=opt_text,
                     tool_calls=st.lists(st.builds(ToolCall, id=text, function=st.builds(FunctionCall, name=text,
                                                                                        arguments=text)), max_size=2),
                     tool_call_id=opt_text, name=opt_text, reasoning_content=opt_text)
trajectories = st.builds(
    Trajectory, id=text, instance_id=text, run_index=ints, model=text, messages=st.lists(messages, **small_lists),
    resolved=st.none() | st.booleans(), tests_status=st.dictionaries(text, text, max_size=3),
    report=st.dictionaries(text, json_values, max_size=3), seed=st.none() | ints,
    steps=st.lists(st.builds(StepStats, prompt_tokens=ints, completion_tokens=ints, model_time_s=floats,
                             tool_time_s=floats), **small_lists),
    timings=st.dictionaries(text, floats, max_size=3), config=st.dictionaries(text, json_values, max_size=3),
)

roundtrip = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _roundtrip(tmp_path, records, cls):
    path = tmp_path / "part-00000.parquet"
    io.write_records(path, records, cls)
    return list(io.read_records(path, cls))


@roundtrip
@given(st.lists(prs, max_size=3))
def test_pull_requests_roundtrip_losslessly(tmp_path, records):
    assert _roundtrip(tmp_path, records, PullRequest) == records


@roundtrip
@given(st.lists(tasks, max_size=3))
def test_tasks_roundtrip_losslessly(tmp_path, records):
    assert _roundtrip(tmp_path, records, TaskInstance) == records


@roundtrip
@given(st.lists(trajectories, max_size=3))
def test_trajectories_roundtrip_losslessly(tmp_path, records):
    back = _roundtrip(tmp_path, records, Trajectory)
    assert back == records
    assert [list(t.tests_status) for t in back] == [list(t.tests_status) for t in records]  # dict order kept


@roundtrip
@given(st.lists(st.builds(CtxDocument, text=text, id=text, repo=text, pr_number=ints, format=text, num_tokens=ints,
                          base_sha=text, head_sha=text), max_size=3))
def test_ctx_documents_roundtrip_losslessly(tmp_path, records):
    assert _roundtrip(tmp_path, records, CtxDocument) == records


def test_schema_is_typed_and_nested():
    import pyarrow as pa

    schema = arrow_schema(PullRequest)
    assert schema.field("number").type == pa.int64() and not schema.field("number").nullable
    assert schema.field("summary").nullable and schema.field("issue").nullable
    commit = schema.field("commits").type.value_type
    assert commit.field("changes").type.value_type.field("status").type == pa.large_string()
    tstatus = arrow_schema(Trajectory).field("tests_status").type.value_type
    assert [f.name for f in tstatus] == ["key", "value"]  # dict[str, str] as a key/value list
    assert arrow_schema(TaskInstance).field("install").type == pa.large_string()  # dict[str, Any] as JSON


def _pr(n: int) -> PullRequest:
    return PullRequest(
        id=f"o/r#{n}", repo="o/r", number=n, title=f"tïtle {n}", body="b", author="a", base_sha="b" * 40,
        snapshot_sha="s" * 40, head_sha="h" * 40, merge_sha="m" * 40, merge_kind="merge",
        commits=[Commit(sha=f"{k}" * 40, message="m", author="a", date="2024-01-01T00:00:00Z",
                        changes=[FileChange(status="modified", old_path="x.py", new_path="x.py", diff="@@\n")])
                 for k in range(n % 3 + 1)],
        head_files=[FileSnapshot(path="x.py", content="b\n")], issue=Issue(number=1, title="i", body="ib"),
    )


def test_duckdb_and_datasets_see_real_columns(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    import datasets

    io.write_records(tmp_path / "prs" / io.shard_name(0), [_pr(n) for n in range(1, 4)], PullRequest)
    rows = duckdb.sql(f"select number, len(commits), issue.title from '{tmp_path}/prs/*.parquet' "
                      "order by number").fetchall()
    assert rows == [(1, 2, "i"), (2, 3, "i"), (3, 1, "i")]
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "prs" / "*.parquet"), split="train")
    assert ds[0]["commits"][0]["changes"][0]["new_path"] == "x.py" and ds["title"][0] == "tïtle 1"


def test_written_bytes_are_deterministic(tmp_path):
    docs = [CtxDocument(text="t", id="a/py", repo="o/r", pr_number=1, format="py", num_tokens=3,
                        base_sha="b", head_sha="h")]
    io.write_records(tmp_path / "a.parquet", docs, CtxDocument)
    io.write_records(tmp_path / "b.parquet", docs, CtxDocument)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_type_and_format_are_checked_on_read(tmp_path):
    path = tmp_path / "part-00000.parquet"
    io.write_records(path, [_pr(1)], PullRequest)
    assert io.record_meta(path)["record"] == "PullRequest"
    with pytest.raises(InputError, match=r"part-00000.parquet holds PullRequest records, not TaskInstance"):
        list(io.read_records(path, TaskInstance))
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[io.RECORD_META_KEY])
    pq.write_table(table.replace_schema_metadata({io.RECORD_META_KEY: json.dumps({**meta, "format": 99})}),
                   tmp_path / "newer.parquet")
    with pytest.raises(InputError, match=r"newer.parquet holds PullRequest format 99, this agentmt reads format 1"):
        list(io.read_records(tmp_path / "newer.parquet", PullRequest))
    io.write_parquet(tmp_path / "other.parquet", [{"foo": 1}])
    with pytest.raises(InputError, match=r"other.parquet was not written by agentmt"):
        list(io.read_records(tmp_path / "other.parquet", PullRequest))
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"junk.parquet is not a readable Parquet file"):
        list(io.read_records(tmp_path / "junk.parquet", PullRequest))


def test_malformed_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "prs.jsonl"
    path.write_text(json.dumps(_pr(1).to_dict()) + "\n\n{broken\n")
    with pytest.raises(InputError, match=r"prs.jsonl:3: not valid JSON"):
        list(io.read_records(path, PullRequest))
    path.write_text(json.dumps(_pr(1).to_dict()) + "\n" + json.dumps({"id": "x"}) + "\n")
    with pytest.raises(InputError, match=r"prs.jsonl line 2 is not a valid PullRequest"):
        list(io.read_records(path, PullRequest))
    path.write_text(json.dumps(_pr(2).to_dict()) + "\n")
    assert list(io.read_records(path, PullRequest)) == [_pr(2)]


def test_none_in_a_required_field_fails_the_write_not_the_reader(tmp_path):
    bad = _pr(1)
    bad.title = None
    with pytest.raises(TypeError, match="PullRequest records do not fit their schema"):
        io.write_records(tmp_path / "x.parquet", [bad], PullRequest)
    assert not (tmp_path / "x.parquet").exists()
