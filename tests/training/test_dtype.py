"""Weights load in bf16 on CUDA devices with bf16 support, fp32 elsewhere, and as configured when set."""

from __future__ import annotations

import pytest
import torch

from agentmt.training.config import MTConfig
from agentmt.training.stage import load_dtype


def _cfg(**over) -> MTConfig:
    return MTConfig(stages=[], **over)


@pytest.mark.parametrize(("cuda", "bf16", "expected"), [
    (False, False, torch.float32), (True, False, torch.float32), (True, True, torch.bfloat16),
])
def test_auto_dtype_follows_the_device(monkeypatch, cuda, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert load_dtype(_cfg()) is expected


def test_configured_dtype_wins(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert load_dtype(_cfg(dtype="float32")) is torch.float32
    assert load_dtype(_cfg(dtype="bfloat16")) is torch.bfloat16


def test_unknown_dtype_is_a_config_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _cfg(dtype="float8")
