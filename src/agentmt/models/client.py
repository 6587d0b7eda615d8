"""A small OpenAI-compatible chat client over httpx, safe to share between threads.

Retries 429, 5xx, timeouts and connection errors with exponential backoff (honouring Retry-After);
any other failure, or running out of retries, raises `EndpointError` with a one-line message that
names the URL and what to check.
"""

from __future__ import annotations

import time
from typing import Any, Self

import httpx

from agentmt.errors import EndpointError
from agentmt.retry import backoff_delay

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class ChatClient:
    """Chat completions against `base_url` (ending in /v1); `model=None` omits the field (pinned servers)."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 1.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers=headers)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        top_p: float = 0.9,
        **params: Any,
    ) -> str:
        """The assistant text of one non-streaming chat completion."""
        message, _ = self.chat(messages, max_tokens=max_tokens, temperature=temperature, top_p=top_p, **params)
        return message.get("content") or ""

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        max_tokens: int = 256,
        temperature: float = 0.7,
        top_p: float = 0.9,
        **params: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(choices[0].message, usage) of one non-streaming completion; `tools` as OpenAI schemas."""
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "stream": False,
            **params,
        }
        if tools:
            body["tools"] = tools
        if self.model is not None:
            body["model"] = self.model
        data = self._request("POST", "/chat/completions", body)
        try:
            message = data["choices"][0]["message"]
            if not isinstance(message, dict):
                raise TypeError("message is not an object")
        except (KeyError, IndexError, TypeError) as e:
            where = f"{self.base_url}/chat/completions"
            raise EndpointError(f"{where} answered without choices[0].message: {_one_line(str(data))}") from e
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return message, usage

    def list_models(self) -> list[str]:
        """Model ids the endpoint lists (also a cheap health check)."""
        data = self._request("GET", "/models", None, retries=0)
        return [m.get("id", "") for m in data.get("data", [])] if isinstance(data, dict) else []

    def check(self) -> None:
        """Raise EndpointError unless the endpoint answers HTTP at all (any status but 401/403)."""
        url = self.base_url + "/models"
        try:
            resp = self._http.get(url)
        except (httpx.TimeoutException, httpx.TransportError) as e:
            raise EndpointError(self._unreachable(url, e)) from None
        if resp.status_code in (401, 403):
            raise EndpointError(
                f"{url} answered HTTP {resp.status_code}: check api_key (AGENTMT_LLM_API_KEY)"
            )

    @staticmethod
    def _unreachable(url: str, e: Exception) -> str:
        return (
            f"cannot reach {url} ({type(e).__name__}: {_one_line(str(e), 80) or 'no detail'}); "
            "check the server is running and base_url (AGENTMT_LLM_BASE_URL) is right"
        )

    def _request(self, method: str, path: str, body: dict | None, retries: int | None = None) -> Any:
        url = self.base_url + path
        retries = self.retries if retries is None else retries
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                resp = self._http.request(method, url, json=body)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                if last:
                    raise EndpointError(self._unreachable(url, e)) from None
                self._sleep(attempt, None)
                continue
            if resp.status_code < 400:
                try:
                    return resp.json()
                except ValueError:
                    msg = f"{url} answered {resp.status_code} with non-JSON: {_one_line(resp.text)}"
                    raise EndpointError(msg) from None
            if resp.status_code in RETRY_STATUS and not last:
                self._sleep(attempt, resp.headers.get("retry-after"))
                continue
            hint = (
                "check api_key (AGENTMT_LLM_API_KEY)"
                if resp.status_code in (401, 403)
                else "check model and request"
            )
            if resp.status_code in RETRY_STATUS:
                hint = f"gave up after {retries + 1} attempts"
            raise EndpointError(f"{url} answered HTTP {resp.status_code} ({hint}): {_one_line(resp.text)}")
        raise AssertionError("unreachable")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        time.sleep(backoff_delay(attempt, self.backoff, MAX_BACKOFF_S, retry_after=retry_after, jitter=True))
