"""Token counting with any Hugging Face fast tokenizer (`embedded` = the shipped SmolLM2 one)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4)
def load_tokenizer(name: str = "embedded"):
    """A fast tokenizer from `embedded` or an HF tokenizer/checkpoint path; cached per name."""
    from transformers import AutoTokenizer

    from agentmt.errors import ConfigError
    from agentmt.models.checkpoint import resolve_model

    path = resolve_model(name)
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ConfigError(f"tokenizer {name!r} cannot be loaded ({e.__class__.__name__}): set tokenizer= "
                          "to 'embedded' or a local tokenizer folder") from e
    # Documents are counted, not fed to a model: silence the "longer than max length" warning.
    tok.model_max_length = 1 << 40
    return tok


def count_tokens(tokenizer, texts: list[str]) -> list[int]:
    """Token counts (no special tokens) for a batch of texts, in one batched call."""
    if not texts:
        return []
    ids = tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]
    return [len(x) for x in ids]
