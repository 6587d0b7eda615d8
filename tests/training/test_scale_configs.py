"""Paper presets carry the paper's values; accelerate configs load and reach the paper's batch sizes."""

from __future__ import annotations

from importlib import resources

import pytest

from agentmt.config import make_config
from agentmt.training.config import MTConfig, SFTConfig
from agentmt.training.trainer import make_batch_plan


@pytest.mark.parametrize("size", ["32b", "72b"])
def test_paper_presets(size):
    mt = make_config(MTConfig, f"train_mt_paper_{size}")
    sft = make_config(SFTConfig, f"train_sft_paper_{size}")
    assert (mt.global_batch_size, mt.learning_rate, mt.warmup_ratio, mt.lr_scheduler) == (1024, 8e-5, 0.05, "cosine")
    assert [s.name for s in mt.stages] == ["stage1_ctx_gen", "stage2_ctx_py_env"]
    assert [(s.path, s.repeat, s.where) for s in mt.stages[1].sources][1:] == [
        ("env", 3.0, {"resolved": True}), ("env", 1.0, {"resolved": False})
    ]
    assert (sft.global_batch_size, sft.learning_rate, sft.warmup_ratio, sft.epochs) == (128, 1e-5, 0.1, 5.0)
    assert sft.data[0].where == {"resolved": True}


@pytest.mark.parametrize("name", ["fsdp2_qwen2.5_32b", "fsdp2_qwen2.5_72b", "zero3_qwen2.5_32b", "zero3_qwen2.5_72b"])
def test_accelerate_configs_reach_the_paper_batches(name):
    from accelerate.commands.config.config_args import load_config_from_file

    path = resources.files("agentmt") / "configs" / "accelerate" / f"{name}.yaml"
    cfg = load_config_from_file(str(path))
    pc = cfg.parallelism_config
    shared = pc.get("parallelism_config_cp_size", 1) * pc.get("parallelism_config_sp_size", 1)
    dp = cfg.num_processes // shared
    assert dp == pc["parallelism_config_dp_shard_size"]
    size = name.rsplit("_", 1)[1]
    for cls, preset in ((MTConfig, f"train_mt_paper_{size}"), (SFTConfig, f"train_sft_paper_{size}")):
        plan = make_batch_plan(make_config(cls, preset), 10_000, dp)
        c = make_config(cls, preset)
        assert plan["gradient_accumulation_steps"] * dp * c.micro_batch_size == c.global_batch_size
