"""``migrate --apply`` killed midway leaves the registry consistent, and the next run converges.

Each iteration starts a fresh fake deployment with the example's drifted registry, delays
one call, and sends SIGKILL to crongate while that call is in flight. The fake then
finishes the call as a deployment would (a mutation commits although its client is gone).
The registry must then hold no duplicate and have lost no row, and a second
``migrate --apply`` must exit 0 with every declared job in place exactly once.

The kill lands in turn during the first registry read (before any write), during the
migration that inserts a row, and during the enable mutation, and the call in flight is
either completed or dropped by the server.
"""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from example_deployment import example_migrations, example_rows
from fake_convex import FakeDeployment

KEY = "prod:interrupt-deployment|SU5URVJSVVBUa2V5LWNhbmFyeS0xMjM0NTY="
ITERATIONS = 10
DELAY_SECONDS = 0.8
WAIT_SECONDS = 30

DECLARED_KEYS = ("ai-proxy-orchestrator", "device-screenshot-capture", "traffic-sync", "proxy-session-renewal",
                 "daily-report")

# Where the kill lands: the function whose call is in flight at that moment, and what the
# fake then does with the call. "delay" runs it after the wait, so a mutation commits after
# its client died; "hang" drops it, so the mutation never runs.
KILL_POINTS = (
    ("systemJobs:listAll", "delay"),
    ("systemJobs:addProxySessionRenewalJob", "delay"),
    ("systemJobs:enable", "delay"),
    ("systemJobs:addProxySessionRenewalJob", "hang"),
    ("systemJobs:enable", "hang"),
)


@functools.lru_cache(maxsize=1)
def _example_functions() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    return example_rows(), example_migrations()


def _deployment() -> FakeDeployment:
    rows, migrations = _example_functions()
    return FakeDeployment.with_system_jobs(rows, migrations, internal=True, admin_key=KEY)


def _run_apply(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crongate", "migrate", str(EXAMPLE), "--apply", "--url", url],
        cwd=REPO, env=crongate_env(CONVEX_DEPLOY_KEY=KEY), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )


def _wait_for_request(fake: FakeDeployment, function: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not fake.requests_to(function):
        if process.poll() is not None:
            pytest.fail(f"crongate ended before calling {function}: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"crongate did not call {function} within {WAIT_SECONDS} s")
        time.sleep(0.01)


def _keys(fake: FakeDeployment) -> Counter[str]:
    return Counter(row["jobKey"] for row in fake.rows("systemJobs"))


def _interrupt_and_converge(kill_point: str, fault: str) -> None:
    with _deployment() as fake:
        original_ids = {row["_id"] for row in fake.rows("systemJobs")}
        fake.inject(kill_point, fault, seconds=DELAY_SECONDS)

        process = _run_apply(fake.url)
        _wait_for_request(fake, kill_point, process)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=WAIT_SECONDS)
        assert process.returncode == -signal.SIGKILL

        # Let the server finish or drop the call, as it would for a client that died.
        time.sleep(DELAY_SECONDS + 0.3)
        interrupted = _keys(fake)
        assert max(interrupted.values()) == 1, interrupted
        assert original_ids <= {row["_id"] for row in fake.rows("systemJobs")}

        second = _run_apply(fake.url)
        stdout, stderr = second.communicate(timeout=120)
        assert second.returncode == 0, stdout + stderr

        rows = fake.rows("systemJobs")
        keys = _keys(fake)
        for key in DECLARED_KEYS:
            assert keys[key] == 1, (key, keys)
        assert max(keys.values()) == 1
        assert original_ids <= {row["_id"] for row in rows}
        assert len(rows) == len(original_ids) + 1
        enabled = {row["jobKey"]: row.get("enabled") for row in rows}
        assert enabled["device-screenshot-capture"] is True
        # The orphaned row stays: deleting needs --prune.
        assert keys["legacy-metrics-rollup"] == 1


@pytest.mark.parametrize("iteration", range(ITERATIONS))
def test_interrupted_apply_converges(iteration: int) -> None:
    _interrupt_and_converge(*KILL_POINTS[iteration % len(KILL_POINTS)])
