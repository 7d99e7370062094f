"""`crongate check` against a live fake deployment over HTTP, run as a subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from cli_runner import EXAMPLE, crongate_env, run_crongate
from example_deployment import example_deployment
from fake_convex import FakeDeployment

ADMIN_KEY = "prod:happy-animal-123|QURNSU4tS0VZLWZvci10ZXN0cy0xMjM0NQ"
WRONG_KEY = "prod:happy-animal-123|V1JPTkctS0VZLWZvci10ZXN0cy05ODc2"


@pytest.fixture
def deployment() -> Iterator[FakeDeployment]:
    with example_deployment(admin_key=ADMIN_KEY) as fake:
        yield fake


def findings_of(stdout: str) -> set[tuple[str, str, bool]]:
    report = json.loads(stdout)
    return {(f["rule"], f["job"], f["pending"]) for f in report["findings"]}


def test_live_findings_match_snapshot(deployment: FakeDeployment) -> None:
    live = run_crongate("check", EXAMPLE, "--url", deployment.url, "--format", "json", CONVEX_DEPLOY_KEY=ADMIN_KEY)
    offline = run_crongate("check", EXAMPLE, "--format", "json")
    assert live.returncode == 1, live.stderr
    assert offline.returncode == 1, offline.stderr
    assert findings_of(live.stdout) == findings_of(offline.stdout)
    assert json.loads(live.stdout)["registry"]["source"] == deployment.url


def test_live_read_uses_query_endpoint(deployment: FakeDeployment) -> None:
    run_crongate("check", EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=ADMIN_KEY)
    calls = [request for request in deployment.requests if request.path.startswith("/api/")]
    assert [request.path for request in calls] == ["/api/query"]
    body = json.loads(calls[0].body)
    assert body == {"path": "systemJobs:listAll", "args": {}, "format": "json"}
    assert calls[0].headers["convex-client"].startswith("crongate-")
    assert calls[0].headers["authorization"] == f"Convex {ADMIN_KEY}"


def test_url_from_environment(deployment: FakeDeployment) -> None:
    process = run_crongate("check", EXAMPLE, "--format", "json", "--config", EXAMPLE / "crongate.yml",
                           "--list-function", "systemJobs:listAll",
                           CONVEX_DEPLOY_KEY=ADMIN_KEY, CONVEX_SELF_HOSTED_URL=deployment.url)
    # The example's crongate.yml names a snapshot, and a committed config beats the environment.
    assert json.loads(process.stdout)["registry"]["source"].endswith(".zip")


def test_wrong_key_exits_3_without_key(deployment: FakeDeployment) -> None:
    process = run_crongate("check", EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=WRONG_KEY)
    assert process.returncode == 3
    assert deployment.url in process.stderr
    assert "rejected" in process.stderr
    output = process.stdout + process.stderr
    assert WRONG_KEY not in output
    assert WRONG_KEY.split("|", 1)[1] not in output
    assert "Traceback" not in output


def test_wrong_key_verbose_keeps_key_out(deployment: FakeDeployment) -> None:
    process = run_crongate("-vv", "check", EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=WRONG_KEY)
    assert process.returncode == 3
    assert WRONG_KEY.split("|", 1)[1] not in process.stdout + process.stderr


def test_unreachable_deployment_exits_3() -> None:
    with FakeDeployment() as fake:
        url = fake.url
    process = run_crongate("check", EXAMPLE, "--url", url, "--timeout", "2", CONVEX_DEPLOY_KEY=ADMIN_KEY)
    assert process.returncode == 3
    assert url in process.stderr
    assert "Traceback" not in process.stderr


def test_unknown_list_function_names_it(deployment: FakeDeployment) -> None:
    process = run_crongate("check", EXAMPLE, "--url", deployment.url, "--list-function", "jobs:everything",
                           CONVEX_DEPLOY_KEY=ADMIN_KEY)
    assert process.returncode == 3
    assert "jobs:everything" in process.stderr
    assert "list_function" in process.stderr


def test_key_with_trailing_newline_works(deployment: FakeDeployment) -> None:
    process = run_crongate("check", EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=ADMIN_KEY + "\r\n")
    assert process.returncode == 1, process.stderr


def test_key_with_control_character_rejected(deployment: FakeDeployment) -> None:
    key = ADMIN_KEY[:20] + "\x07" + ADMIN_KEY[20:]
    process = run_crongate("check", EXAMPLE, "--url", deployment.url, CONVEX_DEPLOY_KEY=key)
    assert process.returncode == 2
    assert "CONVEX_DEPLOY_KEY" in process.stderr
    assert ADMIN_KEY.split("|", 1)[1][:8] not in process.stderr
    assert deployment.requests == []


@pytest.mark.parametrize("flag", ["--url", "--snapshot"])
def test_empty_target_flag_rejected(flag: str) -> None:
    process = run_crongate("check", EXAMPLE, flag, "")
    assert process.returncode == 2
    assert f"{flag} is empty" in process.stderr


def test_interrupt_exits_130(deployment: FakeDeployment) -> None:
    deployment.inject("systemJobs:listAll", "hang", times=1)
    process = subprocess.Popen(
        [sys.executable, "-m", "crongate", "check", str(EXAMPLE), "--url", deployment.url, "--timeout", "30"],
        env=crongate_env(CONVEX_DEPLOY_KEY=ADMIN_KEY), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 20
    while not deployment.requests_to("systemJobs:listAll") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
