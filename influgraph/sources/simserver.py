"""A local HTTP server on 127.0.0.1 that serves a simulated World in the shapes of the X API v2
and, under /xrpc/, of Bluesky's AppView (see `simbluesky`).

Endpoints: `/2/tweets/search/recent` (query of `#hashtag` and keyword terms joined by OR, or
`conversation_id:ID` terms for the replies of a thread, with
`data`, `includes.users`, `includes.tweets` and `meta.next_token` like the recorded pages),
`/2/users/ID/followers` and `/following`, `/2/tweets/ID/retweeted_by` and `/liking_users`, and
`/2/tweets/ID/quote_tweets`, `/2/users?ids=` and `/2/users/by?usernames=` (unknown ids or
names come back as partial `errors[]`, as the real API does).

Faults can be injected per path prefix for crawler tests: a status code with headers (429 with
or without `x-rate-limit-reset`, a usage-cap body, 401, 403, 503...), a delay, a truncated body,
or the real page with a forced pagination token (a repeated-token fault).

    with SimServer(build_world()) as server:
        requests.get(server.base_url + "/2/tweets/search/recent", params={"query": "#pourover"})
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from .simulated import World

__all__ = ["SimServer", "Fault"]

_USER_FIELDS = ("id", "username", "name", "description", "created_at", "verified", "protected", "location", "public_metrics")


@dataclass
class Fault:
    """What to answer instead of the real page, `times` times (None: forever)."""

    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    delay: float = 0.0
    truncate: bool = False  # send the real page cut in half, with a matching Content-Length
    next_token: str | None = None  # send the real page with this pagination token (a repeated-token fault)
    times: int | None = 1


class _Index:
    """Look-ups over the world, built once."""

    def __init__(self, world: World):
        self.users = {a["id"]: {k: a[k] for k in _USER_FIELDS if k in a} for a in world.accounts}
        self.by_username = {a["username"].lower(): a["id"] for a in world.accounts}
        self.tweets = {t["id"]: t for t in world.posts}
        self.newest_first = sorted(world.posts, key=lambda t: (t["created_at"], t["id"]), reverse=True)
        self.terms = {t["id"]: ({h["tag"].casefold() for h in t.get("entities", {}).get("hashtags", [])},
                                t["text"].casefold()) for t in world.posts}
        self.followers: dict[str, list[str]] = defaultdict(list)
        self.following: dict[str, list[str]] = defaultdict(list)
        for src, dst in world.follows:
            self.followers[dst].append(src)
            self.following[src].append(dst)
        self.retweeters: dict[str, list[str]] = defaultdict(list)
        for tweet in world.posts:
            for ref in tweet.get("referenced_tweets", []):
                if ref["type"] == "retweeted":
                    self.retweeters[ref["id"]].append(tweet["author_id"])

    def search(self, query: str) -> list[dict]:
        query = re.sub(r"(^|\s)-\S+", " ", re.sub(r"\blang:\w+", " ", query)).replace("(", " ").replace(")", " ")
        terms = [t.strip().strip('"').casefold() for t in query.split(" OR ") if t.strip().strip('"')]
        conversations = {t.split(":", 1)[1] for t in terms if t.startswith("conversation_id:")}
        if conversations:
            return [t for t in self.newest_first if t["conversation_id"] in conversations and t["id"] not in conversations]
        terms = [t for t in terms if not t.startswith("-") and ":" not in t]
        hashtags = {t[1:] for t in terms if t.startswith("#")}
        words = [t for t in terms if not t.startswith("#")]
        return [t for t in self.newest_first
                if self.terms[t["id"]][0] & hashtags or any(w in self.terms[t["id"]][1] for w in words)]

    def expand(self, tweets: list[dict]) -> dict:
        """`includes` for a page of tweets: referenced tweets and every user they name."""
        referenced = [self.tweets[r["id"]] for t in tweets for r in t.get("referenced_tweets", []) if r["id"] in self.tweets]
        user_ids: dict[str, None] = {}
        for tweet in tweets + referenced:
            user_ids[tweet["author_id"]] = None
            for mention in tweet.get("entities", {}).get("mentions", []):
                user_ids[mention["id"]] = None
            if tweet.get("in_reply_to_user_id"):
                user_ids[tweet["in_reply_to_user_id"]] = None
        unique_refs = list({t["id"]: t for t in referenced}.values())
        includes = {"users": [self.users[u] for u in user_ids if u in self.users]}
        if unique_refs:
            includes["tweets"] = unique_refs
        return includes


def _page(items: list, token: str | None, size: int) -> tuple[list, str | None]:
    start = int(token[2:], 16) if token and token.startswith("pg") and token[2:].isalnum() else 0
    chunk = items[start:start + size]
    following = f"pg{start + size:x}" if start + size < len(items) else None
    return chunk, following


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in separate writes would stall ~40 ms on delayed ACKs
    wbufsize = 1 << 16  # one buffered write per response (flushed by http.server after each request)
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet: tests and the demo read no access log
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        sim = self.server.sim
        url = urlparse(self.path)
        sim.requests.append(url.path)
        if sim.latency:
            time.sleep(sim.latency)
        if sim.token and self.headers.get("Authorization") != f"Bearer {sim.token}":
            return self._send(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        fault = sim.take_fault(url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and not fault.truncate and fault.next_token is None:
            return self._send(fault.status, fault.body or {"title": "Simulated fault", "status": fault.status}, fault.headers)
        if url.path.startswith("/xrpc/"):
            status, body = self._bluesky(url.path[len("/xrpc/"):], parse_qs(url.query))
        else:
            status, body = self._route(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
        if fault and fault.next_token is not None and status == 200:
            if url.path.startswith("/xrpc/"):
                body["cursor"] = fault.next_token
            else:
                body.setdefault("meta", {})["next_token"] = fault.next_token
        self._send(status, body, truncate=bool(fault and fault.truncate))

    def _route(self, path: str, query: dict) -> tuple[int, dict]:
        index = self.server.sim.index
        size = max(1, min(int(query.get("max_results", "100") or 100), 1000))
        parts = path.strip("/").split("/")
        if path == "/2/tweets/search/recent":
            if not query.get("query"):
                return 400, {"title": "Invalid Request", "detail": "query is required", "status": 400}
            tweets, token = _page(index.search(query["query"]), query.get("next_token"), min(size, 100))
            meta = {"result_count": len(tweets)}
            if tweets:
                meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
            if token:
                meta["next_token"] = token
            body = {"data": tweets, "includes": index.expand(tweets), "meta": meta} if tweets else {"meta": meta}
            return 200, body
        if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] in ("followers", "following"):
            relation = index.followers if parts[3] == "followers" else index.following
            if parts[2] not in index.users:
                return 200, {"errors": [{"resource_type": "user", "parameter": "id", "resource_id": parts[2],
                                         "value": parts[2], "title": "Not Found Error", "detail": f"Could not find user with id: [{parts[2]}]."}]}
            ids, token = _page(relation.get(parts[2], []), query.get("pagination_token"), size)
            return 200, self._users(ids, token)
        if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] == "quote_tweets":
            quotes = [t for t in index.newest_first
                      if any(r["type"] == "quoted" and r["id"] == parts[2] for r in t.get("referenced_tweets", []))]
            tweets, token = _page(quotes, query.get("pagination_token"), min(size, 100))
            meta = {"result_count": len(tweets), **({"next_token": token} if token else {})}
            return 200, ({"data": tweets, "includes": index.expand(tweets), "meta": meta} if tweets else {"meta": meta})
        if path == "/2/users/by":
            wanted = [u for u in query.get("usernames", "").split(",") if u]
            found = [index.by_username[u.lower()] for u in wanted if u.lower() in index.by_username]
            body = self._users(found, None)
            missing = [u for u in wanted if u.lower() not in index.by_username]
            if missing:
                body["errors"] = [{"parameter": "usernames", "resource_id": u, "value": u, "resource_type": "user",
                                   "title": "Not Found Error", "detail": f"Could not find user with usernames: [{u}]."}
                                  for u in missing]
            body.pop("meta", None)
            return 200, body
        if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] in ("retweeted_by", "liking_users"):
            ids = index.retweeters.get(parts[2], []) if parts[3] == "retweeted_by" else []
            ids, token = _page(ids, query.get("pagination_token"), min(size, 100))
            return 200, self._users(ids, token)
        if path == "/2/users":
            wanted = [i for i in query.get("ids", "").split(",") if i]
            body = self._users([i for i in wanted if i in index.users], None)
            missing = [i for i in wanted if i not in index.users]
            if missing:
                body["errors"] = [{"resource_type": "user", "parameter": "ids", "resource_id": i, "value": i,
                                   "title": "Not Found Error", "detail": f"Could not find user with ids: [{i}]."} for i in missing]
            return 200, body
        return 404, {"title": "Not Found", "detail": f"no route for {path}", "status": 404}

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        """com.atproto.server.createSession: the simulated login, giving the server's token for the right password."""
        sim = self.server.sim
        url = urlparse(self.path)
        sim.requests.append(url.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        if url.path != "/xrpc/com.atproto.server.createSession":
            return self._send(501, {"error": "MethodNotImplemented"})
        if sim.login and (body.get("identifier"), body.get("password")) == sim.login:
            return self._send(200, {"accessJwt": sim.token, "refreshJwt": "refresh-" + str(sim.token),
                                    "handle": body["identifier"], "did": "did:plc:simlogin"})
        return self._send(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})

    def _bluesky(self, nsid: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        from .simbluesky import BlueskyIndex, route

        sim = self.server.sim
        with sim._lock:
            if sim.bluesky is None:
                sim.bluesky = BlueskyIndex(sim.world, sim.index)
        return route(sim.bluesky, nsid, query)

    def _users(self, ids: list[str], token: str | None) -> dict:
        users = [self.server.sim.index.users[i] for i in ids]
        meta = {"result_count": len(users), **({"next_token": token} if token else {})}
        return {"data": users, "meta": meta} if users else {"meta": meta}

    def _send(self, status: int, body: dict, headers: dict | None = None, truncate: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if truncate:
            data = data[: len(data) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sim: "SimServer"

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a killed crawler, a timeout) is normal here: say nothing."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SimServer:
    """The simulated platform on 127.0.0.1 (an OS-assigned port); a context manager that stops itself."""

    def __init__(self, world: World, *, token: str | None = None, port: int = 0, latency: float = 0.0,
                 login: tuple[str, str] | None = None):
        self.world = world
        self.login = login  # (handle, app password) that createSession accepts, answering `token`
        self.latency = latency  # seconds added to every answer, as a network would
        self.bluesky = None  # Bluesky views of the world, built on the first /xrpc/ request
        self.index = _Index(world)
        self.token = token
        self.port = port
        self.requests: list[str] = []
        self._faults: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        assert self._server is not None, "start the server first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_fault(self, path_prefix: str, fault: Fault) -> None:
        """Answer requests whose path starts with `path_prefix` with `fault` (first added, first used)."""
        with self._lock:
            self._faults.append((path_prefix, fault))

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for position, (prefix, fault) in enumerate(self._faults):
                if path.startswith(prefix):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.pop(position)
                    return fault
        return None

    def __enter__(self) -> "SimServer":
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.sim = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
