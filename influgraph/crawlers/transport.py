"""HTTP transport for the crawlers: what tweepy and atproto lack, in one place.

Rules (documented in the README):

- **Timeouts** on every call: connect and read (default 5 s and 30 s).
- **Retries** with exponential backoff and jitter (1 s, 2 s, 4 s... at most `max_backoff`) for
  5xx answers, connection errors, timeouts and truncated or unparsable bodies; after
  `max_retries` the crawl stops with exit 5 and a resume hint.
- **429**: no request goes to that endpoint before its reset time (`x-rate-limit-reset` or
  `RateLimit-Reset`, epoch seconds, or Mastodon's `X-RateLimit-Reset`, an ISO 8601 time); without a reset header, backoff that starts at 1 s and
  doubles. A reset further away than `max_wait` (default 20 minutes), or a body saying the usage
  cap is exceeded, is a quota, not a window: the crawl stops with exit 5 and a resume hint.
- **Circuit breaker**: `breaker` consecutive 503 answers from one endpoint stop the crawl (exit 5).
- **401** stops with exit 4. **403** raises `Forbidden` naming the endpoint, so the crawler can
  say which tier is needed and go on with what is allowed.
- **Connection failures** are retried like 5xx, but while no request of this run has had an
  answer only `first_contact_retries` times (default 2), so a wrong URL or a closed port stops
  within seconds (exit 5, naming the reason). A request that cannot be sent at all (a header
  `requests` refuses) is not retried: exit 4 for the token, exit 5 otherwise.
- **Secrets**: the token is sent in a header only and must be printable ASCII (`check_secret`);
  `redact` is the one function that removes secrets from text, in every form they can take
  (raw, stripped, escaped as Python's repr or JSON prints it, URL-encoded, base64 at any offset,
  as in a Basic auth header). Every answer's body and headers pass through it on arrival,
  whatever the status, before tweepy, atproto, a message or the crawl state sees them; and
  `install_log_redaction` filters every log record, tweepy's included.
- `sleep` and `now` are injectable, so rate-limit tests run in milliseconds; waits are cut into
  short slices so Ctrl-C or SIGTERM stops a crawl within a second.
"""
from __future__ import annotations

import base64
import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote

import requests

from ..errors import AuthError, UpstreamUnavailable
from .. import jsontext

__all__ = ["Transport", "Forbidden", "redact", "secret_forms", "check_secret", "install_log_redaction", "Sent", "iso_epoch"]

log = logging.getLogger("influgraph.crawlers")
MIN_DERIVED = 8  # a base64 piece shorter than this is too common to replace


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


def _base64_forms(value: str) -> set[str]:
    """`value` in base64 wherever it sits in an encoded text: whole, and at each of the 3 byte alignments."""
    data = value.encode("utf-8")
    found = {base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()}
    for offset in range(3):
        piece = data[offset:]
        piece = piece[: len(piece) // 3 * 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(piece).decode()
            if len(text) >= MIN_DERIVED:
                found.add(text)
    return found


@lru_cache(maxsize=256)
def secret_forms(secret: str) -> tuple[str, ...]:
    """Every form `secret` can take in a message, a log line or a stored body, longest first.

    The raw and the stripped value (and the URL-decoded one), each as is, escaped as Python's
    repr or JSON prints it (`\\n`, `\\u00e9`, `\\/`), URL-encoded (`quote`, `quote_plus`, lower-case
    escapes), and base64 (standard and URL-safe, whole or at any offset inside a longer encoded
    text such as a Basic auth header).

    >>> "dG9rLTEyMzQ1Njc4" in secret_forms("tok-12345678")
    True
    """
    bases = {v for v in (secret, secret.strip(), unquote(secret), unquote(secret).strip()) if v}
    forms: set[str] = set()
    for value in bases:
        escaped = {repr(value)[1:-1], json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                   jsontext.dumps(value)[1:-1]}
        escaped |= {e.replace("/", "\\/") for e in escaped}
        encoded = {quote(value, safe=""), quote(value), quote_plus(value)}
        encoded |= {re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), e) for e in encoded}
        forms |= {value} | escaped | encoded | _base64_forms(value)
    return tuple(sorted((f for f in forms if f in bases or len(f) >= min(MIN_DERIVED, len(secret))),
                        key=lambda f: (-len(f), f)))


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every form of every secret (see `secret_forms`) replaced by ***.

    >>> redact("Authorization: Basic " + base64.b64encode(b"me:tok-12345678").decode(), ["tok-12345678"])[:24]
    'Authorization: Basic bWU'
    >>> redact("value: 'Bearer tok-12345678\\n'", ["tok-12345678\n"])
    "value: 'Bearer ***'"
    """
    for secret in secrets:
        if secret:
            for form in secret_forms(secret):
                if form in text:
                    text = text.replace(form, "***")
    return text


_KINDS = {"\n": "a line break", "\r": "a carriage return", " ": "a space", "\t": "a tab"}


def check_secret(value: str, param: str, what: str = "token", *, header: bool = True) -> None:
    """Refuse a secret that cannot be sent as is, naming the character's place but never the secret.

    A secret sent in a header (`header`) must be printable ASCII without spaces; any other one
    must hold no control character and no surrounding whitespace. `what` names it in the
    message ("token", "app password"). Raises AuthError (exit 4) about `param`.

    >>> check_secret("tok\\n", "token")
    Traceback (most recent call last):
    influgraph.errors.AuthError: the token holds a line break at character 4 of 4 (...)
    """
    for place, char in enumerate(value, 1):
        edge = place in (1, len(value)) and char.isspace()
        bad = not ("!" <= char <= "~") if header else (edge or char.isspace() and char != " " or not char.isprintable())
        if bad:
            kind = _KINDS.get(char) or (f"a space character (U+{ord(char):04X})" if char.isspace() else
                                        f"a control character (U+{ord(char):04X})" if not char.isprintable() else
                                        f"a non-ASCII character (U+{ord(char):04X})")
            rule = "printable ASCII without spaces" if header else "free of control characters and surrounding spaces"
            raise AuthError(f"the {what} holds {kind} at character {place} of {len(value)}",
                            hint=f"remove it from `{param}`: {'an' if what[0] in 'aeiou' else 'a'} {what} is {rule}",
                            param=param)


class _RedactingFilter(logging.Filter):
    """One filter for the process: every secret any crawl installed, out of every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:  # a traceback is text too: format it now, cleaned
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        cleaned = redact(message, self.secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = _RedactingFilter()


def install_log_redaction(secrets: list[str]) -> None:
    """Filter every log record (influgraph's, tweepy's, urllib3's, httpx's) through `redact`; quiet tweepy's DEBUG."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return
    _FILTER.secrets.extend(s for s in secrets if s not in _FILTER.secrets)
    targets: list[logging.Filterer] = [logging.lastResort] if logging.lastResort else []  # what prints without handlers
    for name in ("", "influgraph", "tweepy", "urllib3", "requests", "httpx", "atproto"):
        logger = logging.getLogger(name)
        targets += [logger, *logger.handlers]
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
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
    first_contact_retries: int = 2  # connection failures retried while no request of this run had an answer
    max_backoff: float = 60.0
    max_wait: float = 1200.0
    breaker: int = 5
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    on_wait: Callable[[str, float], None] | None = None
    seed: int | None = None
    secrets: list[str] = field(default_factory=list)  # more secrets to redact than `token` (an app password)
    sent: list[Sent] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.blocked_until: dict[str, float] = {}
        self.failures_503: dict[str, int] = {}
        self._random = random.Random(self.seed)

    def redact(self, text: str) -> str:
        """`text` without any form of this transport's secrets (its current token included)."""
        return redact(text, [self.token or "", *self.secrets])

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

    def _retry(self, endpoint: str, attempt: int, why: str, limit: int | None = None, hint: str | None = None) -> None:
        """Wait before retry `attempt`, or stop the crawl once the retries are spent."""
        if attempt > (self.max_retries if limit is None else limit):
            raise self._stop(f"{endpoint}: {why} {attempt} times", hint)
        self._wait(self._backoff(attempt - 1), f"{endpoint} {why}, retry {attempt}")

    def _reset_at(self, response: requests.Response) -> float | None:
        for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
            value = response.headers.get(name)
            if value and value.strip().isdigit():
                return float(value.strip())
            if value and (when := iso_epoch(value)) is not None:  # Mastodon's X-RateLimit-Reset is an ISO 8601 time
                return when
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.strip().isdigit():
            return self.now() + float(retry_after.strip())
        return None

    @staticmethod
    def _is_cap(response: requests.Response) -> bool:
        text = response.text[:2000].lower()
        return "usagecapexceeded" in text or "usage-capped" in text or "usage cap exceeded" in text

    def _stop(self, message: str, hint: str | None = None) -> UpstreamUnavailable:
        return UpstreamUnavailable(self.redact(message), hint=hint or "crawl again later with `resume`", param="resume")

    def _scrub(self, response: requests.Response) -> requests.Response:
        """The answer with every form of the secrets taken out of its body and headers, whatever its status."""
        text = response.content.decode("utf-8", "surrogateescape")
        cleaned = self.redact(text)
        if cleaned != text:
            response._content = cleaned.encode("utf-8", "surrogateescape")
        for name, value in list(response.headers.items()):
            if (clean := self.redact(value)) != value:
                response.headers[name] = clean
        return response

    def _send(self, endpoint: str, url: str, params: dict | None, headers: dict) -> requests.Response | str:
        """One attempt: the scrubbed answer, or why no answer came (a connection failure or a timeout)."""
        started, wall = self.now(), time.monotonic()
        try:
            response = self.session.get(url, params=params, headers=headers, timeout=(self.connect_timeout, self.read_timeout))
        except requests.Timeout:
            self.sent.append(Sent(endpoint, started, None, time.monotonic() - wall))
            return "timed out"
        except requests.ConnectionError as exc:
            self.sent.append(Sent(endpoint, started, None, time.monotonic() - wall))
            reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
            return f"connection failed ({reason.group(1).strip() if reason else type(exc).__name__})"
        except (requests.exceptions.InvalidHeader, UnicodeError):  # never on the wire: check_secret lets none through
            raise AuthError(f"{endpoint}: the `token` cannot be sent in an HTTP header", hint="check `token`",
                            param="token") from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            self.sent.append(Sent(endpoint, started, None, time.monotonic() - wall))
            return "truncated body"
        except requests.RequestException as exc:
            raise UpstreamUnavailable(self.redact(f"{endpoint}: the request could not be sent ({type(exc).__name__})"),
                                      hint="check `api_url`", param="api_url") from None
        self.sent.append(Sent(endpoint, started, response.status_code, time.monotonic() - wall))
        return self._scrub(response)

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
            response = self._send(endpoint, url, params, headers)
            if isinstance(response, str):
                attempt += 1
                answered = any(s.status is not None for s in self.sent)
                self._retry(endpoint, attempt, response, None if answered else min(self.max_retries, self.first_contact_retries),
                            None if answered else f"no request reached {self.base_url}: check `api_url` and the network, "
                                                  "then crawl again with `resume`")
                continue
            status = response.status_code
            if status != 503:
                self.failures_503[endpoint] = 0
            if status == 200:
                try:
                    body = jsontext.loads(response.content)
                    if not isinstance(body, dict):
                        raise ValueError("not a JSON object")
                    return body, response
                except ValueError:
                    attempt += 1
                    self._retry(endpoint, attempt, "truncated or invalid JSON")
                    continue
            if status == 429:
                rate_attempt = self._rate_limited(endpoint, response, rate_attempt)
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
                self._retry(endpoint, attempt, f"HTTP {status}")
                continue
            return {"__status": status, "__detail": _detail(response)}, response

    def _rate_limited(self, endpoint: str, response: requests.Response, rate_attempt: int) -> int:
        """A 429: block the endpoint until its reset, or back off; stop on a usage cap or a far reset.

        Returns the count of backoff waits so far (`rate_attempt`, plus one when this answer had no reset).
        """
        if self._is_cap(response):
            raise self._stop(f"{endpoint}: the usage cap of these credentials is exhausted (HTTP 429 usage cap)")
        reset = self._reset_at(response)
        if reset is not None:
            wait = reset - self.now() + 1.0
            if wait > self.max_wait:
                raise self._stop(f"{endpoint}: rate limited until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(reset))}, "
                                 f"longer than a rate-limit window")
            self.blocked_until[endpoint] = self.now() + max(wait, 1.0)
            return rate_attempt
        rate_attempt += 1
        if rate_attempt > self.max_retries + 3:
            raise self._stop(f"{endpoint}: still rate limited after {rate_attempt} waits")
        self.blocked_until[endpoint] = self.now() + max(1.0, min(self.max_wait, 2.0 ** (rate_attempt - 1)))
        return rate_attempt


def iso_epoch(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 time such as Mastodon's `2026-08-01T13:50:00.621469Z`, or None.

    >>> iso_epoch("1970-01-01T00:01:00.000Z")
    60.0
    """
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def status_refused(status: int | None) -> bool:
    """True for an answer that refuses the request itself (4xx other than 401 and 429)."""
    return status is not None and 400 <= status < 500 and status not in (401, 429)


def _detail(response: requests.Response) -> str:
    """The status and the reason an (already scrubbed) error body gives."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("title", "detail", "reason", "error", "message") if body.get(k)]
        errors = body.get("errors")
        if status_refused(response.status_code) and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            parts += [str(errors[0].get("message"))[:200]] if errors[0].get("message") else []  # X's invalid-request
        return f"HTTP {response.status_code}: " + "; ".join(parts)[:300] if parts else f"HTTP {response.status_code}"
    return f"HTTP {response.status_code}"
