"""HTTP transport for the crawlers: what tweepy and atproto lack, in one place.

Rules (documented in the README):

- **Timeouts** on every call: connect and read (default 5 s and 30 s).
- **Retries** with exponential backoff and jitter (1 s, 2 s, 4 s... at most `max_backoff`) for
  5xx answers, connection errors, timeouts and truncated or unparsable bodies; after
  `max_retries` the crawl stops with exit 5 and a resume hint.
- **429**: no request goes to that endpoint before its reset time (`x-rate-limit-reset` or
  `RateLimit-Reset`, epoch seconds); without a reset header, backoff that starts at 1 s and
  doubles. A reset further away than `max_wait` (default 20 minutes), or a body saying the usage
  cap is exceeded, is a quota, not a window: the crawl stops with exit 5 and a resume hint.
- **Circuit breaker**: `breaker` consecutive 503 answers from one endpoint stop the crawl (exit 5).
- **401** stops with exit 4. **403** raises `Forbidden` naming the endpoint, so the crawler can
  say which tier is needed and go on with what is allowed.
- **Secrets**: the token is sent in a header only; `redact` removes it (plain, URL-encoded or
  base64) from any text, and `install_log_redaction` filters every log record, tweepy's included.
- `sleep` and `now` are injectable, so rate-limit tests run in milliseconds; waits are cut into
  short slices so Ctrl-C or SIGTERM stops a crawl within a second.
"""
from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from ..errors import AuthError, UpstreamUnavailable

__all__ = ["Transport", "Forbidden", "redact", "install_log_redaction", "Sent"]

log = logging.getLogger("influgraph.crawlers")


class Forbidden(Exception):
    """A 403: this endpoint is not allowed for these credentials (often a paid tier)."""

    def __init__(self, endpoint: str, detail: str):
        self.endpoint = endpoint
        self.detail = detail
        super().__init__(f"{endpoint}: {detail}")


@dataclass
class Sent:
    """One request as sent: endpoint template, time, and the answer's status (None: no answer)."""

    endpoint: str
    at: float
    status: int | None
    seconds: float = 0.0  # how long the call took (wall clock)


def _forms(secret: str) -> list[str]:
    return [s for s in {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()} if s]


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret (plain, URL-encoded or base64) replaced by ***."""
    for secret in secrets:
        if secret:
            for form in _forms(secret):
                text = text.replace(form, "***")
    return text


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install_log_redaction(secrets: list[str]) -> None:
    """Filter every log record (influgraph's, tweepy's, urllib3's, httpx's) through `redact`; quiet tweepy's DEBUG."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return
    flt = _RedactingFilter(secrets)
    for name in ("", "influgraph", "tweepy", "urllib3", "requests", "httpx", "atproto"):
        logger = logging.getLogger(name)
        logger.addFilter(flt)
        for handler in logger.handlers:
            handler.addFilter(flt)
    tweepy_log = logging.getLogger("tweepy")
    if tweepy_log.level == logging.NOTSET:
        tweepy_log.setLevel(logging.INFO)  # tweepy prints the Authorization header at DEBUG; asked for, it is filtered


@dataclass
class Transport:
    """Sends GET requests to one API with timeouts, retries, rate-limit waits and a circuit breaker."""

    base_url: str
    token: str | None = None
    token_header: str = "Authorization"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    max_backoff: float = 60.0
    max_wait: float = 1200.0
    breaker: int = 5
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    on_wait: Callable[[str, float], None] | None = None
    seed: int | None = None
    sent: list[Sent] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.blocked_until: dict[str, float] = {}
        self.failures_503: dict[str, int] = {}
        self._random = random.Random(self.seed)

    # ------------------------------------------------------------------ helpers
    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.on_wait:
            self.on_wait(why, seconds)
        log.info("waiting %.1f s: %s", seconds, why)
        end = self.now() + seconds
        while True:  # short slices: a signal handler runs between them
            left = end - self.now()
            if left <= 0:
                return
            self.sleep(min(left, 0.5))

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, 2.0 ** attempt) * (0.5 + self._random.random())

    def _reset_at(self, response: requests.Response) -> float | None:
        for name in ("x-rate-limit-reset", "ratelimit-reset"):
            value = response.headers.get(name)
            if value and value.strip().isdigit():
                return float(value.strip())
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.strip().isdigit():
            return self.now() + float(retry_after.strip())
        return None

    @staticmethod
    def _is_cap(response: requests.Response) -> bool:
        text = response.text[:2000].lower()
        return "usagecapexceeded" in text or "usage-capped" in text or "usage cap exceeded" in text

    def _stop(self, message: str) -> UpstreamUnavailable:
        return UpstreamUnavailable(redact(message, [self.token or ""]), hint="crawl again later with `resume`", param="resume")

    # ------------------------------------------------------------------ the call
    def get(self, endpoint: str, path: str, params: dict | None = None, headers: dict | None = None) -> tuple[dict, requests.Response]:
        """GET `path` (relative to base_url); `endpoint` is the rate-limit key (a route template). Returns (JSON, response)."""
        url = path if path.startswith("http") else self.base_url + path
        headers = dict(headers or {})
        if self.token and self.token_header not in headers:
            headers[self.token_header] = f"Bearer {self.token}"
        attempt = 0
        rate_attempt = 0
        while True:
            blocked = self.blocked_until.get(endpoint, 0.0) - self.now()
            if blocked > 0:
                self._wait(blocked, f"{endpoint} rate limit window")
            started, wall = self.now(), time.monotonic()
            try:
                response = self.session.get(url, params=params, headers=headers,
                                            timeout=(self.connect_timeout, self.read_timeout))
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.sent.append(Sent(endpoint, started, None, time.monotonic() - wall))
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                attempt += 1
                if attempt > self.max_retries:
                    raise self._stop(f"{endpoint}: {kind} {attempt} times") from None
                self._wait(self._backoff(attempt - 1), f"{endpoint} {kind}, retry {attempt}")
                continue
            self.sent.append(Sent(endpoint, started, response.status_code, time.monotonic() - wall))
            status = response.status_code
            if status != 503:
                self.failures_503[endpoint] = 0
            if status == 200:
                try:
                    body = response.json()
                    if not isinstance(body, dict):
                        raise ValueError("not a JSON object")
                    return body, response
                except ValueError:
                    attempt += 1
                    if attempt > self.max_retries:
                        raise self._stop(f"{endpoint}: truncated or invalid JSON {attempt} times") from None
                    self._wait(self._backoff(attempt - 1), f"{endpoint} truncated body, retry {attempt}")
                    continue
            if status == 429:
                if self._is_cap(response):
                    raise self._stop(f"{endpoint}: the usage cap of these credentials is exhausted (HTTP 429 usage cap)")
                reset = self._reset_at(response)
                if reset is not None:
                    wait = reset - self.now() + 1.0
                    if wait > self.max_wait:
                        raise self._stop(f"{endpoint}: rate limited until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(reset))}, "
                                         f"longer than a rate-limit window")
                    self.blocked_until[endpoint] = self.now() + max(wait, 1.0)
                else:
                    rate_attempt += 1
                    if rate_attempt > self.max_retries + 3:
                        raise self._stop(f"{endpoint}: still rate limited after {rate_attempt} waits")
                    self.blocked_until[endpoint] = self.now() + max(1.0, min(self.max_wait, 2.0 ** (rate_attempt - 1)))
                continue
            if status == 401:
                raise AuthError(f"{endpoint}: the API refused the credentials (HTTP 401)", hint="check `token`", param="token")
            if status == 403:
                raise Forbidden(endpoint, _detail(response))
            if status == 503:
                self.failures_503[endpoint] = self.failures_503.get(endpoint, 0) + 1
                if self.failures_503[endpoint] >= self.breaker:
                    raise self._stop(f"{endpoint}: {self.failures_503[endpoint]} consecutive HTTP 503 answers; "
                                     "the service looks down (circuit breaker open)")
            if status >= 500:
                attempt += 1
                if attempt > self.max_retries:
                    raise self._stop(f"{endpoint}: HTTP {status} {attempt} times")
                self._wait(self._backoff(attempt - 1), f"{endpoint} HTTP {status}, retry {attempt}")
                continue
            return {"__status": status, "__detail": _detail(response)}, response


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("title", "detail", "reason", "error", "message") if body.get(k)]
        return f"HTTP {response.status_code}: " + "; ".join(parts)[:300] if parts else f"HTTP {response.status_code}"
    return f"HTTP {response.status_code}"
