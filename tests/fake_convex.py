"""A fake Convex deployment for tests: Convex's HTTP API on 127.0.0.1, backed by Python.

It responds like the open-source backend does (convex-backend ``public_api.rs``, observed
with the ``convex`` npm package 1.48.0):

* ``POST /api/query``, ``/api/mutation``, ``/api/action`` and ``/api/function`` with
  ``{path, args, format?}``, ``POST /api/run/<module/path/function>`` with ``{args, format?}``,
  ``GET /api/query?path=..&args=..``, and the probes ``GET /`` and ``GET /instance_name``.
* ``args`` as an object or a one-element list holding one (what ``ConvexHttpClient`` sends).
* ``format`` ``json`` (clean JSON: Int64 as a decimal string) or ``convex_encoded_json``
  (``$integer``/``$float``/``$bytes``), with the legacy aliases; anything else is 400
  ``BadFormat``. Without a format, ``/api/run`` replies in clean JSON and the other endpoints
  pick from ``Convex-Client`` (encoded only for npm or CLI ≤ 1.4.1 and Python ≤ 0.5.0).
* ``Convex-Client`` without ``-`` is 400 ``InvalidVersion``.
* Admin auth by ``Authorization: Convex <key>`` (prefix case-insensitive) or ``?adminKey=``;
  a wrong key is 401 ``BadAdminKey``. Internal functions called without an admin key, and
  unknown paths, get ``status: "error"`` with "Could not find public function" in a 200.
* Mutations run one at a time under one lock, as Convex serializes them.

Python values stand for Convex values: ``float`` and ``int`` are Float64 (a JS number),
``Int64(n)`` is a bigint, ``bytes`` is Bytes. Use ``inject`` to make the next requests
fail in a chosen way, and ``requests`` to see what clients sent.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Convex's maximum request body: 16 MiB + 2000 bytes (MAX_BACKEND_PUBLIC_API_REQUEST_SIZE).
MAX_REQUEST_BYTES = 16 * 1024 * 1024 + 2000

# Every wait in the fake ends by itself: a "hang" fault sends nothing for at most this
# long (or until the server stops), so a test that sets no client timeout still finishes.
MAX_HANG_SECONDS = 30.0

NOT_FOUND_MESSAGE = (
    "Could not find public function for '{path}'. Did you forget to run "
    "`npx convex dev` or `npx convex deploy`?"
)

_FORMATS = {
    "json": "json",
    "convex_clean_json": "json",
    "convex_encoded_json": "encoded",
    "convex_json": "encoded",
    # NOTE: export_json is accepted as the backend accepts it, but the fake replies with
    # encoded JSON because it does not model the export format's own int/float rules.
    "export_json": "encoded",
}

_ENDPOINT_KINDS = {"query": "query", "mutation": "mutation", "action": "action", "function": None}

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_\-./]+(:[A-Za-z_][A-Za-z0-9_]*)?$")


class Int64(int):
    """A Convex Int64 (a JS bigint). Plain Python ints are Float64, as JS numbers are."""


class FunctionError(Exception):
    """Raise from a function to make it fail with ``status: "error"``."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


# -- values ------------------------------------------------------------------------------


def _float_bytes(number: float) -> str:
    return base64.b64encode(struct.pack("<d", number)).decode()


def encode_value(value: Any, fmt: str) -> Any:
    """Encode a Python value as Convex JSON: ``fmt`` is "json" (clean) or "encoded"."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Int64):
        if fmt == "json":
            return str(int(value))
        return {"$integer": base64.b64encode(int(value).to_bytes(8, "little", signed=True)).decode()}
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            if fmt == "encoded":
                return {"$float": _float_bytes(number)}
            if math.isnan(number):
                return "NaN"
            return "Infinity" if number > 0 else "-Infinity"
        if number == 0 and math.copysign(1, number) < 0 and fmt == "encoded":
            return {"$float": _float_bytes(number)}
        return number
    if isinstance(value, (bytes, bytearray)):
        encoded = base64.b64encode(bytes(value)).decode()
        return encoded if fmt == "json" else {"$bytes": encoded}
    if isinstance(value, Mapping):
        return {str(key): encode_value(item, fmt) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(item, fmt) for item in value]
    raise TypeError(f"the fake cannot encode {type(value).__name__} as a Convex value")


def decode_args(value: Any) -> Any:
    """Decode encoded-JSON args (``$integer``, ``$float``, ``$bytes``) into Python values."""
    if isinstance(value, list):
        return [decode_args(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (name, payload), = value.items()
        if name == "$integer":
            return Int64(int.from_bytes(base64.b64decode(payload), "little", signed=True))
        if name == "$float":
            return struct.unpack("<d", base64.b64decode(payload))[0]
        if name == "$bytes":
            return base64.b64decode(payload)
    return {key: decode_args(item) for key, item in value.items()}


# -- records and faults -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. Header names are lower-case."""

    method: str
    path: str  # the URL path, without the query string
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float = 0.0  # time.monotonic() when the request was read, before any latency

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def function(self) -> str | None:
        """The function path the request named, from the body or an /api/run URL."""
        if self.path.startswith("/api/run/"):
            return _run_path(self.path[len("/api/run/"):])
        try:
            payload = self.json
        except ValueError:
            return None
        if isinstance(payload, dict) and isinstance(payload.get("path"), str):
            return payload["path"]
        return self.query.get("path")


@dataclass
class Fault:
    """A planned failure for the next ``times`` requests that match ``target``."""

    target: str  # a function path, an endpoint such as "/api/query", or "*"
    kind: str
    times: int
    params: dict[str, Any] = field(default_factory=dict)


FAULT_KINDS = (
    "delay",  # seconds=N: reply normally after N seconds
    "hang",  # never reply (until the server stops or MAX_HANG_SECONDS pass)
    "close",  # close the connection without a response
    "status",  # status=N, body=bytes|str|dict, headers={...}: a raw HTTP reply
    "error",  # message=..., data=...: status "error" in a 200
    "udf_failed",  # message=...: status "error" with HTTP 560
    "not_json",  # a 200 with a plain-text body
    "html",  # status=N (502): an HTML page, as a proxy sends
    "truncated",  # announce a full JSON body, send half of it, close
    "truncated_json",  # a complete HTTP reply whose JSON is cut off
    "oversized",  # size=N bytes: a valid success reply of at least N bytes
    "value",  # value=...: a success reply with this value (a wrong shape, say)
)


@dataclass
class FunctionContext:
    """What a fake function gets besides its args."""

    deployment: FakeDeployment
    is_admin: bool
    log_lines: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        self.log_lines.append(f"[LOG] {line!r}")


Handler = Callable[[FunctionContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class FakeFunction:
    path: str
    kind: str  # query, mutation or action
    handler: Handler
    internal: bool = False


# -- the deployment -----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out, or stopped reading an oversized reply, hangs up while
        # the fake still writes. Fault tests expect that, so it is not a server error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)




class FakeDeployment:
    """A Convex deployment on 127.0.0.1 with an in-memory database.

    Start it with ``with FakeDeployment() as fake:`` (or ``start()``/``stop()``); its
    ``url`` is then ``http://127.0.0.1:<port>``. ``restricted_keys`` are valid admin keys
    that may not run internal functions (403 ``OperationNotPermitted``), as a deploy key
    made without the runInternal* permissions. ``latency`` (seconds) delays every reply,
    as the network between CI and a cloud deployment does. The wait happens outside the
    mutation lock, so concurrent requests wait in parallel.
    """

    def __init__(
        self,
        *,
        admin_key: str = "fake-deployment|c2VjcmV0LWFkbWluLWtleQ==",
        instance_name: str = "fake-deployment-123",
        restricted_keys: tuple[str, ...] = (),
        latency: float = 0.0,
    ) -> None:
        if not 0.0 <= latency <= MAX_HANG_SECONDS:
            raise ValueError(f"latency must be between 0 and {MAX_HANG_SECONDS} seconds, not {latency!r}")
        self.admin_key = admin_key
        self.latency = latency
        self.instance_name = instance_name
        self.restricted_keys = tuple(restricted_keys)
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.functions: dict[str, FakeFunction] = {}
        self.requests: list[RecordedRequest] = []

        self._faults: list[Fault] = []
        self._lock = threading.Lock()  # guards tables, faults and requests
        self._mutation_lock = threading.Lock()  # serializes mutations
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake deployment is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeDeployment:
        handler = type("BoundHandler", (_RequestHandler,), {"deployment": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeDeployment:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- database --

    def insert(self, table: str, document: Mapping[str, Any]) -> str:
        """Insert a document, adding ``_id`` and ``_creationTime`` when it has none. Return its _id."""
        with self._lock:
            row = dict(document)
            row.setdefault("_id", f"k{next(self._ids):04d}{secrets.token_hex(6)}")
            row.setdefault("_creationTime", time.time() * 1000 + 0.5)
            self.tables.setdefault(table, []).append(row)
            return row["_id"]

    def patch(self, table: str, doc_id: str, changes: Mapping[str, Any]) -> None:
        with self._lock:
            for row in self.tables.get(table, []):
                if row["_id"] == doc_id:
                    row.update(changes)
                    return
        raise FunctionError(f"Document {doc_id} not found in table {table}")

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self.tables.get(table, [])]

    # -- functions --

    def register(self, path: str, kind: str, handler: Handler, *, internal: bool = False) -> None:
        if kind not in ("query", "mutation", "action"):
            raise ValueError(f"unknown function kind {kind!r}")
        self.functions[_canonical_path(path)] = FakeFunction(_canonical_path(path), kind, handler, internal)

    # -- faults and records --

    def inject(self, target: str, fault: str, *, times: int = 1, **params: Any) -> None:
        """Make the next ``times`` requests that match ``target`` fail with ``fault``.

        ``target`` is a function path ("systemJobs:listAll"), an endpoint ("/api/query"),
        or "*" for any request. See FAULT_KINDS for the faults and their parameters.
        """
        if fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(target, fault, times, params))

    def requests_to(self, target: str) -> list[RecordedRequest]:
        """Return the recorded requests to an endpoint ("/api/query") or a function path."""
        with self._lock:
            recorded = list(self.requests)
        return [r for r in recorded if r.path == target or r.function == target]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _take_fault(self, endpoint: str, function: str | None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.target in ("*", endpoint, function):
                    fault.times -= 1
                    return fault
        return None

    # -- the example app --

    @classmethod
    def with_system_jobs(
        cls,
        rows: list[Mapping[str, Any]],
        migrations: Mapping[str, Mapping[str, Any]] | None = None,
        table: str = "systemJobs",
        *,
        internal: bool = False,
        key_field: str = "jobKey",
        **options: Any,
    ) -> FakeDeployment:
        """Build a deployment with the example app's ``systemJobs`` module.

        ``migrations`` maps a function name ("addTrafficSyncJob") to the row it inserts.
        Functions: ``systemJobs:listAll`` (query, every row), ``systemJobs:listPage``
        (query, ``{paginationOpts}``), ``systemJobs:getByKey`` (query, ``{jobKey}``),
        ``systemJobs:enable`` (mutation, ``{jobKey}``), and each migration (mutation: the
        existing row's _id, or the template inserted with createdAt/updatedAt = now).
        """
        fake = cls(**options)
        for row in rows:
            fake.insert(table, row)

        def list_all(ctx: FunctionContext, args: dict[str, Any]) -> Any:
            return fake.rows(table)

        def list_page(ctx: FunctionContext, args: dict[str, Any]) -> Any:
            return fake.paginate(table, args.get("paginationOpts"))

        def by_key(key: Any) -> dict[str, Any] | None:
            return next((row for row in fake.rows(table) if row.get(key_field) == key), None)

        def get_by_key(ctx: FunctionContext, args: dict[str, Any]) -> Any:
            return by_key(args.get(key_field))

        def enable(ctx: FunctionContext, args: dict[str, Any]) -> Any:
            row = by_key(args.get(key_field))
            if row is None:
                raise FunctionError(f"Uncaught Error: no job with key {args.get(key_field)!r}")
            fake.patch(table, row["_id"], {"enabled": True, "updatedAt": time.time() * 1000})
            return row["_id"]

        fake.register("systemJobs:listAll", "query", list_all, internal=internal)
        fake.register("systemJobs:listPage", "query", list_page, internal=internal)
        fake.register("systemJobs:getByKey", "query", get_by_key, internal=internal)
        fake.register("systemJobs:enable", "mutation", enable, internal=internal)

        for name, template in (migrations or {}).items():
            fake.register(
                f"systemJobs:{name}", "mutation", fake._migration(table, key_field, dict(template)),
                internal=internal,
            )
        return fake

    def _migration(self, table: str, key_field: str, template: dict[str, Any]) -> Handler:
        def add_job(ctx: FunctionContext, args: dict[str, Any]) -> Any:
            existing = [row for row in self.rows(table) if row.get(key_field) == template.get(key_field)]
            if existing:
                ctx.log(f"job {template.get(key_field)} already exists")
                return existing[0]["_id"]
            now = time.time() * 1000
            return self.insert(table, {**template, "createdAt": now, "updatedAt": now})

        return add_job

    def paginate(self, table: str, options: Any) -> dict[str, Any]:
        """Return one page in Convex's shape; cursors are opaque strings here too."""
        if not isinstance(options, dict):
            raise FunctionError("ArgumentValidationError: missing paginationOpts")
        size = options.get("numItems")
        if not isinstance(size, (int, float)) or size < 1:
            raise FunctionError("NoDocumentsForPagination: numItems must be at least 1")
        if size > 32_000:
            raise FunctionError("PageSizeTooLarge: numItems must be at most 32000")
        cursor = options.get("cursor")
        try:
            start = 0 if cursor is None else int(base64.urlsafe_b64decode(str(cursor).encode()).decode())
        except ValueError:
            raise FunctionError(f"InvalidCursor: {cursor!r} is not a cursor of this query") from None
        # Copy only the page's rows: copying the whole table for every page made reading
        # a 50,000-row registry quadratic in the fake, which the benchmarks would count.
        with self._lock:
            stored = self.tables.get(table, [])
            total = len(stored)
            end = min(start + int(size), total)
            page = [dict(row) for row in stored[start:end]]
        return {
            "page": page,
            "isDone": end >= total,
            "continueCursor": base64.urlsafe_b64encode(str(end).encode()).decode(),
        }


# -- request handling ---------------------------------------------------------------------


class _Reply(Exception):
    """A finished HTTP reply, raised to leave request processing early."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.content_type = content_type


def _bad_request(code: str, message: str, status: int = 400) -> _Reply:
    return _Reply(status, {"code": code, "message": message})


def _canonical_path(path: str) -> str:
    """Canonicalize a function path: "file" -> "file:default", "a/b.js:f" -> "a/b:f"."""
    module, _, export = path.partition(":")
    for extension in (".js", ".ts"):
        if module.endswith(extension):
            module = module[: -len(extension)]
    return f"{module}:{export or 'default'}"


def _run_path(url_path: str) -> str:
    """Turn the path of /api/run/<module/path/function> into "module/path:function"."""
    parts = urllib.parse.unquote(url_path).strip("/").split("/")
    return f"{'/'.join(parts[:-1])}:{parts[-1]}" if len(parts) > 1 else f"{parts[0]}:default"


def _version_tuple(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.split("-")[0].split("."))
    except ValueError:
        return None


def _default_format(client: str | None) -> str:
    """Pick the reply format for a request without one, from its Convex-Client header."""
    if not client:
        return "json"
    name, _, version = client.rpartition("-")
    parsed = _version_tuple(version)
    if parsed is None:
        return "json"
    if name in ("npm", "npm-cli") and parsed <= (1, 4, 1):
        return "encoded"
    if name in ("python", "python-convex") and parsed <= (0, 5, 0):
        return "encoded"
    return "json"


class _RequestHandler(BaseHTTPRequestHandler):
    deployment: FakeDeployment  # set on the subclass made by FakeDeployment.start
    protocol_version = "HTTP/1.1"
    server_version = "FakeConvex/1.0"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes. Without TCP_NODELAY the second write
        # waits for the client's delayed ACK, which added about 40 ms to each request here.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        pass  # keep test output clean; the requests are recorded instead

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send(_bad_request("RequestTooLarge", "The request body is too large", 413))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        recorded = RecordedRequest(method, url.path, query, headers, body, time.monotonic())
        self.deployment._record(recorded)

        if self.deployment.latency > 0:
            self.deployment._stopping.wait(self.deployment.latency)

        fault = self.deployment._take_fault(url.path, recorded.function)
        if fault is not None and self._apply_fault(fault):
            return

        try:
            reply = self._route(method, url.path, query, headers, body)
        except _Reply as early:
            reply = early
        self._send(reply)

    def _send(self, reply: _Reply, extra_headers: Mapping[str, str] | None = None) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        self.wfile.flush()

    # -- faults --

    def _apply_fault(self, fault: Fault) -> bool:
        """Act out a fault. Return True when it replaced the reply, False to go on."""
        params = fault.params
        kind = fault.kind

        if kind == "delay":
            self.deployment._stopping.wait(min(float(params.get("seconds", 1.0)), MAX_HANG_SECONDS))
            return False
        if kind == "hang":
            self.deployment._stopping.wait(min(float(params.get("seconds", MAX_HANG_SECONDS)), MAX_HANG_SECONDS))
            self._drop()
            return True
        if kind == "close":
            self._drop()
            return True
        if kind == "status":
            body = params.get("body", b"")
            if isinstance(body, str):
                body = body.encode()
            content_type = params.get("content_type", "application/json")
            self._send(_Reply(int(params["status"]), body, content_type), params.get("headers"))
            return True
        if kind in ("error", "udf_failed"):
            payload: dict[str, Any] = {"status": "error", "errorMessage": params.get("message", "Uncaught Error: boom")}
            if "data" in params:
                payload["errorData"] = params["data"]
            self._send(_Reply(200 if kind == "error" else 560, payload))
            return True
        if kind == "not_json":
            self._send(_Reply(200, b"this is not JSON", "text/plain"))
            return True
        if kind == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
            self._send(_Reply(int(params.get("status", 502)), page, "text/html"))
            return True
        if kind in ("truncated", "truncated_json"):
            full = json.dumps({"status": "success", "value": params.get("value", [{"jobKey": "a"}] * 20)}).encode()
            half = full[: len(full) // 2]
            if kind == "truncated_json":
                self._send(_Reply(200, half))
                return True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(full)))
            self.end_headers()
            self.wfile.write(half)
            self.wfile.flush()
            self._drop()
            return True
        if kind == "oversized":
            filler = "x" * int(params.get("size", 1024 * 1024))
            self._send(_Reply(200, {"status": "success", "value": [{"jobKey": "big", "description": filler}]}))
            return True
        if kind == "value":
            self._send(_Reply(200, {"status": "success", "value": params.get("value")}))
            return True
        raise AssertionError(f"unhandled fault {kind}")

    def _drop(self) -> None:
        """Close the connection at once, without a reply."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- routing --

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> _Reply:
        if method == "GET" and path == "/":
            return _Reply(200, b"This Convex deployment is running. See https://docs.convex.dev/.", "text/plain")
        if method == "GET" and path == "/instance_name":
            return _Reply(200, self.deployment.instance_name.encode(), "text/plain")

        if path.startswith("/api/run/") and method == "POST":
            return self._call(None, _run_path(path[len("/api/run/"):]), headers, query, body, run=True)

        endpoint = path[len("/api/"):] if path.startswith("/api/") else None
        if endpoint not in _ENDPOINT_KINDS:
            return _bad_request("NotFound", f"No route for {method} {path}", 404)
        if method == "GET" and endpoint == "query":
            return self._call("query", None, headers, query, body, from_query_string=True)
        if method != "POST":
            return _bad_request("MethodNotAllowed", f"{method} is not allowed on {path}", 405)
        return self._call(_ENDPOINT_KINDS[endpoint], None, headers, query, body)

    def _call(
        self,
        kind: str | None,
        run_path: str | None,
        headers: dict[str, str],
        query: dict[str, str],
        body: bytes,
        *,
        run: bool = False,
        from_query_string: bool = False,
    ) -> _Reply:
        client = headers.get("convex-client")
        if client is not None and "-" not in client:
            raise _bad_request(
                "InvalidVersion",
                f"Failed to parse client version {client!r}. Expected format is {{client_name}}-{{semver}}",
            )

        request = self._request_fields(body, query, from_query_string)
        fmt_name = request.get("format")
        if fmt_name is None:
            fmt = "json" if run else _default_format(client)
        elif fmt_name in _FORMATS:
            fmt = _FORMATS[fmt_name]
        else:
            raise _bad_request("BadFormat", f"Invalid value format {fmt_name!r}")

        is_admin, restricted = self._authenticate(headers, query)
        path = run_path if run else request.get("path")
        if not isinstance(path, str) or not path or not _IDENTIFIER.match(path):
            raise _bad_request("BadConvexFunctionIdentifier", f"Couldn't parse function path {path!r}")
        path = _canonical_path(path)
        args = self._args(request.get("args", {}))

        function = self.deployment.functions.get(path)
        if function is None or (function.internal and not is_admin):
            return _Reply(200, {"status": "error", "errorMessage": NOT_FOUND_MESSAGE.format(path=path)})
        if function.internal and restricted:
            raise _bad_request(
                "OperationNotPermitted",
                "You do not have permission to perform this operation (runInternalFunctions).",
                403,
            )
        if kind is not None and function.kind != kind:
            # NOTE: the wording is the fake's; the backend also rejects a kind mismatch
            # with status "error".
            return _Reply(200, {
                "status": "error",
                "errorMessage": f"Trying to execute {path} as {kind.capitalize()}, but it is "
                f"defined as {function.kind.capitalize()}.",
            })

        context = FunctionContext(self.deployment, is_admin)
        try:
            if function.kind == "mutation":
                with self.deployment._mutation_lock:
                    value = function.handler(context, args)
            else:
                value = function.handler(context, args)
        except FunctionError as error:
            payload: dict[str, Any] = {"status": "error", "errorMessage": error.message}
            if error.data is not None:
                payload["errorData"] = encode_value(error.data, fmt)
            if context.log_lines:
                payload["logLines"] = context.log_lines
            return _Reply(200, payload)
        except Exception as error:  # noqa: BLE001 - a bug in a test's function is an app error
            payload = {"status": "error", "errorMessage": f"Uncaught {type(error).__name__}: {error}"}
            if context.log_lines:
                payload["logLines"] = context.log_lines
            return _Reply(200, payload)

        payload = {"status": "success", "value": encode_value(value, fmt)}
        # The backend leaves logLines out when there are none.
        if context.log_lines:
            payload["logLines"] = context.log_lines
        return _Reply(200, payload)

    def _request_fields(self, body: bytes, query: dict[str, str], from_query_string: bool) -> dict[str, Any]:
        if from_query_string:
            fields: dict[str, Any] = {key: query[key] for key in ("path", "format") if key in query}
            if "args" in query:
                try:
                    fields["args"] = json.loads(query["args"])
                except ValueError:
                    raise _bad_request("BadJsonBody", "args is not valid JSON") from None
            return fields
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            # NOTE: the code name is the fake's; the backend rejects a malformed body with a 400.
            raise _bad_request("BadJsonBody", "Failed to parse the request body as JSON") from None
        if not isinstance(payload, dict):
            raise _bad_request("BadJsonBody", "The request body must be a JSON object")
        return payload

    def _args(self, raw: Any) -> dict[str, Any]:
        # ConvexHttpClient sends [args]; other callers send the object itself.
        if isinstance(raw, list):
            if len(raw) != 1:
                raise _bad_request("InvalidArgs", f"Expected one argument object, got {len(raw)}")
            raw = raw[0]
        if not isinstance(raw, dict):
            raise _bad_request("InvalidArgs", "The function args must be an object")
        return decode_args(raw)

    def _authenticate(self, headers: dict[str, str], query: dict[str, str]) -> tuple[bool, bool]:
        """Return (is_admin, is_restricted), or raise a 401 reply for a bad credential."""
        authorization = headers.get("authorization")
        if authorization is None:
            key = query.get("adminKey")
            if key is None:
                return False, False
        elif authorization[:7].lower() == "convex ":
            key = authorization[7:]
        elif authorization[:7].lower() == "bearer ":
            return False, False  # a user JWT: not an admin; the fake does not verify it
        else:
            raise _bad_request("InvalidAuthHeader", "The Authorization header is invalid", 401)

        # setAdminAuth(key, identity) appends ":<base64 identity>" to act as a user.
        for valid in (self.deployment.admin_key, *self.deployment.restricted_keys):
            if key == valid or key.startswith(valid + ":"):
                return True, valid in self.deployment.restricted_keys
        raise _bad_request("BadAdminKey", "The provided admin key was invalid for this instance", 401)
