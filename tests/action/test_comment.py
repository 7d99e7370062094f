"""Tests for action/comment.py, the action's pull request comment, against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMENT_SCRIPT = REPO_ROOT / "action" / "comment.py"

REPOSITORY = "acme/jobs-app"
NUMBER = 42

# A canary in the shape of a GitHub Actions token: it must never appear in any output.
TOKEN = "ghs_CANARYdG9rZW4tY2FuYXJ5LTEyMzQ1Njc4OTA"

SUMMARY = "## crongate\n\n❌ **2 errors, 1 warning — gate failed (--fail-on error)**\n"


def load_comment_module():
    spec = importlib.util.spec_from_file_location("crongate_action_comment", COMMENT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


comment = load_comment_module()


def pull_request_event(head: str | None = REPOSITORY, base: str = REPOSITORY, number: int = NUMBER) -> dict:
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": "feature", "repo": None if head is None else {"full_name": head}},
            "base": {"ref": "main", "repo": {"full_name": base}},
        },
    }


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(TOKEN) as fake:
        yield fake


def step_env(tmp_path: Path, github: FakeGitHub | None, *, event: dict | None = None, summary: str | None = SUMMARY,
             **overrides: str) -> dict[str, str]:
    """Return the environment of the action's comment step on a pull_request event."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event or pull_request_event()))
    summary_path = tmp_path / "crongate-summary.md"
    if summary is not None:
        summary_path.write_text(summary, encoding="utf-8")

    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": github.url if github else "",
        "CRONGATE_GITHUB_TOKEN": TOKEN,
        "CRONGATE_SUMMARY_PATH": str(summary_path),
    }
    env.update(overrides)
    return env


def run_step(env: dict[str, str]) -> tuple[int, str]:
    stdout = io.StringIO()
    exit_code = comment.main(env, stdout=stdout)
    return exit_code, stdout.getvalue()


# Creating and updating


def test_import_has_no_side_effects(capsys):
    load_comment_module()

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_creates_comment(tmp_path, github):
    exit_code, output = run_step(step_env(tmp_path, github))

    (posted,) = github.comments_on(REPOSITORY, NUMBER)
    assert exit_code == 0
    assert posted["body"] == f"{comment.MARKER}\n{SUMMARY}"
    assert f"created comment {posted['id']}" in output
    assert [request.method for request in github.requests] == ["GET", "POST"]


def test_sends_github_headers(tmp_path, github):
    run_step(step_env(tmp_path, github))

    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"


def test_lists_with_max_page_size(tmp_path, github):
    run_step(step_env(tmp_path, github))

    (listing,) = github.requests_by("GET")
    assert listing.path == f"/repos/{REPOSITORY}/issues/{NUMBER}/comments"
    assert listing.query == {"per_page": "100"}


def test_second_run_updates_in_place(tmp_path, github):
    run_step(step_env(tmp_path, github))
    first_id = github.comments_on(REPOSITORY, NUMBER)[0]["id"]

    exit_code, output = run_step(step_env(tmp_path, github, summary="## crongate\n\n✅ **in sync**\n"))

    comments = github.comments_on(REPOSITORY, NUMBER)
    (patch,) = github.requests_by("PATCH")
    assert exit_code == 0
    assert len(comments) == 1
    assert comments[0]["id"] == first_id
    assert comments[0]["body"] == f"{comment.MARKER}\n## crongate\n\n✅ **in sync**\n"
    assert patch.path == f"/repos/{REPOSITORY}/issues/comments/{first_id}"
    assert f"updated comment {first_id}" in output


def test_other_comments_left_alone(tmp_path, github):
    github.add_comment(REPOSITORY, NUMBER, "LGTM")
    github.add_comment(REPOSITORY, NUMBER, f"quoting: {comment.MARKER}")

    run_step(step_env(tmp_path, github))

    bodies = [posted["body"] for posted in github.comments_on(REPOSITORY, NUMBER)]
    assert bodies[:2] == ["LGTM", f"quoting: {comment.MARKER}"]
    assert len(bodies) == 3


def test_finds_comment_on_third_page(tmp_path, github):
    for index in range(230):
        github.add_comment(REPOSITORY, NUMBER, f"comment {index}")
    ours = github.add_comment(REPOSITORY, NUMBER, f"{comment.MARKER}\nold report", login="github-actions[bot]")
    github.add_comment(REPOSITORY, NUMBER, "after")

    exit_code, _ = run_step(step_env(tmp_path, github))

    listings = github.requests_by("GET")
    assert exit_code == 0
    assert [request.query.get("page", "1") for request in listings] == ["1", "2", "3"]
    assert github.requests_by("POST") == []
    assert github.requests_by("PATCH")[0].path.endswith(f"/issues/comments/{ours['id']}")


def test_pages_stop_at_limit(tmp_path, github, monkeypatch):
    monkeypatch.setattr(comment, "MAX_PAGES", 2)
    for index in range(250):
        github.add_comment(REPOSITORY, NUMBER, f"comment {index}")

    exit_code, output = run_step(step_env(tmp_path, github))

    assert exit_code == 0
    assert len(github.requests_by("GET")) == 2
    assert github.requests_by("POST") == []
    assert "::warning::" in output
    assert "more than 200 comments" in output


def test_long_summary_cut(tmp_path, github):
    summary = "| row | " + "x" * 60 + " |\n"
    exit_code, _ = run_step(step_env(tmp_path, github, summary=summary * 2000))

    (posted,) = github.comments_on(REPOSITORY, NUMBER)
    assert exit_code == 0
    assert len(posted["body"]) <= comment.MAX_COMMENT_CHARACTERS
    assert "This comment was cut" in posted["body"]


# The comment body


def test_body_starts_with_marker():
    assert comment.build_body("text").startswith(comment.MARKER + "\n")


def test_body_within_limit_unchanged():
    summary = "a" * (comment.MAX_COMMENT_CHARACTERS - len(comment.MARKER) - 1)

    body = comment.build_body(summary)

    assert body == f"{comment.MARKER}\n{summary}"


def test_body_cut_at_line_end():
    body = comment.build_body("line\n" * 1000, limit=1000)

    kept, _, note = body.partition("\n\n> [!NOTE]")
    assert len(body) <= 1000
    assert kept.endswith("line")
    assert "GitHub's limit of 1,000 characters" in note


def test_body_limit_counts_characters():
    body = comment.build_body("✅" * 70_000)

    assert len(body) <= comment.MAX_COMMENT_CHARACTERS


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<https://api.example/x?page=2>; rel="next", <https://api.example/x?page=5>; rel="last"',
         "https://api.example/x?page=2"),
        ('<https://api.example/x?page=1>; rel="prev", <https://api.example/x?page=3>; rel="next"',
         "https://api.example/x?page=3"),
        ('<https://api.example/x?page=1>; rel="first"', None),
        ("", None),
    ],
)
def test_next_page(link, expected):
    assert comment.next_page({"Link": link}) == expected


# Skipped with a notice


def test_fork_skipped(tmp_path, github):
    env = step_env(tmp_path, github, event=pull_request_event(head="someone/jobs-app"))

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::notice::pull request #42 comes from the fork someone/jobs-app")
    assert github.requests == []


def test_deleted_fork_skipped(tmp_path, github):
    env = step_env(tmp_path, github, event=pull_request_event(head=None))

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert "from the fork (deleted)" in output
    assert github.requests == []


def test_other_event_skipped(tmp_path, github):
    env = step_env(tmp_path, github, GITHUB_EVENT_NAME="push")

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::notice::the event is push, not pull_request")
    assert github.requests == []


def test_missing_token_skipped(tmp_path, github):
    env = step_env(tmp_path, github, CRONGATE_GITHUB_TOKEN="")

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::notice::no GitHub token was given")
    assert github.requests == []


def test_missing_summary_skipped(tmp_path, github):
    env = step_env(tmp_path, github, summary=None)

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::notice::crongate wrote no summary")
    assert github.requests == []


def test_missing_api_url_skipped(tmp_path):
    env = step_env(tmp_path, None)

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::notice::GITHUB_API_URL is not set")


def test_unreadable_event_exits_2(tmp_path, github):
    env = step_env(tmp_path, github, GITHUB_EVENT_PATH=str(tmp_path / "missing.json"))

    exit_code, output = run_step(env)

    assert exit_code == 2
    assert output.startswith("::error::the event file")
    assert github.requests == []


# API errors


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (403, "Resource not accessible by integration",
         "POST /repos/acme/jobs-app/issues/42/comments failed: HTTP 403: Resource not accessible by integration"),
        (500, "Server Error", "POST /repos/acme/jobs-app/issues/42/comments failed: HTTP 500: Server Error"),
        (422, "Validation Failed", "HTTP 422: Validation Failed"),
    ],
)
def test_post_error_warns(tmp_path, github, status, message, expected):
    github.fail_next(status, {"message": message}, method="POST")

    exit_code, output = run_step(step_env(tmp_path, github))

    assert exit_code == 0
    assert output.startswith("::warning::could not post crongate's pull request comment: ")
    assert expected in output


def test_forbidden_hints_permissions(tmp_path, github):
    github.fail_next(403, {"message": "Resource not accessible by integration"}, method="GET")

    _, output = run_step(step_env(tmp_path, github))

    assert "permissions: pull-requests: write" in output


def test_bad_token_rejected(tmp_path, github):
    env = step_env(tmp_path, github, CRONGATE_GITHUB_TOKEN="ghs_wrong_token_value")

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert "HTTP 401: Bad credentials" in output
    assert "github-token input is not a valid token" in output
    assert github.comments_on(REPOSITORY, NUMBER) == []


def test_error_without_json_body(tmp_path, github):
    github.fail_next(502, None, method="GET")

    _, output = run_step(step_env(tmp_path, github))

    assert "GET /repos/acme/jobs-app/issues/42/comments failed: HTTP 502: Bad Gateway" in output


def test_redirect_not_followed(tmp_path, github):
    github.fail_next(301, None, method="GET", headers={"Location": f"{github.url}/repositories/1/issues/42/comments"})

    exit_code, output = run_step(step_env(tmp_path, github))

    assert exit_code == 0
    assert "HTTP 301" in output
    assert len(github.requests) == 1


def test_foreign_link_not_followed(tmp_path, github):
    github.fail_next(200, [], method="GET", headers={"Link": '<http://192.0.2.1/comments?page=2>; rel="next"'})

    exit_code, output = run_step(step_env(tmp_path, github))

    assert exit_code == 0
    assert "outside" in output
    assert github.requests_by("POST") == []


def test_unreachable_api_warns(tmp_path, github):
    env = step_env(tmp_path, github)
    # The fake's port on 127.0.0.1, where nothing listens once the fake has stopped.
    github.stop()

    exit_code, output = run_step(env)

    assert exit_code == 0
    assert output.startswith("::warning::could not post crongate's pull request comment: GET ")


def test_echoed_token_redacted(tmp_path, github):
    github.fail_next(403, {"message": f"token {TOKEN} lacks a scope"}, method="GET")

    _, output = run_step(step_env(tmp_path, github))

    assert TOKEN not in output
    assert "token *** lacks a scope" in output


# The token never reaches any output


def test_token_in_no_output(tmp_path, github):
    outputs = []
    outputs.append(run_step(step_env(tmp_path, github))[1])
    outputs.append(run_step(step_env(tmp_path, github))[1])
    github.fail_next(500, {"message": "Server Error"})
    outputs.append(run_step(step_env(tmp_path, github))[1])
    outputs.append(run_step(step_env(tmp_path, github, event=pull_request_event(head="fork/app")))[1])

    for output in outputs:
        assert TOKEN not in output
    for posted in github.all_comments():
        assert TOKEN not in posted["body"]


def test_script_runs_as_step(tmp_path, github):
    env = step_env(tmp_path, github)

    completed = subprocess.run([sys.executable, str(COMMENT_SCRIPT)], env=env, capture_output=True, text=True,
                               timeout=60, check=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == ""
    assert TOKEN not in completed.stdout
    assert len(github.comments_on(REPOSITORY, NUMBER)) == 1
