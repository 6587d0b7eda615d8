"""Context size in tokens, counted the way the server will: the checkpoint's tokenizer and chat template."""

from __future__ import annotations

import threading
from typing import Any

from agentmt.types import Message


# transformers resolves its names lazily on first access, and two threads doing that at once can
# see a half-initialised module ("cannot import name 'AutoTokenizer'"): rollout threads share a
# counter, so the first load happens under one lock.
_LOAD_LOCK = threading.Lock()


class ChatTokenCounter:
    """Tokens of a prompt (messages + generation prompt, tools when the template renders them)."""

    def __init__(self, tokenizer: str):
        self.path = tokenizer
        self._tok = None

    def __call__(self, messages: list[Message], tools: list[dict[str, Any]] | None = None) -> int:
        from agentmt.models.remote import message_to_wire

        if self._tok is None:
            with _LOAD_LOCK:
                if self._tok is None:
                    from transformers import AutoTokenizer

                    self._tok = AutoTokenizer.from_pretrained(self.path)
        wire = [message_to_wire(m) for m in messages]
        kwargs = {"tools": tools} if tools else {}
        text = self._tok.apply_chat_template(wire, tokenize=False, add_generation_prompt=True, **kwargs)
        return len(self._tok(text, add_special_tokens=False)["input_ids"])
