"""The ctx stage end to end: filters with reasons, tokens, resumable shards, datasets, CLI, LLM path."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest
from prfixtures import make_golden_pr, make_pr
from typer.testing import CliRunner

from agentmt import io
from agentmt.cli.main import app
from agentmt.corpus.render import render_ctx
from agentmt.errors import InputError, StageConflictError
from agentmt.types import Comment, Issue, PullRequest


def _write_prs(folder, shards):
    for i, prs in enumerate(shards):
        io.write_records(folder / io.shard_name(i), prs, PullRequest)
    return folder


@pytest.fixture
def prs_dir(tmp_path, embedded_checkpoint):
    ok = make_golden_pr()
    small = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}], number=1)
    dup = make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 3\n"}], number=1)
    swe = make_pr([{"a.py": "x\n"}, {"a.py": "y\n"}], number=2)
    swe.repo = "Django/django"
    chatty = make_pr([{"a.py": "x\n"}, {"a.py": "y\n"}], number=3)
    chatty.issue = Issue(9, "t", "b", comments=[Comment(i, "u", "c", "") for i in range(21)])
    binary = make_pr([{"m.py": b"\x00"}, {"m.py": b"\x01"}], number=4)
    lines = "".join(f"value_{i} = {i}\n" for i in range(2000))
    big = make_pr([{"big.py": lines}, {"big.py": lines + "end = True\n"}], number=5)
    return _write_prs(tmp_path / "prs", [[ok, small, swe, binary], [dup, chatty, big]])


def test_py_stage_filters_counts_and_resumes(prs_dir, tmp_path):
    out = tmp_path / "py"
    m = render_ctx(prs_dir, out, "py", "max_tokens=8000", no_llm=True)
    assert m.drops == {"duplicate": 1, "swebench_verified_repo": 1, "issue_too_many_comments": 1,
                       "binary_file": 1, "too_long": 1}
    assert m.counts["input"] == 7 and m.counts["kept"] == 2
    assert m.counts["roundtrip_checked"] == m.counts["roundtrip_passed"] == 3
    rows = list(io.read_rows(out))
    assert [r["id"] for r in rows] == ["acme/widgets#42/py", "acme/widgets#1/py"]
    assert all(r["num_tokens"] > 0 and r["format"] == "py" for r in rows)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["extra"]["tokens"]["py"] == sum(r["num_tokens"] for r in rows)
    assert manifest["extra"]["retention"]["8K"] == pytest.approx(2 / 3)
    assert manifest["config"]["max_tokens"] == 8000 and manifest["config"]["format"] == "py"
    # Rerun: finished shards are skipped (files untouched), the manifest is the same.
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    (out / ".done" / io.shard_name(1)).unlink()  # shard 1 is redone, with shard 0's dedup keys
    m2 = render_ctx(prs_dir, out, "py", "max_tokens=8000", no_llm=True)
    assert (out / io.shard_name(0)).stat().st_mtime_ns == mtimes[io.shard_name(0)]
    assert (m2.counts, m2.drops) == (m.counts, m.drops)
    assert list(io.read_rows(out)) == rows
    # Other settings or another input folder: refused in one line, redone with force.
    with pytest.raises(StageConflictError, match="pass --force"):
        render_ctx(prs_dir, out, "py", "max_tokens=100000", no_llm=True)
    other = _write_prs(tmp_path / "other", [[make_pr([{"b.py": "y = 1\n"}, {"b.py": "y = 2\n"}], number=7)]])
    with pytest.raises(StageConflictError, match="pass --force"):
        render_ctx(other, out, "py", "max_tokens=8000", no_llm=True)
    m3 = render_ctx(prs_dir, out, "py", "max_tokens=100000", no_llm=True, force=True)
    assert m3.counts["kept"] == 3 and "too_long" not in m3.drops


def test_gen_stage_loads_with_datasets(prs_dir, tmp_path):
    import datasets

    out = tmp_path / "gen"
    m = render_ctx(prs_dir, out, "gen", no_llm=True)
    assert m.counts["kept"] == 4 and "binary_file" not in m.drops  # gen marks binaries instead
    ds = datasets.load_dataset("parquet", data_files=sorted(str(p) for p in out.glob("*.parquet")), split="train")
    assert ds.column_names == ["text", "id", "repo", "pr_number", "format", "num_tokens", "base_sha", "head_sha"]
    assert set(ds["format"]) == {"gen"} and "Response:\n<pr> Title:" in ds[0]["text"]
    assert pq.read_schema(out / io.shard_name(0)).field("pr_number").type == "int64"


def test_malformed_input_is_one_line_input_error(tmp_path, embedded_checkpoint):
    io.write_parquet(tmp_path / "bad" / "part-00000.parquet", [{"foo": 1}])
    with pytest.raises(InputError, match="part-00000.parquet was not written by agentmt"):
        render_ctx(tmp_path / "bad", tmp_path / "out", "py", no_llm=True)
    with pytest.raises(InputError, match="does not exist"):
        render_ctx(tmp_path / "missing", tmp_path / "out", "py", no_llm=True)


def test_cli_render_and_stats(prs_dir, tmp_path):
    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["ctx", "render", str(prs_dir), "--format", "gen", "--out", str(out), "--no-llm",
                                 "-c", "progress=false"])
    assert r.exit_code == 0, r.output
    assert "4 gen documents" in r.output
    r = CliRunner().invoke(app, ["ctx", "stats", str(out)])
    assert r.exit_code == 0, r.output
    assert "gen" in r.output and "duplicate" in r.output and "p95" in r.output


class _FakeOpenAI(BaseHTTPRequestHandler):
    """A stand-in OpenAI-compatible endpoint (the external service), answering every chat the same."""

    def _send(self, data):
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send({"data": [{"id": "fake"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send({"choices": [{"message": {"role": "assistant", "content": "Enhanced by the LLM."}}]})

    def log_message(self, *args):
        pass


def test_llm_path_fills_summary_and_messages(tmp_path, embedded_checkpoint):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        prs = _write_prs(tmp_path / "prs", [[make_pr([{"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}])]])
        url = f"http://127.0.0.1:{server.server_port}/v1"
        m = render_ctx(prs, tmp_path / "out", "py", f"llm.base_url={url}", "llm.model=fake",
                       f"llm.cache_dir={tmp_path / 'cache'}")
    finally:
        server.shutdown()
    (row,) = io.read_rows(tmp_path / "out")
    assert row["text"].count("Enhanced by the LLM.") == 2  # summary + refined commit message
    assert "Commit 0" not in row["text"] and m.counts["roundtrip_passed"] == 1
