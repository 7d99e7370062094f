"""A fake of the GitHub REST API's issue comment endpoints on 127.0.0.1, for the action's comment step.

It serves what action/comment.py calls, shaped as GitHub documents them:

* ``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=N&page=P``, ordered by
  ascending id, ``per_page`` at most 100 (default 30), with a ``Link`` header whose
  ``rel="next"`` names the next page,
* ``POST /repos/{owner}/{repo}/issues/{number}/comments`` with ``{"body": ...}``: 201,
* ``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` with ``{"body": ...}``: 200,
* 401 ``Bad credentials`` unless ``Authorization: Bearer <token>`` carries the expected token,
  and 422 ``Body is too long (maximum is 65536 characters)`` for a longer body.

``fail_next`` makes the next matching requests return a chosen status, body and headers.
Every request is recorded in ``requests``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY_CHARACTERS = 65_536

_LIST_OR_CREATE = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_EDIT = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class PlannedFailure:
    method: str | None  # None matches every method
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


class FakeGitHub:
    """The fake API. Use as a context manager; ``url`` is the value for GITHUB_API_URL."""

    def __init__(self, token: str, bot_login: str = "github-actions[bot]") -> None:
        self.token = token
        self.bot_login = bot_login
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.requests: list[RecordedRequest] = []
        self._failures: list[PlannedFailure] = []
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"github": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown quick; the default waits up to 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the port; calling it again does nothing."""
        if self._thread is None or self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread = None

    def add_comment(self, repository: str, number: int, body: str, login: str = "octocat") -> dict[str, Any]:
        """Add a comment as if someone had posted it, and return it."""
        with self._lock:
            comment = self._new_comment(repository, number, body, login)
            self.comments.setdefault((repository, number), []).append(comment)
        return comment

    def comments_on(self, repository: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(comment) for comment in self.comments.get((repository, number), [])]

    def fail_next(self, status: int, body: Any = None, *, method: str | None = None,
                  headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Make the next ``times`` requests (of ``method``, if given) reply with ``status`` and ``body``."""
        with self._lock:
            self._failures.append(PlannedFailure(method, status, body, dict(headers or {}), times))

    def requests_by(self, method: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method]

    def _new_comment(self, repository: str, number: int, body: str, login: str) -> dict[str, Any]:
        comment_id = next(self._ids)
        return {
            "id": comment_id,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.com/{repository}/pull/{number}#issuecomment-{comment_id}",
        }

    def _take_failure(self, method: str) -> PlannedFailure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        """Return the status, JSON body and extra headers for one request."""
        failure = self._take_failure(method)
        if failure is not None:
            return failure.status, failure.body, failure.headers

        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}, {}

        listing = _LIST_OR_CREATE.match(path)
        if listing and method == "GET":
            return self._list(listing.group(1), int(listing.group(2)), query, path)
        if listing and method == "POST":
            return self._create(listing.group(1), int(listing.group(2)), body)
        editing = _EDIT.match(path)
        if editing and method == "PATCH":
            return self._edit(editing.group(1), int(editing.group(2)), body)
        return 404, {"message": "Not Found"}, {}

    def _list(self, repository: str, number: int, query: dict[str, str], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        with self._lock:
            comments = [dict(comment) for comment in self.comments.get((repository, number), [])]

        start = (page - 1) * per_page
        headers = {}
        if start + per_page < len(comments):
            following = urllib.parse.urlencode({"per_page": per_page, "page": page + 1})
            headers["Link"] = f'<{self.url}{path}?{following}>; rel="next"'
        return 200, comments[start:start + per_page], headers

    def _create(self, repository: str, number: int, body: bytes) -> tuple[int, Any, dict[str, str]]:
        text = _body_text(body)
        if text is None:
            return 422, {"message": "Invalid request.\n\n\"body\" wasn't supplied."}, {}
        if len(text) > MAX_BODY_CHARACTERS:
            return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
        with self._lock:
            comment = self._new_comment(repository, number, text, self.bot_login)
            self.comments.setdefault((repository, number), []).append(comment)
        return 201, comment, {}

    def _edit(self, repository: str, comment_id: int, body: bytes) -> tuple[int, Any, dict[str, str]]:
        text = _body_text(body)
        if text is None:
            return 422, {"message": "Invalid request.\n\n\"body\" wasn't supplied."}, {}
        if len(text) > MAX_BODY_CHARACTERS:
            return 422, {"message": "Body is too long (maximum is 65536 characters)"}, {}
        with self._lock:
            for (owner_repository, _number), comments in self.comments.items():
                for comment in comments:
                    if owner_repository == repository and comment["id"] == comment_id:
                        comment["body"] = text
                        return 200, dict(comment), {}
        return 404, {"message": "Not Found"}, {}

    def all_comments(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            for comments in self.comments.values():
                yield from (dict(comment) for comment in comments)


def _body_text(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
        return None
    return payload["body"]


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub  # set on the subclass made in FakeGitHub.__enter__

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.github.requests.append(RecordedRequest(method, split.path, query, headers, body))

        status, payload, extra_headers = self.github.handle(method, split.path, query, headers, body)
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
