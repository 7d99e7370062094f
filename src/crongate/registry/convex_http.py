"""Convex's HTTP API: the one client every stage uses to talk to a deployment, and the
registry source that reads rows through it.

The client posts ``{"path", "args", "format": "json"}`` to ``/api/query`` or
``/api/mutation`` and returns the function's value. Convex replies to a function that ran
with HTTP 200 (or 560) and ``{"status": "success" | "error", ...}``, and to a request it
rejected with a non-2xx status and ``{"code", "message"}``. Every outcome that is not a
value becomes a ``TargetError`` subclass (exit 3) whose message names the deployment URL
and the function, and never the key.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import logging
import math
import random
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

import crongate
from crongate.errors import (
    AuthRejected,
    ConfigError,
    FunctionFailed,
    FunctionNotFound,
    PermissionDenied,
    ProtocolError,
    TargetError,
    TargetTimeout,
    TargetUnreachable,
    UsageError,
)
from crongate.model import RegistryRow
from crongate.registry.interface import FieldMap, RegistrySource, row_from_document

logger = logging.getLogger(__name__)

#: Convex's status for "the function ran and failed"; its JS client treats it like 200.
STATUS_UDF_FAILED = 560

# Retried statuses: 503 is how Convex reports OCC conflicts, overload and temporary
# unavailability. 429 is its rate limit, whose Retry-After header may give the wait.
_RETRY_STATUSES = frozenset({429, 503})

# Convex's pagination rejects numItems below 1 or above 32,000 (PageSizeTooLarge).
_MAX_PAGE_SIZE = 32_000

# A bound on the pagination loop, so a deployment whose cursors never end cannot keep
# crongate reading forever. 10,000 pages of the default 1,000 rows is far past any registry.
_MAX_PAGES = 10_000

# A run of this many empty pages with isDone false ends the read. Convex may return a short
# or empty page when a filter discards what a page scanned, but not page after page.
_MAX_EMPTY_PAGES = 3

# The largest timeout or wait that settings accept, in seconds: an hour is far beyond any
# reply a deployment should take. Python raises OverflowError for a socket timeout or a
# time.sleep() of 1e10 s or more (CPython 3.11 on 64-bit Linux), so huge values must stop here.
MAX_SECONDS = 3600.0

# Characters of a server's text (a body, a Location header) kept in a message.
_SNIPPET_CHARS = 120

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_NOT_FOUND_MARKERS = ("Could not find public function", "Could not find function")

_KEY_HINT = (
    "set CONVEX_DEPLOY_KEY (or CONVEX_SELF_HOSTED_ADMIN_KEY for a self-hosted backend) "
    "to a key of this deployment"
)
_PERMISSION_HINT = (
    "the deploy key needs permission to run internal functions: "
    "deployment:functions:runInternalQueries and deployment:functions:runInternalMutations"
)
_LIST_FUNCTION_HINT = (
    "set registry.list_function in crongate.yml (or pass --list-function) to the query that "
    "lists the registry; an internal function is found only with a deploy or admin key"
)


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one deployment.

    ``timeout`` is in seconds and bounds connecting and each read or write. ``deadline``
    bounds a whole attempt, from connecting to the last byte of the reply, and defaults to
    ``max(30, 3 * timeout)``. Without it, a server that sends a little data within every
    read timeout would never time out. ``retries`` counts extra attempts after the first,
    for calls that are safe to repeat. ``backoff`` is the first wait between attempts in
    seconds (it doubles each time), and ``max_retry_wait`` caps that wait. A deployment
    whose Retry-After header requests a longer wait fails the call at once.

    Invalid values raise ``UsageError``: a key with characters that an HTTP header cannot
    carry, or a number of seconds that is not finite, not positive or above ``MAX_SECONDS``.
    """

    url: str
    key: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    retries: int = 3
    max_response_bytes: int = 32 * 1024 * 1024
    backoff: float = 0.5
    max_retry_wait: float = 30.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.key is not None:
            _check_key(self.key)
        _check_seconds("timeout", self.timeout, allow_zero=False)
        if self.deadline is not None:
            _check_seconds("deadline", self.deadline, allow_zero=False)
        _check_seconds("backoff", self.backoff, allow_zero=True)
        _check_seconds("max_retry_wait", self.max_retry_wait, allow_zero=True)

    @property
    def attempt_deadline(self) -> float:
        """The maximum length of one attempt in seconds."""
        if self.deadline is not None:
            return self.deadline
        return max(30.0, 3 * self.timeout)


def _check_key(key: str) -> None:
    """Raise UsageError if ``key`` has a character that cannot be sent in a header.

    The message names the kind of character and its position, never the key: an HTTP
    library's own error would quote the whole header value.
    """
    for position, char in enumerate(key, start=1):
        if "!" <= char <= "~":
            continue
        if char in "\r\n":
            kind = "a line break"
        elif char.isspace():
            kind = "whitespace"
        elif not char.isascii():
            kind = "a non-ASCII character"
        else:
            kind = "a control character"
        raise UsageError(
            f"invalid deploy key: character {position} of {len(key)} is {kind}",
            hint="copy the key again from the Convex dashboard and set CONVEX_DEPLOY_KEY to "
            "the key alone, without quotes, spaces or line breaks",
        )


def _check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    """Raise UsageError unless ``value`` is a finite number of seconds in range."""
    expected = f"from 0 to {MAX_SECONDS:g}" if allow_zero else f"above 0 and at most {MAX_SECONDS:g}"
    valid = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value >= 0 if allow_zero else value > 0)
        and value <= MAX_SECONDS
    )
    if not valid:
        raise UsageError(
            f"invalid {name} {value!r}: expected a finite number of seconds {expected}",
            hint="pass a finite number of seconds, such as 10, to --timeout or registry.timeout"
            if name == "timeout"
            else f"set ConnectionSettings.{name} to a number of seconds {expected}",
        )


class Redactor:
    """Remove a key, and every part of it that a server could echo, from text.

    A Convex key looks like ``prod:name|secret``. The backend strips the type prefix and,
    for preview and project keys, keeps only the part after ``|``, so an echoed key may
    be any suffix that starts after a ``:`` or ``|``. Each of them is redacted, longest
    first, along with its URL-encoded form. Suffixes shorter than ``MIN_PART`` characters
    are kept: no real key ends in so short a secret, and masking every "a" or "x" would
    make messages unreadable.
    """

    MIN_PART = 6

    MASK = "***"

    def __init__(self, secrets: Iterable[str | None]) -> None:
        parts: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            parts.add(secret)
            for separator in ("|", ":"):
                for index, char in enumerate(secret):
                    if char == separator and len(secret) - index - 1 >= self.MIN_PART:
                        parts.add(secret[index + 1:])

        # Besides the URL-encoded form, an HTTP library's error may quote a header value as
        # a Python str or bytes literal, in which "\n" or a non-ASCII byte is escaped.
        forms = set(parts)
        for part in parts:
            forms.add(urllib.parse.quote(part, safe=""))
            forms.add(repr(part)[1:-1])
            forms.add(part.encode("unicode_escape").decode("ascii"))
            for encoding in ("utf-8", "latin-1"):
                forms.add(repr(part.encode(encoding, errors="replace"))[2:-1])
        self._parts = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for part in self._parts:
            text = text.replace(part, self.MASK)
        return text


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: seconds, or an HTTP date. None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also accepts "inf", "nan" and "1e999", which no server means.
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class _Retry(Exception):
    """One attempt failed in a way that may succeed if repeated."""

    def __init__(self, error: TargetError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Return httpx's default verifying TLS context, built once per process.

    Building it loads the CA bundle, which took about 0.1 s per client on a 2-core machine.
    """
    return httpx.create_ssl_context()


class _Watchdog:
    """Shut down one request's socket when the request outlives its deadline.

    httpx's timeouts bound each connect, read and write, so a server that sends a header
    line every second never times out. A timer thread shuts the socket down when the
    deadline passes, which ends the blocked read in the request's own thread. httpx's trace
    extension reports the socket when the connection opens. That is why the client keeps
    no connection alive between requests: a reused connection would not be reported.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """Receive httpcore's trace events and keep the socket of a new connection."""
        # "connection.connect_tcp.complete" directly, or "...connect_tcp.complete" through a proxy.
        if not event.endswith("connect_tcp.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = sock
            expired = self.expired
        if expired:
            _shut_down(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._socket
        logger.debug("the deadline of %g s passed; shutting the connection down", self.seconds)
        _shut_down(sock)


def _shut_down(sock: socket.socket | None) -> None:
    # shutdown(), unlike close(), wakes a recv() that another thread is blocked in.
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by httpx


class ConvexClient:
    """A client for one deployment's HTTP API. Use it as a context manager.

    It wraps one ``httpx.Client`` that sends ``Authorization: Convex <key>`` when a key is
    set, ``Convex-Client: crongate-<version>`` and a JSON content type on every request.
    """

    def __init__(self, settings: ConnectionSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.url = _validated_url(settings.url)
        self.redact = Redactor([settings.key])

        headers = {
            "Convex-Client": f"crongate-{crongate.__version__}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if settings.key:
            headers["Authorization"] = f"Convex {settings.key}"

        # HTTPS_PROXY and friends apply to remote deployments, as CI runners behind a
        # proxy need them, but never to a loopback URL: a local backend or a test's fake
        # must not be reached through another host.
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            # Every request gets its own connection, so that _Watchdog can tell which socket
            # to shut down. NOTE: this costs a TCP and TLS handshake per request, which
            # matters only for registries read in many pages from a distant deployment.
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=not _is_loopback(self.url),
            verify=_ssl_context(),
            transport=transport,
        )

    def __enter__(self) -> ConvexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def query(self, path: str, args: dict[str, Any]) -> Any:
        """Run a query and return its value. Queries are read-only, so failures that may
        be transient (connect errors, 503, 429) are retried."""
        return self._call("query", path, args, retry=True)

    def mutation(self, path: str, args: dict[str, Any], *, retry: bool = False) -> Any:
        """Run a mutation and return its value.

        A mutation is retried only when ``retry`` is set, which the caller may do only
        for a mutation that is idempotent: a failed attempt may still have committed.
        """
        return self._call("mutation", path, args, retry=retry)

    def _call(self, kind: str, path: str, args: dict[str, Any], *, retry: bool) -> Any:
        body = json.dumps({"path": path, "args": args, "format": "json"}).encode()
        attempts = 1 + (max(0, self.settings.retries) if retry else 0)

        for attempt in range(1, attempts + 1):
            try:
                reply = self._send(kind, path, body)
                return self._interpret(reply, path)
            except _Retry as failure:
                if failure.wait is not None and failure.wait > self.settings.max_retry_wait:
                    raise self._wait_too_long(failure) from None
                if attempt == attempts:
                    raise failure.error from None
                wait = self._wait_before(attempt, failure.wait)
                # WARNING, not INFO, so that a user sees at the default level why a run pauses.
                logger.warning(
                    "retrying %s %s on %s in %.2f s (attempt %d of %d): %s",
                    kind, path, self.url, wait, attempt + 1, attempts, failure.error.message,
                )
                time.sleep(wait)

        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _wait_too_long(self, failure: _Retry) -> TargetError:
        return TargetError(
            f"{failure.error.message}; the deployment asked to retry after {_seconds_text(failure.wait or 0.0)} s, "
            f"more than the maximum wait of {_seconds_text(self.settings.max_retry_wait)} s, so crongate "
            "did not retry",
            hint="wait that long and run crongate again; the deployment is rate-limiting requests",
        )

    def _wait_before(self, attempt: int, requested: float | None) -> float:
        cap = self.settings.max_retry_wait
        if requested is not None:
            return min(requested, cap)
        # Exponential backoff with a little jitter, so that parallel CI jobs spread out.
        base = self.settings.backoff * (2 ** (attempt - 1))
        return min(base * (1 + random.random() / 4), cap)

    def _send(self, kind: str, path: str, body: bytes) -> _Reply:
        """Send one attempt and read its reply within the settings' attempt deadline."""
        with _Watchdog(self.settings.attempt_deadline) as watchdog:
            try:
                return self._exchange(kind, path, body, watchdog)
            except (_Retry, TargetError):
                # The watchdog shut the socket down, so httpx saw a hang-up or a read error.
                if watchdog.expired:
                    raise self._deadline_passed(path) from None
                raise

    def _exchange(self, kind: str, path: str, body: bytes, watchdog: _Watchdog) -> _Reply:
        endpoint = f"/api/{kind}"
        started = time.monotonic()
        deadline = started + watchdog.seconds
        limit = self.settings.max_response_bytes

        try:
            with self._http.stream(
                "POST", endpoint, content=body, extensions={"trace": watchdog.trace}
            ) as response:
                chunks: list[bytes] = []
                size = 0
                announced = response.headers.get("Content-Length", "")
                if announced.isdigit() and int(announced) > limit:
                    raise self._too_large(path, limit)
                try:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise self._too_large(path, limit)
                        if time.monotonic() > deadline:
                            raise self._deadline_passed(path)
                        chunks.append(chunk)
                except httpx.TimeoutException as error:
                    raise self._timeout(path, error) from None
                except httpx.TransportError as error:
                    # The status line arrived, but the body was cut off.
                    raise ProtocolError(
                        f"{self.url} closed the connection in the middle of the reply to {path} "
                        f"after {size} bytes ({self.redact(type(error).__name__)})",
                        hint="retry; if it persists, check proxies between CI and the deployment",
                    ) from None
                reply = _Reply(response.status_code, response.headers, b"".join(chunks))
        except httpx.TimeoutException as error:
            logger.debug("POST %s %s -> %s", endpoint, path, type(error).__name__)
            if isinstance(error, httpx.ConnectTimeout):
                raise _Retry(self._timeout(path, error)) from None
            raise self._timeout(path, error) from None
        except (httpx.ConnectError, httpx.RemoteProtocolError) as error:
            # A connection refused, a DNS failure, or a server that hung up before sending
            # a status line. A query may be repeated after that; _call repeats a mutation
            # only when its caller allows it, since the lost reply may follow a commit.
            logger.debug("POST %s %s -> %s", endpoint, path, type(error).__name__)
            raise _Retry(self._unreachable(path, error)) from None
        except httpx.LocalProtocolError as error:
            # httpx could not even form the request, so the deployment was never asked.
            logger.debug("POST %s %s -> %s", endpoint, path, type(error).__name__)
            raise UsageError(
                f"could not send a valid HTTP request to {self.url} to run {path}: "
                f"{self.redact(str(error) or type(error).__name__)}",
                hint="check the deployment URL and the deploy key for characters that HTTP cannot carry",
            ) from None
        except httpx.TransportError as error:
            logger.debug("POST %s %s -> %s", endpoint, path, type(error).__name__)
            raise self._unreachable(path, error) from None
        except TargetError as error:
            # A reply cut off, too large or too slow: the status line had arrived.
            logger.debug("POST %s %s -> %s after %.0f ms", endpoint, path, type(error).__name__,
                         (time.monotonic() - started) * 1000)
            raise

        elapsed_ms = (time.monotonic() - started) * 1000
        logger.debug("POST %s %s -> %d in %.0f ms", endpoint, path, reply.status, elapsed_ms)
        return reply

    def _too_large(self, path: str, limit: int) -> ProtocolError:
        return ProtocolError(
            f"{self.url} sent more than {limit} bytes for {path}; stopped reading",
            hint="check that the URL is a Convex deployment and that the function returns "
            "only the registry rows, or raise max_response_bytes",
        )

    def _deadline_passed(self, path: str) -> TargetTimeout:
        hint = "check the deployment's health and any proxy between CI and the deployment"
        if self.settings.deadline is None:
            hint += "; the limit per attempt is 3 times the timeout, and at least 30 s"
        return TargetTimeout(
            f"{self.url} did not finish its response to {path} within {self.settings.attempt_deadline:g} s",
            hint=hint,
        )

    def _timeout(self, path: str, error: httpx.TimeoutException) -> TargetTimeout:
        phase = "connecting to" if isinstance(error, httpx.ConnectTimeout) else "waiting for"
        return TargetTimeout(
            f"timed out after {self.settings.timeout:g} s {phase} {self.url} to run {path}",
            hint="check that the deployment is up, or raise the timeout",
        )

    def _unreachable(self, path: str, error: httpx.TransportError) -> TargetUnreachable:
        reason = self.redact(str(error) or type(error).__name__)
        return TargetUnreachable(
            f"could not reach {self.url} to run {path}: {reason}",
            hint="check the deployment URL (CONVEX_URL or --url) and the network between "
            "CI and the deployment",
        )

    def _interpret(self, reply: _Reply, path: str) -> Any:
        status = reply.status

        if status in _RETRY_STATUSES:
            wait = _retry_after_seconds(reply.headers.get("Retry-After"))
            detail = self._error_detail(reply)
            raise _Retry(
                TargetError(
                    f"{self.url} is unavailable for {path}: HTTP {status}{detail}",
                    hint="retry later; the deployment is overloaded or rate-limiting requests",
                ),
                wait,
            )

        if status in (200, STATUS_UDF_FAILED):
            return self._function_result(reply, path)

        if status in _REDIRECT_STATUSES:
            raise self._redirected(reply, path)

        detail = self._error_detail(reply)
        if status == 401:
            raise AuthRejected(
                f"the key was rejected by {self.url} when running {path}{detail}"
                if self.settings.key
                else f"{self.url} requires a key to run {path}{detail}",
                hint=_KEY_HINT,
            )
        if status == 403:
            raise PermissionDenied(
                f"the key may not run {path} on {self.url}{detail}", hint=_PERMISSION_HINT
            )

        error = self._convex_error(reply)
        if error is None:
            raise ProtocolError(
                f"{self.url} responded to {path} with HTTP {status} and a body that is not a Convex "
                f"error ({self._snippet(reply)})",
                hint="check that the URL is the deployment's API URL (https://<name>.convex.cloud "
                "or a self-hosted backend), not a site, dashboard or proxy page",
            )
        code, message = error
        if status == 404 or code in ("FunctionPathNotFound", "BadConvexFunctionIdentifier"):
            raise FunctionNotFound(
                f"{self.url} has no function {path}: HTTP {status} {code}: {message}",
                hint=_LIST_FUNCTION_HINT,
            )
        if status >= 500:
            hint = "the deployment failed to handle the request; retry later, and check its status if it persists"
        else:
            hint = (f"the deployment rejected the request; check that {path} takes the arguments crongate "
                    "sends and that the URL is the deployment's API URL")
        raise TargetError(f"{self.url} rejected {path}: HTTP {status} {code}: {message}", hint=hint)

    def _redirected(self, reply: _Reply, path: str) -> ProtocolError:
        location = reply.headers.get("Location")
        if location:
            # A relative Location is resolved against the request's URL, as a browser does.
            target = urllib.parse.urljoin(f"{self.url}/api/", location.strip())
            where = f"to {self._shorten(self.redact(target))!r}"
        else:
            where = "without a Location header"
        return ProtocolError(
            f"{self.url} redirected the request for {path} with HTTP {reply.status} {where}; "
            "crongate does not follow redirects",
            hint="set CONVEX_URL or --url to the final deployment URL, such as "
            "https://<name>.convex.cloud, so that the key is sent only to the deployment",
        )

    def _function_result(self, reply: _Reply, path: str) -> Any:
        payload = self._json(reply, path)
        if not isinstance(payload, dict) or payload.get("status") not in ("success", "error"):
            raise ProtocolError(
                f"{self.url} responded to {path} with JSON that has no status of success or error "
                f"({self._snippet(reply)})",
                hint="check that the URL is a Convex deployment's API URL",
            )

        if payload["status"] == "success":
            if "value" not in payload:
                raise ProtocolError(
                    f"{self.url} responded to {path} with success but no value",
                    hint="check that the URL is a Convex deployment's API URL",
                )
            return payload["value"]

        message = self.redact(str(payload.get("errorMessage", "")))
        if any(marker in message for marker in _NOT_FOUND_MARKERS):
            raise FunctionNotFound(
                f"{self.url} has no function {path} that this key may run: {message}",
                hint=_LIST_FUNCTION_HINT,
            )
        raise FunctionFailed(
            f"{path} failed on {self.url}: {message}",
            hint="read the function's logs in the Convex dashboard and fix the function",
        )

    def _json(self, reply: _Reply, path: str) -> Any:
        try:
            return json.loads(reply.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ProtocolError(
                f"{self.url} responded to {path} with HTTP {reply.status} and a body that is not "
                f"valid JSON ({error.__class__.__name__} at byte {getattr(error, 'pos', '?')}; "
                f"{self._snippet(reply)})",
                hint="check that the URL is a Convex deployment's API URL and that no proxy "
                "rewrote the reply",
            ) from None

    def _convex_error(self, reply: _Reply) -> tuple[str, str] | None:
        """Return Convex's ``(code, message)`` from an error reply, or None if it has none."""
        try:
            payload = json.loads(reply.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(payload, dict):
            return None
        code, message = payload.get("code"), payload.get("message")
        if not isinstance(code, str) or not isinstance(message, str):
            return None
        return self.redact(code), self.redact(message)

    def _error_detail(self, reply: _Reply) -> str:
        error = self._convex_error(reply)
        return f" ({error[0]}: {error[1]})" if error else ""

    def _snippet(self, reply: _Reply) -> str:
        content_type = self.redact(reply.headers.get("Content-Type", "no content type"))
        # Redact before cutting: a key cut in two by the limit would no longer match.
        text = self.redact(reply.body.decode("utf-8", errors="replace"))
        text = self._shorten(" ".join(text.split()))
        return f"{content_type}, {len(reply.body)} bytes, starting {text!r}"

    @staticmethod
    def _shorten(text: str) -> str:
        return text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS] + "..."


def _validated_url(url: str) -> str:
    """Return the deployment URL without a trailing slash, or raise ConfigError."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"invalid deployment URL {url!r}: expected http:// or https:// and a host",
            hint="set CONVEX_URL or --url to the deployment's URL, e.g. https://<name>.convex.cloud",
        )
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise ConfigError(
            "invalid deployment URL: it has credentials, a query or a fragment",
            hint="pass the bare URL and give the key through CONVEX_DEPLOY_KEY",
        )
    # Convex serves HTTP actions, not its API, on the .convex.site host (ConvexHttpClient
    # rejects it for the same reason).
    if parsed.hostname.endswith(".convex.site"):
        raise ConfigError(
            f"invalid deployment URL {url!r}: .convex.site serves HTTP actions, not the API",
            hint="use the .convex.cloud URL of the same deployment",
        )
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))


def _is_loopback(url: str) -> bool:
    """Return True if ``url``'s host is this machine: a proxy must never receive its key.

    Every spelling of 127.0.0.0/8 that ``socket.inet_aton`` accepts counts ("127.1",
    "2130706433", "0x7f.0.0.1"), as do localhost, ::1, an IPv4-mapped loopback address, and
    the unspecified addresses 0.0.0.0 and ::, which Linux connects to this machine. A
    trailing dot is ignored.
    """
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host.endswith("."):
        host = host[:-1]
    if host == "localhost":
        return True

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        return address.is_loopback or address.is_unspecified or (mapped is not None and mapped.is_loopback)

    try:
        packed = socket.inet_aton(host)
    except (OSError, ValueError):
        # ValueError: inet_aton rejects a string with a NUL character this way.
        return False
    ipv4 = ipaddress.IPv4Address(packed)
    return ipv4.is_loopback or ipv4.is_unspecified


def _seconds_text(seconds: float) -> str:
    """Format a number of seconds for a message: "0.3", "45", "999999"."""
    return f"{seconds:.0f}" if seconds >= 100 else f"{seconds:.3g}"


def build_client(settings: ConnectionSettings, *, transport: httpx.BaseTransport | None = None) -> ConvexClient:
    """Build the client for a deployment. ``transport`` is for tests only."""
    return ConvexClient(settings, transport=transport)


class ConvexHttpRegistry(RegistrySource):
    """Registry rows read from a deployment by calling a query that lists them.

    ``list_function`` must return a list of documents. When ``page_function`` is set it is
    used instead, with ``{"paginationOpts": {"numItems", "cursor"}}``, and must return
    Convex's pagination result ``{page, isDone, continueCursor}``.
    """

    # A live deployment is judged at the current time.
    taken_at: datetime | None = None

    def __init__(
        self,
        client: ConvexClient,
        list_function: str = "systemJobs:listAll",
        fields: FieldMap = FieldMap(),
        page_function: str | None = None,
        page_size: int = 1000,
    ) -> None:
        if not 1 <= page_size <= _MAX_PAGE_SIZE:
            raise ConfigError(
                f"invalid registry page size {page_size}: Convex accepts 1 to {_MAX_PAGE_SIZE}",
                hint="set registry.page_size to a number in that range",
            )
        self.client = client
        self.list_function = list_function
        self.fields = fields
        self.page_function = page_function
        self.page_size = page_size
        self.label = client.url

    def read_rows(self) -> list[RegistryRow]:
        if self.page_function is None:
            documents = self.client.query(self.list_function, {})
            if not isinstance(documents, list):
                raise self._shape_error(
                    self.list_function, f"returned {_type_name(documents)}, expected a list of documents"
                )
            rows = self._rows(self.list_function, documents, offset=0)
        else:
            rows = self._read_pages(self.page_function)

        logger.debug("read %d registry rows from %s", len(rows), self.label)
        return rows

    def _read_pages(self, function: str) -> list[RegistryRow]:
        rows: list[RegistryRow] = []
        cursor: str | None = None
        seen_cursors: set[str] = set()
        empty_run = 0

        for page_number in range(1, _MAX_PAGES + 1):
            args = {"paginationOpts": {"numItems": self.page_size, "cursor": cursor}}
            result = self.client.query(function, args)
            page, done, next_cursor = self._page_parts(function, result, page_number)
            rows.extend(self._rows(function, page, offset=len(rows)))
            if done:
                return rows

            # A cursor that comes back would make this loop forever.
            if next_cursor in seen_cursors:
                raise self._shape_error(
                    function,
                    f"returned continueCursor {next_cursor!r} again on page {page_number}; "
                    "pagination would never end",
                )
            seen_cursors.add(next_cursor)
            cursor = next_cursor

            # New cursors with no rows would pass the check above until _MAX_PAGES.
            empty_run = empty_run + 1 if not page else 0
            if empty_run == _MAX_EMPTY_PAGES:
                raise self._shape_error(
                    function,
                    f"returned {_MAX_EMPTY_PAGES} empty pages in a row with isDone false "
                    f"(pages {page_number - _MAX_EMPTY_PAGES + 1} to {page_number}); "
                    "pagination would never end",
                    hint=f"check that {function} returns isDone true after the last page, "
                    "or set registry.page_function to a query that does",
                )

        raise self._shape_error(function, f"did not finish within {_MAX_PAGES} pages")

    def _page_parts(self, function: str, result: Any, page_number: int) -> tuple[list[Any], bool, str]:
        if not isinstance(result, dict):
            raise self._shape_error(
                function, f"returned {_type_name(result)} on page {page_number}, expected "
                "{page, isDone, continueCursor}"
            )
        page, done, cursor = result.get("page"), result.get("isDone"), result.get("continueCursor")
        if not isinstance(page, list):
            raise self._shape_error(function, f"page {page_number} has page {_type_name(page)}, expected a list")
        if not isinstance(done, bool):
            raise self._shape_error(function, f"page {page_number} has isDone {_type_name(done)}, expected a boolean")
        if not done and not isinstance(cursor, str):
            raise self._shape_error(
                function, f"page {page_number} has continueCursor {_type_name(cursor)}, expected a string"
            )
        return page, done, cursor if isinstance(cursor, str) else ""

    def _rows(self, function: str, documents: list[Any], *, offset: int) -> list[RegistryRow]:
        rows = []
        for index, document in enumerate(documents, start=offset):
            if not isinstance(document, dict):
                raise self._shape_error(
                    function, f"document {index} is {_type_name(document)}, expected an object"
                )
            try:
                row = row_from_document(document, self.fields)
            except ValueError as error:
                raise self._shape_error(function, f"document {index}: {error}") from None
            if row.key is None:
                raise self._shape_error(
                    function,
                    f"document {index} has no {self.fields.key!r} field",
                    hint=f"set registry.fields.key in crongate.yml to the field that holds the job key, "
                    f"or check that {function} returns registry rows",
                )
            rows.append(row)
        return rows

    def _shape_error(self, function: str, problem: str, *, hint: str | None = None) -> ProtocolError:
        setting = "registry.page_function" if function == self.page_function else "registry.list_function"
        return ProtocolError(
            self.client.redact(f"{function} on {self.label} {problem}"),
            hint=hint or f"check that {function} returns the registry rows, or set {setting}",
        )


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
