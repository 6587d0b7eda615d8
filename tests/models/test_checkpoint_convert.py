"""The embedded checkpoint is converted once when several processes need it at once on a fresh cache
(the demo's parallel stages: the rollouts' and ctx-py's model servers). Both used one temp folder,
and one process's rename took the other's files mid-save (SafetensorError, a failed make demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CONVERT = ("from agentmt.models.checkpoint import ensure_embedded_checkpoint\n"
           "print(ensure_embedded_checkpoint())\n")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_processes_on_an_empty_cache_get_one_converted_checkpoint(tmp_path):
    from transformers import AutoConfig

    env = {**os.environ, "AGENTMT_HOME": str(tmp_path / "home")}
    procs = [subprocess.Popen([sys.executable, "-c", CONVERT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=500) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    (folder,) = {out.strip() for out, _ in outs}
    marker = json.loads((tmp_path / "home" / "models" / "SmolLM2-135M-Instruct" / "agentmt-converted.json").read_text())
    assert marker["name"] == "SmolLM2-135M-Instruct" and folder.endswith("SmolLM2-135M-Instruct")
    assert AutoConfig.from_pretrained(folder).model_type == "llama"
    assert not (tmp_path / "home" / "models" / "SmolLM2-135M-Instruct.tmp").exists()
