"""The Convex HTTP client and registry against the fake deployment on 127.0.0.1."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time

import httpx
import pytest

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
from crongate.registry.convex_http import (
    ConnectionSettings,
    ConvexHttpRegistry,
    Redactor,
    _is_loopback,
    build_client,
)
from crongate.registry.interface import FieldMap
from fake_convex import FakeDeployment, FunctionError, Int64

KEY = "prod:happy-otter-123|c2VjcmV0LXBhcnQtb2YtdGhlLWtleQ=="
SECRET_PART = "c2VjcmV0LXBhcnQtb2YtdGhlLWtleQ=="

ROWS = [
    {
        "jobKey": "traffic-sync",
        "name": "Traffic sync",
        "interval": {"type": "minutes", "value": 5},
        "enabled": True,
        "totalRuns": 10,
        "successCount": 9,
        "errorCount": 1,
        "lastRunAt": 1_796_000_000_000,
        "lastStatus": "success",
    },
    {"jobKey": "cleanup", "name": "Cleanup", "interval": {"type": "hours", "value": 1}, "enabled": False},
    {"jobKey": "digest", "name": "Digest", "totalRuns": Int64(3)},
]


@pytest.fixture
def fake():
    with FakeDeployment.with_system_jobs(ROWS, {"addDigestJob": {"jobKey": "digest"}}, internal=True,
                                         admin_key=KEY, restricted_keys=("prod:happy-otter-123|cmVzdHJpY3RlZA==",)) as deployment:
        yield deployment


def settings(fake: FakeDeployment, **overrides) -> ConnectionSettings:
    values = {"url": fake.url, "key": KEY, "timeout": 2.0, "retries": 2, "backoff": 0.01, "max_retry_wait": 1.0}
    values.update(overrides)
    return ConnectionSettings(**values)


def call_list(fake: FakeDeployment, **overrides):
    with build_client(settings(fake, **overrides)) as client:
        return client.query("systemJobs:listAll", {})


def assert_no_key(text: str) -> None:
    assert KEY not in text
    assert SECRET_PART not in text


# -- success --


def test_query_returns_value(fake):
    value = call_list(fake)
    assert [row["jobKey"] for row in value] == ["traffic-sync", "cleanup", "digest"]


def test_query_request_shape(fake):
    call_list(fake)
    request = fake.requests_to("/api/query")[0]
    assert request.json == {"path": "systemJobs:listAll", "args": {}, "format": "json"}
    assert request.headers["authorization"] == f"Convex {KEY}"
    assert request.headers["convex-client"].startswith("crongate-")
    assert request.headers["content-type"] == "application/json"


def test_query_clean_json_int64(fake):
    value = call_list(fake)
    assert value[2]["totalRuns"] == "3"


def test_no_key_no_authorization(fake):
    with pytest.raises(FunctionNotFound):
        call_list(fake, key=None)
    assert "authorization" not in fake.requests[0].headers


def test_mutation_inserts_once(fake):
    fake.register("systemJobs:addNewJob", "mutation", fake._migration("systemJobs", "jobKey", {"jobKey": "new"}))
    with build_client(settings(fake)) as client:
        first = client.mutation("systemJobs:addNewJob", {})
        second = client.mutation("systemJobs:addNewJob", {})
    assert first == second
    assert [row["jobKey"] for row in fake.rows("systemJobs")].count("new") == 1


def test_registry_reads_rows(fake):
    with build_client(settings(fake)) as client:
        registry = ConvexHttpRegistry(client)
        rows = registry.read_rows()
    assert [row.key for row in rows] == ["traffic-sync", "cleanup", "digest"]
    assert rows[0].total_runs == 10
    assert rows[0].schedule == {"type": "minutes", "value": 5.0}
    assert rows[1].enabled is False
    assert rows[2].total_runs == 3
    assert rows[0].doc_id is not None
    assert registry.taken_at is None
    assert registry.label == fake.url


def test_registry_custom_fields(fake):
    fake.register("jobs:list", "query", lambda ctx, args: [{"id": "a", "every": "5m", "on": True}])
    fields = FieldMap(key="id", schedule="every", enabled="on")
    with build_client(settings(fake)) as client:
        rows = ConvexHttpRegistry(client, list_function="jobs:list", fields=fields).read_rows()
    assert rows[0].key == "a"
    assert rows[0].schedule == "5m"
    assert rows[0].enabled is True


# -- pagination --


def test_pagination_reads_all_pages(fake):
    with build_client(settings(fake)) as client:
        rows = ConvexHttpRegistry(client, page_function="systemJobs:listPage", page_size=2).read_rows()
    assert [row.key for row in rows] == ["traffic-sync", "cleanup", "digest"]
    calls = fake.requests_to("systemJobs:listPage")
    assert len(calls) == 2
    assert calls[0].json["args"] == {"paginationOpts": {"numItems": 2, "cursor": None}}
    assert isinstance(calls[1].json["args"]["paginationOpts"]["cursor"], str)


def test_pagination_repeated_cursor(fake):
    fake.register(
        "jobs:loop", "query",
        lambda ctx, args: {"page": [{"jobKey": "a"}], "isDone": False, "continueCursor": "same"},
    )
    with build_client(settings(fake)) as client:
        registry = ConvexHttpRegistry(client, page_function="jobs:loop")
        with pytest.raises(ProtocolError, match="continueCursor 'same' again"):
            registry.read_rows()
    assert len(fake.requests_to("jobs:loop")) == 2


def test_pagination_bad_page(fake):
    fake.register("jobs:bad", "query", lambda ctx, args: {"page": "rows", "isDone": True})
    with build_client(settings(fake)) as client:
        with pytest.raises(ProtocolError, match="page 1 has page a string"):
            ConvexHttpRegistry(client, page_function="jobs:bad").read_rows()


def test_page_size_out_of_range(fake):
    with build_client(settings(fake)) as client:
        with pytest.raises(ConfigError):
            ConvexHttpRegistry(client, page_function="systemJobs:listPage", page_size=32_001)


# -- the fake itself: argument shapes, formats, auth --


def post(fake: FakeDeployment, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
    merged = {"Authorization": f"Convex {KEY}", **(headers or {})}
    return httpx.post(f"{fake.url}{path}", json=body, headers=merged, timeout=5, trust_env=False)


def test_fake_args_list_shape(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:getByKey", "args": [{"jobKey": "cleanup"}], "format": "json"})
    assert response.json()["value"]["name"] == "Cleanup"


def test_fake_args_object_shape(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:getByKey", "args": {"jobKey": "cleanup"}, "format": "json"})
    assert response.json()["value"]["name"] == "Cleanup"


def test_fake_encoded_format(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:getByKey", "args": {"jobKey": "digest"},
                                         "format": "convex_encoded_json"})
    assert response.json()["value"]["totalRuns"] == {"$integer": "AwAAAAAAAAA="}


def test_fake_bad_format(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:listAll", "args": {}, "format": "xml"})
    assert response.status_code == 400
    assert response.json()["code"] == "BadFormat"


def test_fake_default_format_by_client(fake):
    body = {"path": "systemJobs:getByKey", "args": {"jobKey": "digest"}}
    old = post(fake, "/api/query", body, {"Convex-Client": "npm-1.4.1"}).json()["value"]["totalRuns"]
    new = post(fake, "/api/query", body, {"Convex-Client": "npm-1.48.0"}).json()["value"]["totalRuns"]
    assert old == {"$integer": "AwAAAAAAAAA="}
    assert new == "3"


def test_fake_invalid_client_version(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:listAll", "args": {}}, {"Convex-Client": "crongate"})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidVersion"


def test_fake_run_endpoint(fake):
    response = post(fake, "/api/run/systemJobs/getByKey", {"args": {"jobKey": "digest"}})
    assert response.json()["value"]["totalRuns"] == "3"


def test_fake_admin_key_parameter(fake):
    response = httpx.post(f"{fake.url}/api/query", params={"adminKey": KEY}, trust_env=False,
                          json={"path": "systemJobs:listAll", "args": {}, "format": "json"})
    assert response.json()["status"] == "success"


def test_fake_auth_prefix_case(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:listAll", "args": {}}, {"Authorization": f"CONVEX {KEY}"})
    assert response.json()["status"] == "success"


def test_fake_wrong_key(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:listAll", "args": {}}, {"Authorization": "Convex nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "BadAdminKey"


def test_fake_probes(fake):
    assert "running" in httpx.get(f"{fake.url}/", trust_env=False).text
    assert httpx.get(f"{fake.url}/instance_name", trust_env=False).text == fake.instance_name


def test_fake_omits_empty_log_lines(fake):
    response = post(fake, "/api/query", {"path": "systemJobs:listAll", "args": {}, "format": "json"})
    assert "logLines" not in response.json()


def test_fake_function_error_data(fake):
    def fail(ctx, args):
        ctx.log("about to fail")
        raise FunctionError("Uncaught ConvexError: nope", data={"reason": "test"})

    fake.register("jobs:fail", "query", fail)
    body = post(fake, "/api/query", {"path": "jobs:fail", "args": {}, "format": "json"}).json()
    assert body["status"] == "error"
    assert body["errorData"] == {"reason": "test"}
    assert body["logLines"] == ["[LOG] 'about to fail'"]


def test_fake_kind_mismatch(fake):
    body = post(fake, "/api/query", {"path": "systemJobs:enable", "args": {"jobKey": "cleanup"}}).json()
    assert body["status"] == "error"
    assert fake.rows("systemJobs")[1]["enabled"] is False


# -- faults mapped to errors --


def test_delay_within_timeout(fake):
    fake.inject("systemJobs:listAll", "delay", seconds=0.2)
    assert len(call_list(fake)) == 3


def test_delay_past_timeout(fake):
    fake.inject("systemJobs:listAll", "delay", seconds=2.0)
    started = time.monotonic()
    with pytest.raises(TargetTimeout):
        call_list(fake, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert len(fake.requests_to("systemJobs:listAll")) == 1


def test_hang_times_out(fake):
    fake.inject("*", "hang")
    with pytest.raises(TargetTimeout, match="timed out after 0.3 s"):
        call_list(fake, timeout=0.3)


def test_close_retried_then_fails(fake):
    fake.inject("systemJobs:listAll", "close", times=10)
    with pytest.raises(TargetUnreachable):
        call_list(fake)
    assert len(fake.requests_to("systemJobs:listAll")) == 3


def test_close_once_recovers(fake):
    fake.inject("systemJobs:listAll", "close")
    assert len(call_list(fake)) == 3
    assert len(fake.requests_to("systemJobs:listAll")) == 2


def test_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ConnectionSettings(f"http://127.0.0.1:{port}", KEY, timeout=1.0, retries=1, backoff=0.01)
    with build_client(config) as client:
        with pytest.raises(TargetUnreachable, match=f"could not reach http://127.0.0.1:{port}"):
            client.query("systemJobs:listAll", {})


def test_dns_failure_unreachable():
    # A mock transport replaces the resolver, so the test sends no DNS query.
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    config = ConnectionSettings("https://no-such-deployment.convex.cloud", KEY, retries=1, backoff=0.01)
    with build_client(config, transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(TargetUnreachable) as caught:
            client.query("systemJobs:listAll", {})
    assert "Name or service not known" in caught.value.message
    assert "CONVEX_URL" in caught.value.hint


def test_oversized_by_content_length():
    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "999999999"}, content=b"{}")

    config = ConnectionSettings("https://example.convex.cloud", KEY, max_response_bytes=1024)
    with build_client(config, transport=httpx.MockTransport(huge)) as client:
        with pytest.raises(ProtocolError, match="more than 1024 bytes"):
            client.query("systemJobs:listAll", {})


def test_503_retried_then_succeeds(fake, caplog):
    fake.inject("systemJobs:listAll", "status", status=503, times=2,
                body={"code": "Overloaded", "message": "try again"})
    with caplog.at_level(logging.DEBUG, logger="crongate"):
        assert len(call_list(fake)) == 3
    assert len(fake.requests_to("systemJobs:listAll")) == 3
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and "retrying" in r.getMessage()]
    assert len(retries) == 2
    requests = [r for r in caplog.records if r.levelno == logging.DEBUG and "/api/query" in r.getMessage()]
    assert len(requests) == 3


def test_503_exhausted(fake):
    fake.inject("systemJobs:listAll", "status", status=503, times=10,
                body={"code": "Overloaded", "message": "try again"})
    with pytest.raises(TargetError, match="Overloaded: try again"):
        call_list(fake)
    assert len(fake.requests_to("systemJobs:listAll")) == 3


def test_429_honours_retry_after(fake):
    fake.inject("systemJobs:listAll", "status", status=429, headers={"Retry-After": "0.3"},
                body={"code": "RateLimited", "message": "slow down"})
    started = time.monotonic()
    call_list(fake, backoff=0.0)
    assert time.monotonic() - started >= 0.3
    assert len(fake.requests_to("systemJobs:listAll")) == 2


def test_429_long_retry_after_fails(fake):
    fake.inject("systemJobs:listAll", "status", status=429, headers={"Retry-After": "999999"},
                body={"code": "RateLimited", "message": "slow down"})
    started = time.monotonic()
    with pytest.raises(TargetError) as caught:
        call_list(fake, max_retry_wait=30.0)
    assert time.monotonic() - started < 1.0
    assert len(fake.requests_to("systemJobs:listAll")) == 1
    assert "asked to retry after 999999 s" in caught.value.message
    assert "HTTP 429" in caught.value.message
    assert fake.url in caught.value.message


def test_429_invalid_retry_after_backs_off(fake):
    fake.inject("systemJobs:listAll", "status", status=429, headers={"Retry-After": "inf"},
                body={"code": "RateLimited", "message": "slow down"})
    started = time.monotonic()
    assert len(call_list(fake, max_retry_wait=1.0)) == 3
    # The backoff of 0.01 s applies, neither an infinite wait nor the cap of 1 s.
    assert time.monotonic() - started < 0.8
    assert len(fake.requests_to("systemJobs:listAll")) == 2


def test_retry_wait_logged_as_warning(fake, caplog):
    fake.inject("systemJobs:listAll", "status", status=429, headers={"Retry-After": "0.1"},
                body={"code": "RateLimited", "message": "slow down"})
    with caplog.at_level(logging.WARNING, logger="crongate"):
        call_list(fake)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "in 0.10 s" in warnings[0]
    assert "HTTP 429" in warnings[0]


def test_mutation_not_retried(fake):
    fake.inject("systemJobs:enable", "status", status=503, times=10, body={"code": "Overloaded", "message": "x"})
    with build_client(settings(fake)) as client:
        with pytest.raises(TargetError):
            client.mutation("systemJobs:enable", {"jobKey": "cleanup"})
    assert len(fake.requests_to("systemJobs:enable")) == 1


def test_mutation_retry_opt_in(fake):
    fake.inject("systemJobs:enable", "close")
    with build_client(settings(fake)) as client:
        client.mutation("systemJobs:enable", {"jobKey": "cleanup"}, retry=True)
    assert len(fake.requests_to("systemJobs:enable")) == 2
    assert fake.rows("systemJobs")[1]["enabled"] is True


@pytest.mark.parametrize("status", [400, 409, 500])
def test_convex_error_body(fake, status):
    fake.inject("systemJobs:listAll", "status", status=status, body={"code": "SomeCode", "message": "went wrong"})
    with pytest.raises(TargetError) as caught:
        call_list(fake)
    assert type(caught.value) is TargetError
    assert f"HTTP {status} SomeCode: went wrong" in caught.value.message


def test_500_not_retried(fake):
    fake.inject("systemJobs:listAll", "status", status=500, times=5, body={"code": "InternalServerError", "message": "x"})
    with pytest.raises(TargetError):
        call_list(fake)
    assert len(fake.requests_to("systemJobs:listAll")) == 1


def test_404_function_path(fake):
    fake.inject("systemJobs:listAll", "status", status=404,
                body={"code": "FunctionPathNotFound", "message": "no such function"})
    with pytest.raises(FunctionNotFound, match="FunctionPathNotFound"):
        call_list(fake)


def test_401_auth_rejected(fake):
    with pytest.raises(AuthRejected) as caught:
        call_list(fake, key="prod:happy-otter-123|d3Jvbmc=")
    assert f"the key was rejected by {fake.url}" in caught.value.message
    assert "CONVEX_DEPLOY_KEY" in caught.value.hint
    assert "d3Jvbmc=" not in str(caught.value)


def test_403_permission_denied(fake):
    with pytest.raises(PermissionDenied) as caught:
        call_list(fake, key="prod:happy-otter-123|cmVzdHJpY3RlZA==")
    assert "OperationNotPermitted" in caught.value.message
    assert "runInternalQueries" in caught.value.hint


def test_403_injected(fake):
    fake.inject("systemJobs:listAll", "status", status=403,
                body={"code": "OperationNotPermitted", "message": "You do not have permission"})
    with pytest.raises(PermissionDenied):
        call_list(fake)


def test_status_error(fake):
    fake.inject("systemJobs:listAll", "error", message="Uncaught Error: boom")
    with pytest.raises(FunctionFailed, match="systemJobs:listAll failed on .*: Uncaught Error: boom"):
        call_list(fake)


def test_status_560(fake):
    fake.inject("systemJobs:listAll", "udf_failed", message="Uncaught Error: 560 boom")
    with pytest.raises(FunctionFailed, match="560 boom"):
        call_list(fake)


def test_unknown_function(fake):
    with build_client(settings(fake)) as client:
        with pytest.raises(FunctionNotFound) as caught:
            client.query("systemJobs:missing", {})
    assert "systemJobs:missing" in caught.value.message
    assert "registry.list_function" in caught.value.hint
    assert "--list-function" in caught.value.hint


@pytest.mark.parametrize("fault", ["not_json", "html", "truncated", "truncated_json"])
def test_bad_body_protocol_error(fault, fake):
    fake.inject("systemJobs:listAll", fault)
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert fake.url in caught.value.message


def test_html_page_message(fake):
    fake.inject("systemJobs:listAll", "html", status=502)
    with pytest.raises(ProtocolError, match="HTTP 502.*text/html"):
        call_list(fake)


def test_oversized_body(fake):
    fake.inject("systemJobs:listAll", "oversized", size=200_000)
    with pytest.raises(ProtocolError, match="more than 65536 bytes"):
        call_list(fake, max_response_bytes=65536)


def test_success_without_status(fake):
    fake.inject("systemJobs:listAll", "status", status=200, body={"value": []})
    with pytest.raises(ProtocolError, match="no status"):
        call_list(fake)


# -- wrong-shape values --


def read_registry(fake: FakeDeployment):
    with build_client(settings(fake)) as client:
        return ConvexHttpRegistry(client).read_rows()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"rows": []}, "returned an object, expected a list"),
        ([{"jobKey": "a"}, "b"], "document 1 is a string"),
        ([{"jobKey": "a"}, {"name": "no key"}], "document 1 has no 'jobKey' field"),
        ([{"jobKey": "a", "enabled": "yes"}], "document 0: field 'enabled'"),
        ([{"jobKey": 5}], "document 0: field 'jobKey'"),
        ([{"jobKey": "a", "totalRuns": "many"}], "document 0: field 'totalRuns'"),
    ],
)
def test_wrong_shape(fake, value, expected):
    fake.inject("systemJobs:listAll", "value", value=value)
    with pytest.raises(ProtocolError) as caught:
        read_registry(fake)
    assert expected in caught.value.message
    assert "systemJobs:listAll" in caught.value.message


# -- secrets --


def test_echoed_key_redacted_in_function_error(fake):
    fake.inject("systemJobs:listAll", "error", message=f"Uncaught Error: bad key {KEY} / {SECRET_PART}")
    with pytest.raises(FunctionFailed) as caught:
        call_list(fake)
    assert_no_key(str(caught.value))


def test_echoed_key_redacted_in_error_body(fake):
    fake.inject("systemJobs:listAll", "status", status=400,
                body={"code": "BadRequest", "message": f"key happy-otter-123|{SECRET_PART} is odd"})
    with pytest.raises(TargetError) as caught:
        call_list(fake)
    assert_no_key(str(caught.value))


def test_echoed_key_redacted_in_html(fake):
    fake.inject("systemJobs:listAll", "status", status=502, content_type="text/html",
                body=f"<html>{SECRET_PART}</html>")
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert_no_key(str(caught.value))


def test_key_not_logged(fake, caplog):
    fake.inject("systemJobs:listAll", "status", status=503, body={"code": "Overloaded", "message": KEY})
    with caplog.at_level(logging.DEBUG):
        call_list(fake)
    assert_no_key(caplog.text)


def test_settings_repr_hides_key():
    assert_no_key(repr(ConnectionSettings("https://example.convex.cloud", KEY)))


def test_redactor_parts():
    redact = Redactor([KEY])
    assert redact(f"a {KEY} b") == "a *** b"
    assert redact(f"happy-otter-123|{SECRET_PART}") == "***"
    assert redact(SECRET_PART) == "***"


# -- URLs --


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com", "example.convex.cloud", "https://example.convex.site",
     "https://user:pw@example.convex.cloud", "https://example.convex.cloud/?adminKey=x"],
)
def test_invalid_url(url):
    with pytest.raises(ConfigError):
        build_client(ConnectionSettings(url, KEY))


def test_url_trailing_slash(fake):
    with build_client(ConnectionSettings(fake.url + "/", KEY)) as client:
        assert client.url == fake.url


# -- regressions found by running crongate against misbehaving servers --


class TrickleServer:
    """A server on 127.0.0.1 that sends a status line, then one header line every 0.1 s.

    Each read returns within any read timeout, so only an overall deadline ends the request.
    It stops by itself after ``limit`` seconds, so a failing test still finishes.
    """

    def __init__(self, limit: float = 10.0) -> None:
        self.limit = limit
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TrickleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            started = time.monotonic()
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self.stopping.wait(0.1) and time.monotonic() - started < self.limit:
                    connection.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass  # the client shut the connection down


class RecordingProxy:
    """An HTTP proxy stand-in on 127.0.0.1 that records each request and replies 502."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                received.append((self.path, dict(self.headers)))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        (KEY + "\n", "a line break"),
        (KEY + "\r", "a line break"),
        (KEY[:10] + "\u00e9" + KEY[10:], "a non-ASCII character"),
        (KEY + "\x00", "a control character"),
        (KEY + " x", "whitespace"),
        (KEY + "\t", "whitespace"),
    ],
)
def test_key_invalid_characters(key, kind):
    with pytest.raises(UsageError) as caught:
        ConnectionSettings("https://example.convex.cloud", key)
    assert kind in caught.value.message
    assert_no_key(str(caught.value))
    assert SECRET_PART[:8] not in str(caught.value)


def test_redactor_escaped_forms():
    secret = "prod:happy-otter-123|c2VjcmV0LXBhcnQt\u00e9\n"
    redact = Redactor([secret])
    header = f"Convex {secret}"
    for text in (repr(header.encode()), repr(header), repr(header.encode("latin-1")), header):
        redacted = redact(f"Illegal header value {text}")
        assert "c2VjcmV0LXBhcnQt" not in redacted, text


def test_local_protocol_error_redacted():
    def reject(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value {('Convex ' + KEY).encode()!r}")

    config = ConnectionSettings("https://example.convex.cloud", KEY, retries=0)
    with build_client(config, transport=httpx.MockTransport(reject)) as client:
        with pytest.raises(UsageError) as caught:
            client.query("systemJobs:listAll", {})
    assert "could not send a valid HTTP request" in caught.value.message
    assert_no_key(str(caught.value))


def test_snippet_redacts_before_cutting(fake):
    # The 120-character cut falls inside the secret part of the echoed key.
    body = "x" * 110 + SECRET_PART + "y" * 50
    fake.inject("systemJobs:listAll", "status", status=502, content_type="text/html", body=body)
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert SECRET_PART[:10] not in caught.value.message
    assert "***" in caught.value.message


def test_trickled_headers_hit_deadline():
    with TrickleServer() as server:
        config = ConnectionSettings(server.url, KEY, timeout=0.5, deadline=1.0, retries=0)
        started = time.monotonic()
        with build_client(config) as client:
            with pytest.raises(TargetTimeout) as caught:
                client.query("systemJobs:listAll", {})
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert server.url in caught.value.message
    assert "within 1 s" in caught.value.message


def test_deadline_default():
    assert ConnectionSettings("https://example.convex.cloud", timeout=5).attempt_deadline == 30.0
    assert ConnectionSettings("https://example.convex.cloud", timeout=20).attempt_deadline == 60.0


def test_deadline_not_hit_by_normal_reply(fake):
    assert len(call_list(fake, deadline=1.0)) == 3


def test_empty_pages_rejected(fake):
    counter = iter(range(1_000_000))
    fake.register(
        "jobs:empty", "query",
        lambda ctx, args: {"page": [], "isDone": False, "continueCursor": f"cursor-{next(counter)}"},
    )
    with build_client(settings(fake)) as client:
        registry = ConvexHttpRegistry(client, page_function="jobs:empty")
        with pytest.raises(ProtocolError) as caught:
            registry.read_rows()
    assert "jobs:empty" in caught.value.message
    assert "3 empty pages in a row" in caught.value.message
    assert len(fake.requests_to("jobs:empty")) == 3


def test_empty_pages_between_rows_accepted(fake):
    pages = [[], [], [{"jobKey": "a"}], [], [], [{"jobKey": "b"}]]

    def page(ctx, args):
        cursor = args["paginationOpts"]["cursor"]
        index = 0 if cursor is None else int(cursor)
        return {"page": pages[index], "isDone": index == len(pages) - 1, "continueCursor": str(index + 1)}

    fake.register("jobs:sparse", "query", page)
    with build_client(settings(fake)) as client:
        rows = ConvexHttpRegistry(client, page_function="jobs:sparse").read_rows()
    assert [row.key for row in rows] == ["a", "b"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "127.0.0.1.", "2130706433", "0x7f.0.0.1", "127.255.255.254", "localhost",
     "localhost.", "LOCALHOST", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"],
)
def test_loopback_hosts(host):
    assert _is_loopback(f"http://{host}:3210")


@pytest.mark.parametrize(
    "host",
    ["example.convex.cloud", "128.0.0.1", "10.0.0.1", "[::2]", "127.0.0.1.example.com", "localhost.example.com"],
)
def test_remote_hosts(host):
    assert not _is_loopback(f"https://{host}")


def test_short_loopback_bypasses_proxy(fake, monkeypatch):
    port = fake.url.rsplit(":", 1)[1]
    with RecordingProxy() as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        with build_client(ConnectionSettings(f"http://127.1:{port}", KEY, retries=0)) as client:
            value = client.query("systemJobs:listAll", {})
    assert len(value) == 3
    assert proxy.received == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_named(fake, status):
    fake.inject("systemJobs:listAll", "status", status=status,
                headers={"Location": "https://happy-otter-123.convex.cloud/api/query"})
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert f"redirected the request for systemJobs:listAll with HTTP {status}" in caught.value.message
    assert "https://happy-otter-123.convex.cloud/api/query" in caught.value.message
    assert "does not follow redirects" in caught.value.message
    assert "final deployment URL" in caught.value.hint


def test_redirect_relative_location(fake):
    fake.inject("systemJobs:listAll", "status", status=307, headers={"Location": "/v2/api/query"})
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert f"{fake.url}/v2/api/query" in caught.value.message


def test_redirect_location_redacted(fake):
    fake.inject("systemJobs:listAll", "status", status=302,
                headers={"Location": f"https://evil.example/?k={SECRET_PART}"})
    with pytest.raises(ProtocolError) as caught:
        call_list(fake)
    assert_no_key(str(caught.value))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", float("inf")),
        ("timeout", float("nan")),
        ("timeout", float("1e400")),
        ("timeout", 1e9),
        ("timeout", 0),
        ("timeout", -1.0),
        ("deadline", float("inf")),
        ("backoff", float("nan")),
        ("max_retry_wait", float("inf")),
        ("max_retry_wait", -1.0),
    ],
)
def test_seconds_rejected(name, value):
    with pytest.raises(UsageError) as caught:
        ConnectionSettings("https://example.convex.cloud", KEY, **{name: value})
    assert f"invalid {name}" in caught.value.message
