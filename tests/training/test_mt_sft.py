"""MT (both stages) and SFT end to end on CPU through the CLI, with checkpoints and a golden loss curve.

Golden: tests/training/golden/loss_curves.json (regenerate with `python scripts/update_goldens.py`).
"""

from __future__ import annotations

import json

import pytest
from goldens import check_json
from trainhelp import GOLDEN, mt_config, write_yaml
from typer.testing import CliRunner

from agentmt.cli.main import app
from agentmt.training.checkpoint import read_metadata
from agentmt.training.trainer import LOSS_LOG, read_step_log

LOSS_ATOL = 2e-3  # CPU kernels differ a little between machines; the tiny model's losses by ~1e-5


def _losses(stage_dir):
    rows = list(read_step_log(stage_dir / LOSS_LOG).values())
    # A golden step at learning rate 0 would pin nothing: every logged step must train.
    assert all(row["learning_rate"] > 0 for row in rows), rows
    return [row["loss"] for row in rows]


def _compare_curves(curves, expected):
    for name, losses in curves.items():
        # The curve must move by far more than the tolerance, or matching it would prove nothing.
        assert losses[0] - losses[-1] > 10 * LOSS_ATOL, (name, losses)
        assert losses == pytest.approx(expected[name], abs=LOSS_ATOL), name


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_mt_two_stages_then_sft(data_dirs, tiny_checkpoint, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    runner = CliRunner()
    cfg = write_yaml(tmp_path / "mt.yaml", mt_config(data_dirs, tiny_checkpoint, tmp_path / "mt"))
    res = runner.invoke(app, ["train", "mt", str(cfg), "-c", "max_steps=4"])
    assert res.exit_code == 0, res.output
    final = tmp_path / "mt" / "s2" / "final"
    assert res.output.strip().endswith(str(final))

    # Stage 2 started from stage 1's final checkpoint; both are servable HF checkpoints with metadata.
    meta = read_metadata(final)
    assert meta["base_model"] == str(tmp_path / "mt" / "s1" / "final")
    assert meta["config"]["max_steps"] == 4 and meta["batch_plan"]["gradient_accumulation_steps"] == 2
    assert meta["data_manifest"]["counts"]["mixture_docs"] == 6 + 2 * 3 + 2
    assert {"model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja"} <= {
        p.name for p in final.iterdir()
    }
    # One copy of the weights per finished stage: the final checkpoint; no resumable checkpoint is left.
    for stage in ("s1", "s2"):
        assert not list((tmp_path / "mt" / stage).glob("checkpoint-*")), stage
    manifest = json.loads((tmp_path / "mt" / "s2" / "manifest.json").read_text())
    assert manifest["extra"]["tokens_per_optimizer_step"] == 2 * 64
    assert manifest["counts"]["optimizer_steps"] == 4

    sft_cfg = {
        "model": str(final), "data_root": str(data_dirs["root"]), "output_dir": str(tmp_path / "sft"),
        "seq_len": 512, "global_batch_size": 2, "micro_batch_size": 1, "learning_rate": 1e-3, "warmup_ratio": 0.0,
        "epochs": 5,
        "precision": "fp32", "gradient_checkpointing": False, "max_steps": 4, "save_steps": 100,
        "data": [{"path": "env", "kind": "env", "where": {"resolved": True}}],
    }
    res = runner.invoke(app, ["train", "sft", str(write_yaml(tmp_path / "sft.yaml", sft_cfg))])
    assert res.exit_code == 0, res.output
    sft_final = tmp_path / "sft" / "final"
    sft_manifest = json.loads((tmp_path / "sft" / "manifest.json").read_text())
    assert sft_manifest["counts"]["samples"] == 2 * 5  # two passing trajectories, five epochs
    assert 0 < sft_manifest["counts"]["assistant_tokens"] < sft_manifest["counts"]["tokens"]

    curves = {name: _losses(tmp_path / name) for name in ("mt/s1", "mt/s2", "sft")}
    for name, losses in curves.items():
        assert len(losses) == 4 and losses[-1] < losses[0], (name, losses)
    check_json(GOLDEN / "loss_curves.json", curves, _compare_curves)

    # The SFT checkpoint loads and generates with the plain transformers API.
    tok = AutoTokenizer.from_pretrained(sft_final)
    model = AutoModelForCausalLM.from_pretrained(sft_final)
    ids = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, return_tensors="pt")
    ids = ids["input_ids"] if not torch.is_tensor(ids) else ids
    assert model.generate(ids, max_new_tokens=3, do_sample=False).shape[1] == ids.shape[1] + 3
