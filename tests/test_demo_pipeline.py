"""End to end on the embedded demo: demo → mine → D_ctx (py and gen), checked against git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentmt import io


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from agentmt.corpus.render import render_ctx
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    out = tmp_path_factory.mktemp("demo-pipeline")
    info = build_demo(out / "demo")
    manifests = {}
    for fmt in ("py", "gen"):
        mine_git(info.repo_path, out / f"prs-{fmt}", f"filters.profile={fmt}", "progress=false",
                 metadata_dir=info.metadata_dir)
        manifests[fmt] = render_ctx(out / f"prs-{fmt}", out / f"ctx-{fmt}", fmt, "progress=false", no_llm=True)
    return info, out, manifests


def _git_show(repo: Path, sha: str, path: str) -> bytes | None:
    r = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{path}"], capture_output=True)
    return r.stdout if r.returncode == 0 else None


def test_every_kept_py_document_replays_to_the_git_head(pipeline):
    from agentmt.corpus.edits import apply_edits
    from agentmt.corpus.render_py import parse_py_document

    info, out, manifests = pipeline
    m = manifests["py"]
    rows = list(io.read_rows(out / "ctx-py"))
    assert len(rows) >= 12, "the demo should yield a dozen py documents"
    assert m.counts["roundtrip_checked"] == m.counts["roundtrip_passed"] == len(rows)
    assert "roundtrip_failed" not in m.drops
    for row in rows:
        # Independent of the miner: parse the document text and compare with `git show head:path`.
        files, edits = parse_py_document(row["text"])
        final = apply_edits(files, edits)
        assert files or final, row["id"]
        for path, content in final.items():
            truth = _git_show(info.repo_path, row["head_sha"], path)
            if content is None:
                continue  # binary non-Python file shown as a note, not replayable text
            assert truth is not None and truth.decode("utf-8") == content, (row["id"], path)
        for path in files:
            if path not in final:  # deleted by the PR
                assert _git_show(info.repo_path, row["head_sha"], path) is None, (row["id"], path)


def test_bugfix_prs_with_issues_render_their_issue_section(pipeline):
    info, out, _ = pipeline
    by_number = {r["pr_number"]: r for r in io.read_rows(out / "ctx-py")}
    rendered_fixes = [n for n in info.bugfix_prs if n in by_number]
    assert len(rendered_fixes) >= 5
    for n in rendered_fixes:
        text = by_number[n]["text"]
        order = [text.index(h) for h in ("# Repository Context", "# Issue", "# Pull Request",
                                         "# Relevant Files Found", "# Edits")]
        assert order == sorted(order), n


def test_gen_documents_cover_prs_the_py_filters_drop(pipeline):
    info, out, manifests = pipeline
    gen = {r["pr_number"]: r for r in io.read_rows(out / "ctx-gen")}
    py = {r["pr_number"] for r in io.read_rows(out / "ctx-py")}
    assert set(info.features["docs_only"]) <= set(gen) and not set(info.features["docs_only"]) & py
    assert not set(info.features["bot"]) & set(gen), "bot PRs are dropped in both profiles"
    for text in (r["text"] for r in gen.values()):
        assert text.startswith("# Repository Context") and "\nResponse:\n" in text
        assert "<pr_is_merged> True" in text


def test_outputs_load_with_datasets_and_record_how_they_were_made(pipeline):
    import datasets

    _, out, _ = pipeline
    for fmt in ("py", "gen"):
        files = [str(p) for p in io.shard_files(out / f"ctx-{fmt}")]
        ds = datasets.load_dataset("parquet", data_files=files, split="train")
        assert set(ds.column_names) >= {"text", "id", "repo", "pr_number", "format", "num_tokens",
                                        "base_sha", "head_sha"}
        assert set(ds["format"]) == {fmt} and min(ds["num_tokens"]) > 0
        manifest = io.read_manifest(out / f"ctx-{fmt}")
        assert manifest["config"]["format"] == fmt and manifest["agentmt_version"]
        assert manifest["extra"]["input_manifest"]["stage"]


@pytest.mark.slow
def test_demo_training_presets_run_on_the_embedded_model(pipeline, embedded_checkpoint):
    """The presets `make demo` uses: real SmolLM2-135M, MT on the demo's D_ctx (+ D_env), then SFT."""
    import json

    from agentmt.envdata.render import render_env
    from agentmt.sources.demo.trajectories import write_fixture_trajectories
    from agentmt.training.checkpoint import read_metadata
    from agentmt.training.mt import run_mt
    from agentmt.training.sft import run_sft

    _, out, _ = pipeline
    # the packaged trajectories stand in for rollouts here; `make demo` renders real ones the same way
    write_fixture_trajectories(out / "rollouts")
    render_env([out / "rollouts"], out / "d-env")
    small = ["max_steps=2", "seq_len=64", "global_batch_size=2", "micro_batch_size=1"]
    mt_final = run_mt("train_mt_demo", f"data_root={out}", f"output_dir={out / 'mt'}", *small)
    assert mt_final == out / "mt" / "stage2_ctx_py_env" / "final"
    meta = read_metadata(mt_final)
    assert meta["base_model"] == str(out / "mt" / "stage1_ctx_gen" / "final")
    stage2 = json.loads((out / "mt" / "stage2_ctx_py_env" / "manifest.json").read_text())
    assert stage2["counts"]["optimizer_steps"] == 2
    assert stage2["counts"]["rows:d-env/mt/pass"] == 2 and stage2["counts"]["rows:d-env/mt/fail"] == 2

    sft_final = run_sft("train_sft_demo", f"data_root={out}", f"output_dir={out / 'sft'}", f"model={mt_final}",
                        "max_steps=2", "seq_len=384")
    sft_manifest = json.loads((out / "sft" / "manifest.json").read_text())
    assert 0 < sft_manifest["counts"]["assistant_tokens"] < sft_manifest["counts"]["tokens"]
    assert (sft_final / "model.safetensors").exists() and (sft_final / "chat_template.jinja").exists()
