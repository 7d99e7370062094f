"""Post crongate's Markdown summary as one pull request comment, and update it on later runs.

The action's comment step runs this after crongate, on ``pull_request`` events when the
``comment`` input is true. It reads the event from ``GITHUB_EVENT_PATH``, the token from
``CRONGATE_GITHUB_TOKEN`` and the summary file from ``CRONGATE_SUMMARY_PATH``. It looks
for an earlier comment whose body starts with ``MARKER`` and edits it in place, so a pull
request keeps one crongate comment however often the workflow runs. With no earlier
comment it creates one. It calls GitHub's REST API at ``GITHUB_API_URL``:

* ``GET /repos/{owner}/{repo}/issues/{number}/comments`` (``per_page`` at most 100,
  further pages in the ``Link`` header),
* ``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` to edit,
* ``POST /repos/{owner}/{repo}/issues/{number}/comments`` to create.

The comment is a convenience next to the gate, so it never changes the step's verdict.
A pull request from a fork gets a ``::notice::``, because its workflows get no secrets
and a read-only token. A missing token or summary also gets a notice, and a failed API
call gets a ``::warning::``. The script exits 0 in all of these cases. It exits 2 only
for an unreadable event file, which means the step is not running on GitHub Actions.

Standard library only, and nothing runs at import time, so tests can import it.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

MARKER = "<!-- crongate-report -->"

# GitHub rejects a longer comment body with 422 "Body is too long (maximum is 65536
# characters)", the message its API returns for issue comments.
MAX_COMMENT_CHARACTERS = 65_536

# 100 is the maximum page size that GitHub's list endpoints accept.
PAGE_SIZE = 100

# Pages of comments read before giving up on finding the earlier comment: 5,000 comments.
MAX_PAGES = 50

TIMEOUT_SECONDS = 30

API_VERSION = "2022-11-28"

EXIT_OK = 0
EXIT_USAGE = 2

CUT_NOTE = (
    "\n\n> [!NOTE]\n> This comment was cut to stay under GitHub's limit of {limit:,} characters. "
    "The job summary of this workflow run lists every finding.\n"
)


class CommentError(Exception):
    """A GitHub API call that failed. The message never contains the token."""


class SkipComment(Exception):
    """A reason to post no comment that is not an error, such as a pull request from a fork."""


@dataclass(frozen=True)
class PullRequest:
    """The pull request that the workflow runs for."""

    repository: str  # "owner/name", the base repository, where the comment goes
    number: int


@dataclass(frozen=True)
class CommentResult:
    """The outcome of ``GitHubClient.publish``: ``"created"`` or ``"updated"``, and the comment's id and URL."""

    action: str
    comment_id: int
    url: str


def escape_data(value: str) -> str:
    """Escape a workflow command's message as GitHub's @actions/core toolkit does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def read_pull_request(environ: Mapping[str, str]) -> PullRequest:
    """Return the pull request from the event file, or raise SkipComment for a fork or another event.

    A pull request counts as from a fork when its head repository differs from its base
    repository, or when the head repository is gone (a deleted fork).
    """
    event_name = environ.get("GITHUB_EVENT_NAME", "")
    if event_name != "pull_request":
        raise SkipComment(f"the event is {event_name or 'unknown'}, not pull_request, so no comment was posted")

    event_path = environ.get("GITHUB_EVENT_PATH", "")
    try:
        with open(event_path, encoding="utf-8") as stream:
            event = json.load(stream)
        pull_request = event["pull_request"]
        number = int(pull_request["number"])
        base = pull_request["base"]["repo"]["full_name"]
        head_repo = pull_request["head"].get("repo")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"the event file {event_path!r} is not a readable pull_request event: {error}") from None

    head = head_repo.get("full_name") if isinstance(head_repo, dict) else None
    if head != base:
        raise SkipComment(
            f"pull request #{number} comes from the fork {head or '(deleted)'}, where workflows get no "
            "secrets and a read-only token, so no comment was posted; the job summary has the report"
        )

    repository = environ.get("GITHUB_REPOSITORY") or base
    return PullRequest(repository=repository, number=number)


def build_body(summary: str, limit: int = MAX_COMMENT_CHARACTERS) -> str:
    """Return the comment body: the marker, then the summary, cut with a note to fit ``limit`` characters.

    Python counts characters as code points.
    """
    body = f"{MARKER}\n{summary}"
    if len(body) <= limit:
        return body

    note = CUT_NOTE.format(limit=limit)
    kept = body[: limit - len(note)]

    # Cutting at the last line break keeps a table row or a link from ending half-way.
    line_end = kept.rfind("\n")
    if line_end > len(MARKER):
        kept = kept[:line_end]
    return kept + note


class _RejectRedirects(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError, because urllib would resend the token to the new URL."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


class GitHubClient:
    """A minimal client for the REST API calls above, with the token sent only to ``api_url``'s origin."""

    def __init__(self, api_url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        parsed = urllib.parse.urlsplit(self.api_url)
        self.origin = (parsed.scheme, parsed.netloc)
        self.opener = urllib.request.build_opener(_RejectRedirects)

    def request(self, method: str, url: str, payload: Any = None) -> tuple[Any, Mapping[str, str]]:
        """Send one request and return the decoded JSON body and the response headers."""
        parsed = urllib.parse.urlsplit(url)
        if (parsed.scheme, parsed.netloc) != self.origin:
            # A Link header could name another host; the token must not go there.
            raise CommentError(f"GitHub returned a link to {parsed.scheme}://{parsed.netloc}, outside {self.api_url}")

        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "crongate-action")
        if data is not None:
            request.add_header("Content-Type", "application/json")

        described = f"{method} {parsed.path}"
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read()
                headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            raise CommentError(f"{described} failed: HTTP {error.code}: {_api_message(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CommentError(f"{described} failed: {reason}") from None

        try:
            return json.loads(body) if body else None, headers
        except ValueError:
            raise CommentError(f"{described} returned a body that is not JSON") from None

    def find_comment(self, pull_request: PullRequest) -> dict[str, Any] | None:
        """Return the first comment whose body starts with MARKER, reading at most MAX_PAGES pages."""
        url: str | None = (
            f"{self.api_url}/repos/{pull_request.repository}/issues/{pull_request.number}/comments"
            f"?per_page={PAGE_SIZE}"
        )
        for _ in range(MAX_PAGES):
            if url is None:
                return None
            comments, headers = self.request("GET", url)
            if not isinstance(comments, list):
                raise CommentError("GET comments returned something other than a list of comments")
            for comment in comments:
                # NOTE: a comment by any author matches when it starts with the marker.
                if isinstance(comment, dict) and str(comment.get("body") or "").startswith(MARKER):
                    return comment
            url = next_page(headers)
        raise CommentError(
            f"pull request #{pull_request.number} has more than {MAX_PAGES * PAGE_SIZE} comments; "
            "stopped looking for crongate's earlier comment"
        )

    def publish(self, pull_request: PullRequest, body: str) -> CommentResult:
        """Edit crongate's earlier comment on the pull request, or create one."""
        existing = self.find_comment(pull_request)
        if existing is not None:
            url = f"{self.api_url}/repos/{pull_request.repository}/issues/comments/{int(existing['id'])}"
            comment, _ = self.request("PATCH", url, {"body": body})
            action = "updated"
        else:
            url = f"{self.api_url}/repos/{pull_request.repository}/issues/{pull_request.number}/comments"
            comment, _ = self.request("POST", url, {"body": body})
            action = "created"

        if not isinstance(comment, dict) or "id" not in comment:
            raise CommentError(f"GitHub's reply to the {action} comment has no comment id")
        return CommentResult(action=action, comment_id=int(comment["id"]), url=str(comment.get("html_url", "")))


def next_page(headers: Mapping[str, str]) -> str | None:
    """Return the ``rel="next"`` URL of a ``Link`` header, or None on the last page."""
    link = next((value for name, value in headers.items() if name.lower() == "link"), "")
    for part in link.split(","):
        target, _, parameters = part.partition(";")
        if 'rel="next"' in parameters.replace(" ", ""):
            return target.strip().strip("<>")
    return None


def _api_message(error: urllib.error.HTTPError) -> str:
    """Return GitHub's error message from the response body, or the HTTP reason phrase."""
    try:
        document = json.loads(error.read() or b"null")
    except (ValueError, OSError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        return document["message"]
    return str(error.reason)


def _hint(message: str) -> str:
    if "HTTP 403" in message or "HTTP 404" in message:
        return (
            " Hint: give the workflow job `permissions: pull-requests: write` so that GITHUB_TOKEN "
            "may comment, or set comment: false."
        )
    if "HTTP 401" in message:
        return " Hint: the github-token input is not a valid token; leave it at its default, github.token."
    return ""


def main(environ: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    """Publish the comment and return the exit code: 0 when posted or skipped, 2 for an unreadable event."""
    environ = dict(os.environ if environ is None else environ)
    stdout = stdout or sys.stdout
    token = environ.get("CRONGATE_GITHUB_TOKEN", "").strip()

    def emit(line: str) -> None:
        # Redacted here as well as by the runner, which masks github.token only when it is one.
        if token:
            line = line.replace(token, "***")
        stdout.write(line + "\n")
        stdout.flush()

    try:
        pull_request = read_pull_request(environ)
    except SkipComment as reason:
        emit(f"::notice::{escape_data(str(reason))}")
        return EXIT_OK
    except ValueError as error:
        emit(f"::error::{escape_data(str(error))}")
        return EXIT_USAGE

    if not token:
        emit("::notice::no GitHub token was given (github-token input), so no pull request comment was posted")
        return EXIT_OK

    summary_path = environ.get("CRONGATE_SUMMARY_PATH", "")
    try:
        with open(summary_path, encoding="utf-8") as stream:
            summary = stream.read()
    except OSError:
        emit(f"::notice::crongate wrote no summary at {escape_data(summary_path or '(not set)')}, "
             "so no pull request comment was posted")
        return EXIT_OK

    api_url = environ.get("GITHUB_API_URL", "").strip()
    if not api_url:
        emit("::notice::GITHUB_API_URL is not set, so no pull request comment was posted")
        return EXIT_OK

    client = GitHubClient(api_url, token)
    try:
        result = client.publish(pull_request, build_body(summary))
    except CommentError as error:
        message = str(error)
        emit(f"::warning::could not post crongate's pull request comment: {escape_data(message + _hint(message))}")
        return EXIT_OK

    emit(f"crongate {result.action} comment {result.comment_id} on pull request #{pull_request.number} {result.url}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
