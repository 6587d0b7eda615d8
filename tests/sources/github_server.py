"""A local GitHub: a real HTTP server on 127.0.0.1 answering the REST and GraphQL calls agentmt
makes, in GitHub's shapes (Link pagination, x-ratelimit-* headers, ETag/304, GraphQL pageInfo and
NOT_FOUND errors, BigInt ids as strings), from the demo repository's metadata JSON and git repository.

Faults are queued with `inject(kind, times, match)`: rate_limit (403, remaining 0, a reset time),
graphql_rate_limited (200 + RATE_LIMITED error), 429 (retry-after), secondary (403 + retry-after
or none + GitHub's message), 502, slow (answers after
`delay` real seconds, past the client's timeout), truncated (half a JSON body), 401. Time for
rate limits comes from the shared fake clock; `log` records (clock time, token label, call, status).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, urlencode, urlparse

CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+(?:([\w.-]+/[\w.-]+))?#(\d+)\b", re.IGNORECASE)


@dataclass
class Fault:
    kind: str
    times: int = 1
    match: str = ""  # substring of the REST path or GraphQL operation name; "" = any call
    reset_in: float = 120.0
    retry_after: int = 30
    delay: float = 1.0
    after: int = 0  # matching calls to let through first (the fault hits call after+1)


def _cursor(i: int) -> str:
    return base64.b64encode(f"cursor:{i}".encode()).decode()


def _index(cursor: str | None) -> int:
    return int(base64.b64decode(cursor).decode().split(":")[1]) + 1 if cursor else 0


def _actor(user: dict | None) -> dict | None:
    """GraphQL's actor: a bot's login without REST's "[bot]" suffix."""
    if not user:
        return None
    kind = "Bot" if user.get("type") == "Bot" else "User"
    login = user["login"].removesuffix("[bot]") if kind == "Bot" else user["login"]
    return {"__typename": kind, "login": login}


def _page(items: list, first: int, after: str | None) -> dict:
    start = _index(after)
    chunk = items[start:start + first]
    end = start + len(chunk) - 1
    return {"pageInfo": {"hasNextPage": start + len(chunk) < len(items), "endCursor": _cursor(end) if chunk else after},
            "nodes": chunk}


class DemoRepo:
    """One repository's data in GraphQL node shapes, built from a demo metadata folder."""

    def __init__(self, metadata: Path, git_dir: Path, full_name: str | None = None):
        md = {p.stem: json.loads(p.read_text()) for p in metadata.glob("*.json")}
        self.repo = dict(md["repo"])
        if full_name:
            self.repo["full_name"] = full_name
        self.full_name = self.repo["full_name"]
        self.repo.update(clone_url=git_dir.resolve().as_uri(), private=False)
        self.private = False
        self.deleted_heads: set[int] = set()
        self.other_repo_refs: dict[int, str] = {}  # PR number -> another repo its closing ref points into
        self.issues = {i["number"]: i for i in md.get("issues", [])}
        comments = defaultdict(list)
        for c in md.get("issue_comments", []):
            comments[int(c["issue_url"].rsplit("/", 1)[1])].append(c)
        self.comments = comments
        rcs = defaultdict(list)
        for c in md.get("review_comments", []):
            rcs[c["pull_request_review_id"]].append(c)
        self.reviews = defaultdict(list)
        for r in md.get("reviews", []):
            self.reviews[int(r["pull_request_url"].rsplit("/", 1)[1])].append((r, rcs[r["id"]]))
        self.pulls = {p["number"]: p for p in md["pulls"]}
        self.node_cache: dict[tuple, list[dict]] = {}  # cleared by tests that edit the data after a query

    def comment_nodes(self, number: int) -> list[dict]:
        return [{"fullDatabaseId": str(c["id"]), "author": _actor(c["user"]), "body": c["body"], "createdAt": c["created_at"]}
                for c in self.comments.get(number, [])]

    def review_nodes(self, number: int, nested: int) -> list[dict]:
        out = []
        for r, rcs in self.reviews.get(number, []):
            nodes = [{"fullDatabaseId": str(c["id"]), "author": _actor(c["user"]), "body": c["body"],
                      "createdAt": c["created_at"], "path": c["path"], "diffHunk": c["diff_hunk"], "line": c["line"],
                      "replyTo": {"fullDatabaseId": str(c["in_reply_to_id"])} if c.get("in_reply_to_id") else None}
                     for c in rcs]
            out.append({"fullDatabaseId": str(r["id"]), "author": _actor(r["user"]), "state": r["state"], "body": r["body"],
                        "submittedAt": r["submitted_at"], "comments": _page(nodes, nested, None)})
        return out

    def pr_node(self, p: dict, nested: int, reviews_first: int = 100) -> dict:
        n = p["number"]
        refs = [{"number": int(m.group(2)), "repository": {"nameWithOwner": m.group(1) or self.full_name}}
                for m in CLOSING.finditer(p.get("body") or "") if int(m.group(2)) in self.issues or m.group(1)]
        if n in self.other_repo_refs:
            refs.append({"number": 1, "repository": {"nameWithOwner": self.other_repo_refs[n]}})
        owner = p["head"]["label"].split(":")[0]
        return {
            "number": n, "title": p["title"], "body": p["body"], "createdAt": p["created_at"],
            "mergedAt": p["merged_at"], "author": _actor(p["user"]), "mergedBy": _actor(p.get("merged_by")),
            "mergeCommit": {"oid": p["merge_commit_sha"]} if p.get("merge_commit_sha") else None,
            "headRefOid": p["head"]["sha"], "baseRefOid": p["base"]["sha"],
            "headRepository": None if n in self.deleted_heads else
            {"nameWithOwner": f"{owner}/{self.full_name.split('/')[1]}"},
            "closingIssuesReferences": {"nodes": refs},
            "comments": _page(self.comment_nodes(n), nested, None),
            "reviews": _page(self.review_nodes(n, nested), min(nested, reviews_first), None),
        }

    def merged(self) -> list[dict]:
        return sorted((p for p in self.pulls.values() if p.get("merged_at")), key=lambda p: (p["created_at"], p["number"]))


class FakeGitHub:
    """Start with `with FakeGitHub(clock) as gh:`; `gh.url` is the API root to pass as api_url."""

    def __init__(self, clock, tokens=("good-token",), limit: int = 5000, nested_page: int = 100):
        self.clock = clock
        self.repos: dict[str, DemoRepo] = {}
        self.catalog: list[dict] = []  # extra repositories only the search API knows
        self.tokens = set(tokens)
        self.limit = limit
        self.nested_page = nested_page  # page size of nested connections (small values test continuation)
        self.faults: list[Fault] = []
        self.log: list[tuple[float, str, str, int]] = []
        self.used: dict[tuple[str, str], int] = defaultdict(int)
        self.reset_at: dict[tuple[str, str], float] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_repo(self, repo: DemoRepo) -> DemoRepo:
        self.repos[repo.full_name.lower()] = repo
        return repo

    def inject(self, kind: str, times: int = 1, match: str = "", **kw) -> None:
        self.faults.append(Fault(kind, times, match, **kw))

    def calls(self, status: int | None = None) -> list[str]:
        return [c for _, _, c, s in self.log if status is None or s == status]

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the logic behind the handler --------------------------------------------------------

    def take_fault(self, call: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.times > 0 and f.match in call:
                    if f.after > 0:
                        f.after -= 1
                        continue
                    f.times -= 1
                    return f
        return None

    def rate_headers(self, token: str, resource: str, spend: bool) -> dict[str, str]:
        with self.lock:
            key, now = (token, resource), self.clock.now()
            if now >= self.reset_at.get(key, 0):
                self.reset_at[key], self.used[key] = now + 3600, 0
            if spend:
                self.used[key] += 1
            return {"x-ratelimit-limit": str(self.limit), "x-ratelimit-remaining": str(max(self.limit - self.used[key], 0)),
                    "x-ratelimit-reset": str(int(self.reset_at[key])), "x-ratelimit-used": str(self.used[key]),
                    "x-ratelimit-resource": resource}

    def over_limit(self, token: str, resource: str) -> bool:
        with self.lock:
            key = (token, resource)
            return self.used[key] >= self.limit and self.clock.now() < self.reset_at.get(key, 0)


def _make_handler(gh: FakeGitHub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: the test output is the log
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("content-length") or 0)) if method == "POST" else b""
            payload = json.loads(body) if body else {}
            call = url.path
            if url.path == "/graphql":
                m = re.search(r"query (\w+)", payload.get("query", ""))
                call = "graphql:" + (m.group(1) if m else "?")
            auth = self.headers.get("authorization", "")
            token = auth.split(" ", 1)[1] if " " in auth else ""
            tlabel = "t" + hashlib.sha256(token.encode()).hexdigest()[:6]
            resource = "graphql" if call.startswith("graphql") else ("search" if "/search/" in call else "core")
            arrived = gh.clock.now()  # before answering: the client may move the clock once it has the answer
            status = self._answer(method, url, payload, call, token, resource)
            gh.log.append((arrived, tlabel, call, status))

        def _answer(self, method, url, payload, call, token, resource) -> int:
            if token not in gh.tokens:
                return self._json(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
            fault = gh.take_fault(call)
            rate = gh.rate_headers(token, resource, spend=False)
            if fault is not None:
                k = fault.kind
                if k == "401":
                    return self._json(401, {"message": "Bad credentials"})
                if k == "rate_limit":
                    reset = int(gh.clock.now() + fault.reset_in)
                    h = {**rate, "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
                    return self._json(403, {"message": "API rate limit exceeded for user ID 1."}, h)
                if k == "429":
                    return self._json(429, {"message": "Too many requests"}, {**rate, "retry-after": str(fault.retry_after)})
                if k == "secondary":  # retry_after=0: GitHub sent no retry-after header
                    msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                    h = {**rate, "retry-after": str(fault.retry_after)} if fault.retry_after else rate
                    return self._json(403, {"message": msg}, h)
                if k == "graphql_rate_limited":  # GraphQL's primary limit: 200 with a RATE_LIMITED error
                    reset = int(gh.clock.now() + fault.reset_in)
                    h = {**rate, "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
                    return self._json(200, {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}, h)
                if k == "502":
                    return self._raw(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", rate)
                if k == "slow":
                    time.sleep(fault.delay)  # real time: the client's socket timeout is what is tested
            if gh.over_limit(token, resource):
                return self._json(403, {"message": "API rate limit exceeded for user ID 1."}, rate)
            if method == "GET" and url.path.startswith("/repos/"):
                status, data, extra = self._repo(url.path[len("/repos/"):], rate)
            elif method == "GET" and url.path == "/search/repositories":
                status, data, extra = self._search(url, rate)
            elif method == "POST" and url.path == "/graphql":
                status, data, extra = 200, _graphql(gh, payload), {}
            else:
                status, data, extra = 404, {"message": "Not Found"}, {}
            if status == 304:
                return self._raw(304, b"", None, {**gh.rate_headers(token, resource, False), **extra})
            rate = gh.rate_headers(token, resource, spend=True)
            text = json.dumps(data).encode()
            if fault is not None and fault.kind == "truncated":
                text = text[: len(text) // 2]
            return self._raw(status, text, "application/json; charset=utf-8", {**rate, **extra})

        def _repo(self, rest: str, rate) -> tuple[int, dict, dict]:
            repo = gh.repos.get(rest.strip("/").lower())
            if repo is None:
                return 404, {"message": "Not Found"}, {}
            if repo.private:
                return 403, {"message": "Resource not accessible by personal access token"}, {}
            etag = '"' + hashlib.sha256(json.dumps(repo.repo, sort_keys=True).encode()).hexdigest()[:20] + '"'
            if self.headers.get("if-none-match") == etag:
                return 304, {}, {"etag": etag}
            return 200, repo.repo, {"etag": etag}

        def _search(self, url, rate) -> tuple[int, dict, dict]:
            qs = {k: v[0] for k, v in parse_qs(url.query).items()}
            terms = qs.get("q", "").split()
            items = [r.repo for r in gh.repos.values()] + gh.catalog
            for t in terms:
                key, _, val = t.partition(":")
                if key == "language":
                    items = [r for r in items if (r.get("language") or "").lower() == val.lower()]
                elif key == "stars" and val.startswith(">="):
                    items = [r for r in items if r.get("stargazers_count", 0) >= int(val[2:])]
                elif key == "license":
                    items = [r for r in items if ((r.get("license") or {}).get("key") or "") == val]
            items.sort(key=lambda r: -r.get("stargazers_count", 0))
            per, page = int(qs.get("per_page", 30)), int(qs.get("page", 1))
            last = max(1, -(-len(items) // per))
            links = []
            for rel, p in (("next", page + 1), ("last", last)):
                if p <= last and (rel != "next" or page < last):
                    links.append(f'<{gh.url}{url.path}?{urlencode({**qs, "page": p})}>; rel="{rel}"')
            extra = {"link": ", ".join(links)} if links else {}
            chunk = items[(page - 1) * per: page * per]
            return 200, {"total_count": len(items), "incomplete_results": False, "items": chunk}, extra

        def _json(self, status: int, data, headers=None) -> int:
            return self._raw(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers or {})

        def _raw(self, status: int, body: bytes, ctype, headers) -> int:
            try:
                self.send_response(status)
                if ctype:
                    self.send_header("content-type", ctype)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a slow-response fault)
            return status

    return Handler


def _graphql(gh: FakeGitHub, payload: dict) -> dict:
    query, v = payload.get("query", ""), payload.get("variables") or {}
    op = (re.search(r"query (\w+)", query) or [None, ""])[1]
    repo = gh.repos.get(f"{v.get('owner')}/{v.get('name')}".lower())
    if repo is None or repo.private:
        return {"data": {"repository": None}, "errors": [{
            "type": "NOT_FOUND", "path": ["repository"],
            "message": f"Could not resolve to a Repository with the name '{v.get('owner')}/{v.get('name')}'."}]}
    nested = gh.nested_page
    if op == "MergedPulls":
        asked = re.search(r"reviews\(first: (\d+)", query)  # honour the page size the query asks for
        key = (nested, int(asked.group(1)) if asked else 100)
        if key not in repo.node_cache:  # built once per shape: the server's cost is not what is measured
            repo.node_cache[key] = [repo.pr_node(p, *key) for p in repo.merged()]
        nodes = repo.node_cache[key]
        conn = _page(nodes, int(v["first"]), v.get("after"))
        conn["totalCount"] = len(nodes)
        # GitHub's documented cost: connection requests (first x parents) / 100, rounded, at least 1
        n = int(v["first"])
        cost = max(1, round((1 + 3 * n + n * key[1]) / 100))
        return {"data": {"rateLimit": {"cost": cost}, "repository": {"nameWithOwner": repo.full_name, "description": repo.repo.get("description"),
                                        "pullRequests": conn}}}
    if op.startswith("More_"):
        kind, number = op[len("More_"):], int(v["number"])
        items = repo.comment_nodes(number) if kind.endswith("comments") else repo.review_nodes(number, nested)
        obj, field = ("issue", "comments") if kind == "issue_comments" else ("pullRequest", kind.split("_")[1])
        return {"data": {"repository": {obj: {field: _page(items, nested, v.get("after"))}}}}
    if op == "LinkedIssues":
        data, errors = {}, []
        for alias, number in re.findall(r"(\w+): issueOrPullRequest\(number: (\d+)\)", query):
            n = int(number)
            if n in repo.issues:
                i = repo.issues[n]
                data[alias] = {"__typename": "Issue", "number": n, "title": i["title"], "body": i["body"],
                               "author": _actor(i["user"]), "comments": _page(repo.comment_nodes(n), nested, None)}
            elif n in repo.pulls:
                data[alias] = {"__typename": "PullRequest"}
            else:
                data[alias] = None
                errors.append({"type": "NOT_FOUND", "path": ["repository", alias],
                               "message": f"Could not resolve to an issue or pull request with the number of {n}."})
        out: dict = {"data": {"repository": data}}
        if errors:
            out["errors"] = errors
        return out
    return {"errors": [{"message": f"unknown operation {op}"}]}


# ---------------------------------------------------------------------------------------------
# Helpers shared by the test modules


def make_demo(folder: Path) -> Path:
    """The embedded demo (git repo + metadata JSON) written under `folder`."""
    from agentmt.sources.demo import build_demo

    build_demo(folder)
    return folder


def demo_server(clock, demo: Path, **kw) -> tuple[FakeGitHub, str]:
    """A server holding the demo repository; (server, "owner/name")."""
    gh = FakeGitHub(clock, **kw)
    repo = gh.add_repo(DemoRepo(demo / "metadata", demo / "repo"))
    return gh, repo.full_name
