"""LLM enhancement of pull requests (spec §2.5): a PR summary, then a refined message per commit.

Guarantees: PRs come out in input order and are never dropped; a failed call leaves `pr.summary`
None or keeps the commit's original message, counted in `manifest.counts`; every answer is cached
on disk by content hash, so a rerun with the same config makes no calls (and starts no server).
Calls run concurrently across PRs and across a PR's commits, at most `concurrency` at a time.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agentmt import settings
from agentmt.corpus import prompts
from agentmt.errors import EndpointError
from agentmt.io import Manifest
from agentmt.models.cache import ResponseCache, make_cache_key
from agentmt.models.client import ChatClient
from agentmt.types import Commit, PullRequest

T = TypeVar("T")
R = TypeVar("R")


class EnhanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    """False passes PRs through untouched (no summaries, no refined messages)."""
    base_url: str | None = Field(default_factory=settings.openai_base_url)
    """OpenAI-compatible endpoint ending in /v1; None starts the local server for `model`."""
    model: str = Field(default_factory=lambda: settings.llm_model() or "embedded")
    """Model name for requests; "embedded" (or, without base_url, a checkpoint folder) is served locally."""
    api_key: str | None = Field(default_factory=settings.openai_api_key, exclude=True, repr=False)
    """Bearer token (default: AGENTMT_LLM_API_KEY or OPENAI_API_KEY); never written out."""
    max_summary_tokens: int = Field(512, gt=0)
    """Token budget of a PR summary (paper: 512)."""
    max_message_tokens: int = Field(256, gt=0)
    """Token budget of a refined commit message (paper: 256)."""
    patch_chars: int | None = Field(2000, gt=0)
    """Each file patch in the refinement prompt is cut to this many characters (paper: 2000)."""
    summary_patch_chars: int | None = Field(None, gt=0)
    """Cut for patches in the summary prompt; None keeps them whole, as the paper's template does."""
    max_prompt_chars: int | None = Field(24000, gt=0)
    """Longer prompts are re-rendered with tighter patch cuts (2000, 500, 100 characters), else skipped.
    24,000 fits the embedded model's 8k-token context; raise it (or None) for long-context models."""
    max_summary_chars: int = Field(4000, gt=0)
    """Cleaned summaries are capped at this many characters."""
    max_message_chars: int = Field(2000, gt=0)
    """Cleaned refined messages are capped at this many characters."""
    temperature: float = Field(0.7, ge=0)
    """Sampling temperature (official code's default; the paper does not say)."""
    top_p: float = Field(0.9, gt=0, le=1)
    """Nucleus sampling mass (official code's default)."""
    concurrency: int = Field(4, ge=1)
    """Requests in flight at once, across PRs and commits."""
    timeout_s: float = Field(300.0, gt=0)
    """Per-request timeout in seconds (a CPU server answering 512 tokens is slow)."""
    retries: int = Field(3, ge=0)
    """Retries per request on 429/5xx/connection errors, with exponential backoff."""
    startup_timeout_s: float = Field(300.0, gt=0)
    """How long to wait for the local server to load the model."""
    server_threads: int | None = Field(None, ge=1)
    """CPU threads of the local server; None → torch's default. 1 is far faster on busy shared cores."""
    cache_dir: Path | None = None
    """Answer cache folder; None → $AGENTMT_HOME/llm-cache."""
    prompts: Path | None = None
    """YAML with the prompt templates; None → the built-in prompts/enhance.yaml."""

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or settings.home() / "llm-cache"


@contextlib.contextmanager
def open_endpoint(cfg: EnhanceConfig) -> Iterator[str]:
    """Yield a base URL that answers: cfg.base_url once checked, or a local server run for the block."""
    if cfg.base_url:
        with ChatClient(cfg.base_url, api_key=cfg.api_key, timeout=min(cfg.timeout_s, 10.0), retries=0) as c:
            c.check()
        yield cfg.base_url.rstrip("/")
        return
    from agentmt.models.checkpoint import resolve_model
    from agentmt.models.server import serve_model

    checkpoint = resolve_model(cfg.model)
    with serve_model(checkpoint, startup_timeout=cfg.startup_timeout_s, threads=cfg.server_threads) as url:
        yield url


class _LazyClient:
    """Opens the endpoint on first use only, so a fully cached run never starts a server."""

    def __init__(self, cfg: EnhanceConfig):
        self.cfg = cfg
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        self._client: ChatClient | None = None
        self._error: BaseException | None = None
        self._closed = False

    def get(self) -> ChatClient:
        with self._lock:
            if self._closed:  # a straggler thread after an interrupt must not restart the server
                raise EndpointError("enhancement was stopped; no further calls are made")
            if self._error is not None:
                raise self._error  # one failed start is enough; don't retry it per PR
            if self._client is None:
                try:
                    url = self._stack.enter_context(open_endpoint(self.cfg))
                except BaseException as e:
                    self._error = e
                    raise
                # A local server is pinned to its checkpoint: omit `model` rather than guess its id.
                local = self.cfg.base_url is None or self.cfg.model == "embedded"
                self._client = self._stack.enter_context(
                    ChatClient(
                        url,
                        None if local else self.cfg.model,
                        api_key=self.cfg.api_key,
                        timeout=self.cfg.timeout_s,
                        retries=self.cfg.retries,
                    )
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._client = None
        self._stack.close()


class PrEnhancer:
    """Fills summaries and refined messages in place; shared by worker threads."""

    def __init__(self, cfg: EnhanceConfig, manifest: Manifest):
        self.cfg = cfg
        self.manifest = manifest
        self.templates = prompts.load_templates(str(cfg.prompts) if cfg.prompts else None)
        self.cache = ResponseCache(cfg.resolved_cache_dir())
        self.client = _LazyClient(cfg)
        self._count_lock = threading.Lock()
        self._counts: Counter = Counter()  # merged into the manifest by the consuming thread only
        self._slots = threading.BoundedSemaphore(cfg.concurrency)
        self._calls = ThreadPoolExecutor(cfg.concurrency, thread_name_prefix="enhance-call")

    def close(self, wait: bool = True) -> None:
        """Stop: after a normal end, wait for calls; after an interrupt, abandon queued work at once."""
        self._calls.shutdown(wait=wait, cancel_futures=True)
        self.client.close()

    def count(self, key: str, n: int = 1) -> None:
        with self._count_lock:
            self._counts[key] += n

    def flush_counts(self) -> None:
        """Move worker counts into the manifest (called from the thread that owns the manifest)."""
        with self._count_lock:
            counts, self._counts = self._counts, Counter()
        self.manifest.counts.update(counts)

    def ask(self, prompt: str, max_tokens: int) -> str | None:
        """The raw answer (cached or fresh), or None when the call failed after retries."""
        messages = [{"role": "user", "content": prompt}]
        params = {"max_tokens": max_tokens, "temperature": self.cfg.temperature, "top_p": self.cfg.top_p}
        key = make_cache_key(model=self.cfg.model, messages=messages, **params)
        cached = self.cache.get(key)
        if cached is not None:
            self.count("llm_cached")
            return cached
        client = self.client.get()  # outside the try: an endpoint that cannot start fails the stage
        self.count("llm_calls")
        try:
            with self._slots:
                text = client.complete(messages, **params)
        except EndpointError:
            return None
        self.cache.put(key, text, model=self.cfg.model)
        return text

    def enhance(self, pr: PullRequest) -> PullRequest:
        cfg = self.cfg
        prompt = prompts.fit_prompt(
            lambda cut: prompts.make_summary_prompt(pr, patch_chars=cut, templates=self.templates),
            self._cuts(cfg.summary_patch_chars),
            cfg.max_prompt_chars,
        )
        raw = self.ask(prompt, cfg.max_summary_tokens) if prompt else None
        pr.summary = prompts.clean_output(raw, cfg.max_summary_chars) if raw is not None else None
        if prompt is None:
            self.count("llm_prompt_too_long")
        if pr.summary is None:
            # The refinement prompt needs the summary; without one the original messages stay.
            self.count("llm_failed_summary")
            self.count("llm_skipped_message", len(pr.commits))
            return pr
        self.count("prs_summarized")
        for future in [self._calls.submit(self._refine, c, pr.summary) for c in pr.commits]:
            future.result()
        return pr

    def _cuts(self, first: int | None) -> list[int | None]:
        """Patch cuts to try in order: the configured one, then tighter ones for prompts too long."""
        return [first] + [
            c for c in (self.cfg.patch_chars, 500, 100) if c is not None and (first is None or c < first)
        ]

    def _refine(self, commit: Commit, summary: str) -> None:
        cfg = self.cfg
        prompt = prompts.fit_prompt(
            lambda cut: prompts.make_refine_prompt(
                commit, summary, patch_chars=cut, templates=self.templates
            ),
            self._cuts(cfg.patch_chars),
            cfg.max_prompt_chars,
        )
        if prompt is None:
            self.count("llm_prompt_too_long")
        raw = self.ask(prompt, cfg.max_message_tokens) if prompt else None
        refined = prompts.clean_output(raw, cfg.max_message_chars) if raw is not None else None
        if refined is None:
            self.count("llm_failed_message")
            return
        commit.refined_message = refined
        self.count("commits_refined")


def enhance_prs(prs: Iterable[PullRequest], cfg: EnhanceConfig, manifest: Manifest) -> Iterator[PullRequest]:
    """Yield each PR with `summary` and commits' `refined_message` filled (records are updated in place)."""
    if not cfg.enabled:
        yield from prs
        return
    manifest.extra.setdefault("enhance", cfg.model_dump(mode="json"))
    enhancer = PrEnhancer(cfg, manifest)
    finished = False
    try:
        for pr in ordered_map(enhancer.enhance, prs, workers=cfg.concurrency, window=2 * cfg.concurrency):
            enhancer.flush_counts()
            yield pr
        finished = True
    finally:
        enhancer.close(wait=finished)
        enhancer.flush_counts()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int, window: int) -> Iterator[R]:
    """fn over items in a thread pool, results in input order, at most `window` items in flight."""
    pending: deque = deque()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="enhance-pr")
    finished = False
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        # On an error, Ctrl-C or an abandoned generator, don't wait for queued items.
        pool.shutdown(wait=finished, cancel_futures=True)
