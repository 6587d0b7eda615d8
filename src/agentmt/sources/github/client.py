"""GitHub REST + GraphQL over githubkit, with the waiting and retrying done here, on a Clock.

Contract: `rest`, `rest_pages` and `graphql` return parsed JSON or raise. Primary limits
(remaining 0, 403/429 or a GraphQL RATE_LIMITED error) park the token until its reset; secondary
limits and `retry-after` park it for that long (60 s when unsaid); 5xx, timeouts, transport errors
and truncated JSON are retried with exponential backoff (`max_retries` in a row, then
`GitHubUnavailable`). A 401 retires the token; when none is left, `NoTokenError` (a UserError)
stops the run. 404 raises `NotFound`, other 403s `Forbidden`: per-repository outcomes for callers.
Tokens never appear in messages; `num_requests` counts every HTTP request sent.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from agentmt.errors import AgentmtError
from agentmt.retry import backoff_delay
from agentmt.sources.github.cache import ETagCache
from agentmt.sources.github.clock import SystemClock
from agentmt.sources.github.tokens import TokenPool

SECONDARY_WAIT_S = 60.0  # GitHub's advice when a secondary limit gives no retry-after
MAX_BACKOFF_S = 120.0


class GitHubAPIError(AgentmtError):
    def __init__(self, status: int, message: str):
        super().__init__(f"GitHub API {status}: {message}")
        self.status = status


class NotFound(GitHubAPIError):
    pass


class Forbidden(GitHubAPIError):
    pass


class GitHubUnavailable(GitHubAPIError):
    """Retries exhausted on 5xx / timeouts / broken bodies."""


class _Retry(Exception):
    def __init__(self, reason: str):
        self.reason = reason


class GitHubClient:
    def __init__(self, tokens: list[str] | TokenPool, *, base_url: str = "https://api.github.com",
                 clock=None, timeout: float = 30.0, cache_dir=None, max_retries: int = 8, backoff_s: float = 1.0):
        self.clock = clock or SystemClock()
        self.pool = tokens if isinstance(tokens, TokenPool) else TokenPool(tokens, self.clock)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cache = ETagCache(cache_dir)
        self.max_retries, self.backoff_s = max_retries, backoff_s
        self.num_requests = 0
        self.counts: Counter = Counter()  # retries and waits by reason
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _kit(self, token: str):
        from githubkit import GitHub  # heavy: imported on first request

        with self._lock:
            if token not in self._clients:
                # githubkit's own retry and cache sleep on the wall clock; ours waits on self.clock
                kit = GitHub(token or None, base_url=self.base_url + "/", timeout=self.timeout,
                             auto_retry=False, http_cache=False, user_agent="agentmt")
                # entered once: outside a `with`, githubkit builds an httpx client (and loads the CA
                # bundle, ~0.1 s) for every request; inside, one connection pool serves them all
                kit.__enter__()
                self._clients[token] = kit
            return self._clients[token]

    def close(self) -> None:
        with self._lock:
            for kit in self._clients.values():
                kit.__exit__(None, None, None)
            self._clients.clear()

    # -- public calls ------------------------------------------------------------------------

    def rest(self, path: str, params: dict | None = None) -> Any:
        """GET one REST resource (conditional on a cached ETag)."""
        return self._get(path, params)[0]

    def rest_pages(self, path: str, params: dict | None = None, *, max_pages: int = 1 << 30):
        """Yield the JSON of each page, following `Link: rel="next"` to the end."""
        url: str | None = path
        for _ in range(max_pages):
            if url is None:
                return
            body, links = self._get(url, params)
            yield body
            url, params = links.get("next"), None  # the next URL carries the query itself

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """{"data": ..., "errors": [...]} of one GraphQL request (partial data is kept)."""
        payload = {"query": query, "variables": variables or {}}
        return self._send("POST", "/graphql", json_body=payload, graphql=True)[0]

    # -- the loop ----------------------------------------------------------------------------

    def _get(self, path: str, params: dict | None) -> tuple[Any, dict[str, str]]:
        key = path + "?" + json.dumps(params or {}, sort_keys=True)
        cached = self.cache.get(key)
        body, links, etag = self._send("GET", path, params=params, etag=cached[0] if cached else None)
        if body is _NOT_MODIFIED:
            self.counts["not_modified"] += 1
            return cached[1], links  # type: ignore[index]
        if etag:
            self.cache.put(key, etag, body)
        return body, links

    def _send(self, method: str, path: str, *, params=None, json_body=None, etag=None, graphql=False):
        from githubkit.exception import RequestError, RequestFailed, RequestTimeout

        failures = 0
        # GitHub budgets these apart; a path may be a Link URL, hence "in"
        resource = "graphql" if graphql else "search" if "/search/" in path else "core"
        while True:
            token = self.pool.acquire(resource)
            headers = {"If-None-Match": etag} if etag else {}
            try:
                self.num_requests += 1
                raw = self._kit(token).request(method, path, params=params, json=json_body, headers=headers).raw_response
                self.pool.observe(token, raw.headers, resource)
                if raw.status_code == 304:
                    return _NOT_MODIFIED, _links(raw), etag
                body = _json(raw)
                if graphql and _rate_limited(body):
                    self._park(token, raw, resource, primary=True)
                    continue
                return body, _links(raw), raw.headers.get("etag")
            except RequestFailed as e:
                raw = e.response.raw_response
                self.pool.observe(token, raw.headers, resource)
                failures = self._on_failure(token, raw, resource, failures)
            except (RequestTimeout, RequestError) as e:
                failures = self._backoff("timeout" if isinstance(e, RequestTimeout) else "transport", failures)
            except _Retry as r:
                failures = self._backoff(r.reason, failures)

    def _on_failure(self, token: str, raw, resource: str, failures: int) -> int:
        status = raw.status_code
        message = _message(raw)
        if status == 401:
            self.counts["token_rejected"] += 1
            self.pool.kill(token)  # the next acquire() raises NoTokenError when none is left
            return failures
        if status in (403, 429) and _is_rate_limit(raw, message):
            self._park(token, raw, resource, primary=raw.headers.get("x-ratelimit-remaining") == "0")
            return failures
        if status >= 500:
            return self._backoff(f"http_{status}", failures)
        if status == 404:
            raise NotFound(status, message)
        if status == 403:
            raise Forbidden(status, message)
        raise GitHubAPIError(status, message)

    def _park(self, token: str, raw, resource: str, primary: bool) -> None:
        """Wait out a limit: the token is parked and acquire() picks another or sleeps."""
        now = self.clock.now()
        after = raw.headers.get("retry-after")
        if primary and not after:
            reset = float(raw.headers.get("x-ratelimit-reset") or now + SECONDARY_WAIT_S)
            self.counts["primary_limit"] += 1
            self.pool.exhaust(token, reset, resource)
        else:
            wait = float(after) if after and after.strip().isdigit() else SECONDARY_WAIT_S
            self.counts["secondary_limit" if not primary else "retry_after"] += 1
            self.pool.block(token, now + wait)

    def _backoff(self, reason: str, failures: int) -> int:
        self.counts[f"retry_{reason}"] += 1
        if failures >= self.max_retries:
            raise GitHubUnavailable(0, f"gave up after {failures + 1} attempts ({reason}); try again later")
        self.clock.sleep(backoff_delay(failures, self.backoff_s, MAX_BACKOFF_S))
        return failures + 1


_NOT_MODIFIED = object()


def _json(raw) -> Any:
    try:
        return json.loads(raw.content)
    except (ValueError, UnicodeDecodeError):
        raise _Retry("bad_json") from None  # a body cut short in transit: ask again


def _links(raw) -> dict[str, str]:
    return {rel: v["url"] for rel, v in raw.links.items() if "url" in v}


def _message(raw) -> str:
    try:
        return str(json.loads(raw.content).get("message") or raw.reason_phrase)
    except (ValueError, AttributeError):
        return raw.reason_phrase


def _is_rate_limit(raw, message: str) -> bool:
    h = raw.headers
    return (h.get("x-ratelimit-remaining") == "0" or "retry-after" in h or raw.status_code == 429
            or "rate limit" in message.lower())


def _rate_limited(body: Any) -> bool:
    return isinstance(body, dict) and any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED"
                                          for e in body.get("errors") or [])
