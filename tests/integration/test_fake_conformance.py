"""The fake deployment against Convex's own client: what the official npm package sends
and accepts must work against the fake, or the fake is not a faithful stand-in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fake_convex import FakeDeployment, Int64

pytestmark = pytest.mark.npm

NPM_DIR = Path(__file__).resolve().parent.parent / "npm"
NODE = shutil.which("node")

requires_node = pytest.mark.skipif(
    NODE is None or not (NPM_DIR / "node_modules" / "convex").is_dir(),
    reason="needs node and tests/npm/node_modules: run `npm ci --no-audit --no-fund` in tests/npm",
)

ROWS = [
    {
        "jobKey": "traffic-sync",
        "name": "Traffic sync",
        "interval": {"type": "minutes", "value": 5},
        "enabled": True,
        "totalRuns": Int64(12),
    }
]
MIGRATIONS = {"addXJob": {"jobKey": "x-job", "name": "X", "enabled": True}}


def node_environment(fake: FakeDeployment) -> dict[str, str]:
    """Return an environment that keeps the Convex CLI on loopback.

    CI=true and a loopback CONVEX_PROVISION_HOST turn off the CLI's Sentry reporting
    (convex 1.48.0 starts it only outside CI with the production provision host), and
    the version API is pointed at the fake, so any stray request lands there and is seen.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONVEX_")}
    environment.update(
        CI="true",
        CONVEX_PROVISION_HOST=fake.url,
        CONVEX_VERSION_API_ORIGIN=fake.url,
        CONVEX_SELF_HOSTED_URL=fake.url,
        CONVEX_SELF_HOSTED_ADMIN_KEY=fake.admin_key,
        NO_COLOR="1",
    )
    return environment


def run_node(fake: FakeDeployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE or "node", *args],
        cwd=NPM_DIR,
        env=node_environment(fake),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@requires_node
def test_http_client_conformance() -> None:
    with FakeDeployment.with_system_jobs(ROWS, MIGRATIONS, internal=True) as fake:
        result = run_node(fake, "conformance.mjs", fake.url, fake.admin_key, "systemJobs:addXJob")
        assert result.returncode == 0, result.stderr
        output = json.loads(result.stdout.strip().splitlines()[-1])

        # What the client decoded from the fake's encoded JSON.
        assert len(output["rows"]) == 1
        row = output["rows"][0]
        assert row["jobKey"] == "traffic-sync"
        assert row["totalRuns"] == {"$bigint": "12"}
        assert row["interval"] == {"type": "minutes", "value": 5}
        assert isinstance(row["_creationTime"], float)
        assert row["_id"].startswith("k")
        assert output["insertedId"] == output["again"]
        assert [r["jobKey"] for r in fake.rows("systemJobs")] == ["traffic-sync", "x-job"]

        # What the client sent.
        assert [r.path for r in fake.requests] == ["/api/query", "/api/mutation", "/api/mutation"]
        query = fake.requests[0]
        assert query.json == {"path": "systemJobs:listAll", "format": "convex_encoded_json", "args": [{}]}
        assert query.headers["authorization"] == f"Convex {fake.admin_key}"
        assert query.headers["convex-client"] == "npm-1.48.0"
        assert fake.requests[1].json["path"] == "systemJobs:addXJob"
        assert fake.requests[1].json["args"] == [{}]


@requires_node
def test_cli_run_conformance() -> None:
    with FakeDeployment.with_system_jobs(ROWS, MIGRATIONS, internal=True) as fake:
        result = run_node(fake, "node_modules/convex/bin/main.js", "run", "systemJobs:listAll")
        assert result.returncode == 0, result.stderr
        assert "traffic-sync" in result.stdout

        # The CLI reaches the deployment only through /api/function, with the args unwrapped.
        assert [r.path for r in fake.requests] == ["/api/function"]
        call = fake.requests[0]
        assert call.json == {"path": "systemJobs:listAll", "format": "convex_encoded_json", "args": {}}
        assert call.headers["authorization"] == f"Convex {fake.admin_key}"
        assert call.headers["convex-client"] == "npm-1.48.0"
