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
import random
import ssl
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

    ``timeout`` is in seconds and bounds each attempt, connect and read together.
    ``retries`` counts extra attempts after the first, for calls that are safe to repeat.
    ``backoff`` is the first wait between attempts in seconds (it doubles each time), and
    ``max_retry_wait`` caps any wait, including one that a Retry-After header requests.
    """

    url: str
    key: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    retries: int = 3
    max_response_bytes: int = 32 * 1024 * 1024
    backoff: float = 0.5
    max_retry_wait: float = 30.0


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
        encoded = {urllib.parse.quote(part, safe="") for part in parts}
        self._parts = sorted(parts | encoded, key=len, reverse=True)

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
        return max(0.0, float(value))
    except ValueError:
        pass
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
                if attempt == attempts:
                    raise failure.error from None
                wait = self._wait_before(attempt, failure.wait)
                logger.info(
                    "retrying %s %s on %s in %.2f s (attempt %d of %d): %s",
                    kind, path, self.url, wait, attempt + 1, attempts, failure.error.message,
                )
                time.sleep(wait)

        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _wait_before(self, attempt: int, requested: float | None) -> float:
        cap = self.settings.max_retry_wait
        if requested is not None:
            return min(requested, cap)
        # Exponential backoff with a little jitter, so that parallel CI jobs spread out.
        base = self.settings.backoff * (2 ** (attempt - 1))
        return min(base * (1 + random.random() / 4), cap)

    def _send(self, kind: str, path: str, body: bytes) -> _Reply:
        endpoint = f"/api/{kind}"
        started = time.monotonic()
        deadline = started + self.settings.timeout
        limit = self.settings.max_response_bytes

        try:
            with self._http.stream("POST", endpoint, content=body) as response:
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
                            raise TargetTimeout(
                                f"{self.url} did not finish its response to {path} within "
                                f"{self.settings.timeout:g} s",
                                hint="raise the timeout, or check the deployment's health",
                            )
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
        content_type = reply.headers.get("Content-Type", "no content type")
        text = reply.body[:120].decode("utf-8", errors="replace")
        text = " ".join(text.split())
        return self.redact(f"{content_type}, {len(reply.body)} bytes, starting {text!r}")


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
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
