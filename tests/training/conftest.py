"""Fixtures: tiny D_ctx and D_env shard folders in the contracts' row schemas, a tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainhelp import ctx_rows, write_env

from agentmt import io


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    io.write_parquet(root / "ctx-py" / io.shard_name(0), ctx_rows("py", 6))
    io.write_parquet(root / "ctx-gen" / io.shard_name(0), ctx_rows("gen", 6))
    write_env(root / "env")
    return {"root": root, "ctx_py": root / "ctx-py", "ctx_gen": root / "ctx-gen", "env": root / "env"}


@pytest.fixture(scope="session")
def tokenizer(embedded_checkpoint):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_checkpoint)


@pytest.fixture(scope="session")
def tiny_checkpoint(embedded_checkpoint, tmp_path_factory) -> Path:
    """A 2-layer, 64-wide Llama with the embedded model's tokenizer and chat template, seeded init.

    Training tests use it because the shared 2-core CI machine runs a 135M-parameter step in tens
    of seconds; the code path (Trainer, packing, masks, checkpoints, resume) is the same.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("tiny-smollm2")
    config = AutoConfig.from_pretrained(embedded_checkpoint)
    config.update(
        {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
         "num_key_value_heads": 2, "head_dim": 16}
    )
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)
    AutoTokenizer.from_pretrained(embedded_checkpoint).save_pretrained(out)
    return out


