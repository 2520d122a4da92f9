"""A local HTTP server on 127.0.0.1 that serves a simulated World: the X API v2 (routes in `x_api`),
under /xrpc/, Bluesky's AppView (routes in `bluesky_appview`), with a bearer token check, and under
/api/, two federated Mastodon instances (`mastodon_api`: 127.0.0.1:PORT and localhost:PORT).

Faults can be injected per path prefix for crawler tests: a status code with headers (429 with
or without `x-rate-limit-reset`, a usage-cap body, 401, 403, 503...), a delay, a truncated body,
or the real page with a forced pagination token (a repeated-token fault); `echo` sends the
request's Authorization header back in the body and a header, as a careless server does.

Every X and XRPC request is checked against the published contract (`contracts`, the package's
`contract.json`; `tier` sets X's query length) before it is answered; a request the real service
would refuse gets its refusal (HTTP 400 with the real body shape), and every request, faulted or
not, is kept in `log` (path, every query value, status, contract errors) so a test can check them
all. `session_token` makes searchPosts answer 403 without that session, as the public AppView
does; `process=True` (the demo) serves from a forked process, beside the client on another core.

The server's clock: it serves the world it was given as of `when` (`World.at`; default the world's
own `now`, i.e. the whole world). `advance_to(when)` moves a running server's clock, for a forked
one too (the time lives in shared memory; the serving process rebuilds its views at its next request),
so a test can crawl, move the world on a week, and crawl again with `update`.

    with SimServer(build_world()) as server:
        requests.get(server.base_url + "/2/tweets/search/recent", params={"query": "#pourover"})
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from . import bluesky_appview, contracts, mastodon_api, x_api
from .. import jsontext
from .world import World

__all__ = ["SimServer", "Fault", "Logged"]


@dataclass
class Logged:
    """One X or XRPC request the server received: method, path, every query value, status, contract errors."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    errors: list = field(default_factory=list)
    fault: bool = False  # answered by an injected fault, not by the routes


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
    echo: bool = False  # echo the request's Authorization header back: raw, URL-encoded, base64 and as Basic auth

    def answer(self, authorization: str) -> dict:
        """The body this fault sends (with the echoed header, when `echo`)."""
        body = dict(self.body or {"title": "Simulated fault", "status": self.status})
        if self.echo:
            import base64
            from urllib.parse import quote

            body["detail"] = f"{body.get('detail', '')} request headers: {{'Authorization': {authorization!r}}}"
            body["echo"] = {"authorization": authorization, "quoted": quote(authorization, safe=""),
                            "base64": base64.b64encode(authorization.encode()).decode(),
                            "basic": "Basic " + base64.b64encode(f"user:{authorization[7:]}".encode()).decode()}
        return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in separate writes would stall ~40 ms on delayed ACKs
    wbufsize = 1 << 16  # one buffered write per response (flushed by http.server after each request)
    server: "_Server"

    def log_message(self, *args) -> None:  # quiet: tests and the demo read no access log
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        sim = self.server.sim
        sim.sync_clock()
        url = urlparse(self.path)
        sim.requests.append(url.path)
        if sim.latency:
            time.sleep(sim.latency)
        if url.path.startswith("/api/"):
            return self._mastodon(url)
        if sim.token and self.headers.get("Authorization") != f"Bearer {sim.token}":
            return self._send(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        fault = sim.take_fault(url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and not fault.truncate and fault.next_token is None:
            headers = {**fault.headers, **({"X-Echo-Authorization": self.headers.get("Authorization", "")} if fault.echo else {})}
            sim.log.append(Logged("GET", url.path, parse_qs(url.query, keep_blank_values=True), fault.status, fault=True))
            return self._send(fault.status, fault.answer(self.headers.get("Authorization", "")), headers)
        status, body = self._route(url)
        if fault and fault.next_token is not None and status == 200:
            if url.path.startswith("/xrpc/"):
                body["cursor"] = fault.next_token
            else:
                body.setdefault("meta", {})["next_token"] = fault.next_token
        self._send(status, body, truncate=bool(fault and fault.truncate))

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
        return self._send(*bluesky_appview.create_session(body, sim.login, sim.token or sim.session_token))

    def _route(self, url) -> tuple[int, dict]:
        """Check an X or XRPC request against the published contract (`contracts`), then answer it; log both."""
        sim = self.server.sim
        query = parse_qs(url.query, keep_blank_values=True)
        if url.path.startswith("/xrpc/"):
            nsid = url.path[len("/xrpc/"):]
            if (nsid == "app.bsky.feed.searchPosts" and sim.session_token
                    and self.headers.get("Authorization") != f"Bearer {sim.session_token}"):
                sim.log.append(Logged("GET", url.path, query, 403))  # as the public AppView answers a search without a session
                return 403, {"error": "Forbidden", "message": "searchPosts requires an authenticated session"}
            errors = sim.contract.check_bluesky(nsid, query) if nsid in sim.contract.bluesky else []
            status, body = (400, {"error": "InvalidRequest", "message": errors[0]}) if errors else self._bluesky(nsid, query)
        else:
            route, path_params = x_api.template(url.path)
            errors = sim.contract.check_x(route, path_params, query, tier=sim.tier) if route in sim.contract.x else []
            status, body = ((400, contracts.x_refusal(errors)) if errors else
                            x_api.route(sim.index, url.path, {k: v[-1] for k, v in query.items()}))
        sim.log.append(Logged("GET", url.path, query, status, errors))
        return status, body

    def _bluesky(self, nsid: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        """Answer an app.bsky.* query, building the Bluesky views of the world on the first one."""
        sim = self.server.sim
        with sim._lock:
            if sim.bluesky is None:
                sim.bluesky = bluesky_appview.BlueskyIndex(sim.world, sim.index)
        return bluesky_appview.route(sim.bluesky, nsid, query)

    def _mastodon(self, url) -> None:
        """Answer a Mastodon /api/ request (`mastodon_api`), with the faults of its path like the other routes."""
        sim = self.server.sim
        authorization = self.headers.get("Authorization")
        fault = sim.take_fault(url.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and not fault.truncate and fault.next_token is None:
            return self._send(fault.status, fault.answer(authorization or ""), fault.headers)
        status, body, headers = mastodon_api.serve(sim.mastodon_index, self.headers.get("Host", ""), url.path,
                                                   parse_qs(url.query), authorization, sim.token,
                                                   self.client_address[0], sim.clock(), sim.mastodon_public)
        if fault and fault.next_token is not None and status == 200:
            headers["Link"] = f'<http://{self.headers.get("Host")}{url.path}?max_id={fault.next_token}>; rel="next"'
        self._send(status, body, headers, truncate=bool(fault and fault.truncate))

    def _send(self, status: int, body: dict, headers: dict | None = None, truncate: bool = False) -> None:
        data = jsontext.dumps(body).encode("utf-8")
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
                 login: tuple[str, str] | None = None, tier: str = "self-serve", session_token: str | None = None,
                 process: bool = False):
        self.full_world = world  # everything; `world` is what exists at the server's clock (`advance_to`)
        self.world = world
        self._when = __import__("multiprocessing").get_context("fork").Value("d", world.now.timestamp(), lock=False)
        self._served = world.now.timestamp()
        self.tier = tier  # the X access tier whose query length the contract holds requests to
        self.process = process  # serve from a forked process (the demo): faults, `log` and `requests` stay in the child
        self._process = None
        self.session_token = session_token  # set: searchPosts needs this session token (403 without), like the public AppView
        self.contract = contracts.load()  # the package's contract.json, derived from the published specs
        self.log: list[Logged] = []  # every X and XRPC request with its query and status (for contract tests)
        self.login = login  # (handle, app password) that createSession accepts, answering `token`
        self.latency = latency  # seconds added to every answer, as a network would
        self.bluesky: bluesky_appview.BlueskyIndex | None = None  # Bluesky views, built on the first /xrpc/ request
        self.mastodon: mastodon_api.MastodonIndex | None = None  # Mastodon views, built on the first /api/ request
        self.mastodon_public = True  # False: the primary instance answers 401 to requests without the token
        self.clock = time.time  # the Mastodon rate-limit windows' clock (tests may move it)
        self.index = x_api.XIndex(world)
        self.token = token
        self.port = port
        self.requests: list[str] = []
        self._faults: list[tuple[str, Fault]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def now(self) -> "datetime":
        """The server's clock: the time of the world it serves."""
        from datetime import datetime, timezone

        return datetime.fromtimestamp(self._when.value, tz=timezone.utc)

    def advance_to(self, when: "datetime") -> None:
        """Serve the world as of `when` (an aware datetime, within the world given): what exists by then, counts
        as of then. Works on a running server, forked (`process=True`) or not; the next request sees it."""
        if when.tzinfo is None:
            raise ValueError("when must be an aware datetime")
        self._when.value = when.timestamp()
        self.sync_clock()

    def sync_clock(self) -> None:
        """Rebuild the served views when the clock moved since they were built (called before each request)."""
        when = self._when.value
        if when == self._served:
            return
        with self._lock:
            if when == self._served:
                return
            world = self.full_world if when == self.full_world.now.timestamp() else self.full_world.at(self.now)
            self.world, self.index, self.bluesky, self.mastodon = world, x_api.XIndex(world), None, None
            self._served = when

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        assert self._server is not None, "start the server first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mastodon_index(self) -> mastodon_api.MastodonIndex:
        """The Mastodon views of the world: this server is `127.0.0.1:PORT` and, federated with it, `localhost:PORT`."""
        with self._lock:
            if self.mastodon is None:
                port = self._server.server_address[1]
                self.mastodon = mastodon_api.MastodonIndex(self.world, f"127.0.0.1:{port}", f"localhost:{port}")
        return self.mastodon

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
        if self.process:  # a forked child serves the bound socket: its work runs beside the client's, not under its GIL
            import multiprocessing

            self._process = multiprocessing.get_context("fork").Process(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            self._process.start()
            return self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(timeout=5)
        elif self._server is not None:
            self._server.shutdown()
        if self._server is not None:
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
