"""`EmbeddedModel`: SmolLM2-135M-Instruct (or any HF checkpoint) served by `transformers serve`, owned by agentmt.

The server starts on first use (or `start()`) and stops on `close()`, on leaving a `with` block,
and with the process (server.py's guarantees, watchdog included). Its chat template has no tool
support (checked: SmolLM2's template only concatenates role and content, and `transformers serve`
parses tool calls only for model families it knows), so the agent talks to it in the `xml` format.
Context size is counted with the checkpoint's own tokenizer and chat template.
"""

from __future__ import annotations

from typing import Any

from agentmt.models.remote import OpenAIModel
from agentmt.types import Message, StepStats


class EmbeddedModel:
    action_format = "xml"

    def __init__(self, checkpoint: str | None = None, *, sampling: dict[str, Any] | None = None,
                 threads: int | None = None, startup_timeout_s: float = 300.0, timeout_s: float = 300.0,
                 retries: int = 1, base_url: str | None = None, bind_host: str = "127.0.0.1",
                 advertise_host: str | None = None):
        from agentmt.models.checkpoint import resolve_model
        from agentmt.models.server import served_name

        self.checkpoint = resolve_model(checkpoint)
        self.name = served_name(self.checkpoint)
        self.server = base_url or ""
        self.sampling = dict(sampling or {})
        self.threads, self.startup_timeout_s = threads, startup_timeout_s
        self.bind_host, self.advertise_host = bind_host, advertise_host
        self.timeout_s, self.retries = timeout_s, retries
        self._server = None
        self._remote: OpenAIModel | None = None
        self._tokenizer = None

    def start(self) -> str:
        """Start the server (idempotent); returns its base URL."""
        if self._remote is None:
            from agentmt.models.server import ModelServer

            if not self.server:  # no shared server given: own one
                self._server = ModelServer(self.checkpoint, threads=self.threads, host=self.bind_host,
                                           advertise_host=self.advertise_host)
                self.server = self._server.start(self.startup_timeout_s)
            self._remote = OpenAIModel(self.server, sampling=self.sampling, timeout=self.timeout_s,
                                       retries=self.retries)
        return self.server

    def query(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> tuple[Message, StepStats]:
        self.start()
        return self._remote.query(messages, tools)

    def count_tokens(self, messages: list[Message]) -> int:
        """Tokens of the prompt as the server will build it (chat template + generation prompt)."""
        if self._tokenizer is None:
            from agentmt.models.tokens import ChatTokenCounter

            self._tokenizer = ChatTokenCounter(self.checkpoint)
        return self._tokenizer(messages)

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
        if self._server is not None:
            self._server.stop()
            self.server = ""
        self._remote = self._server = None

    def __enter__(self) -> EmbeddedModel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
