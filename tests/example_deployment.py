"""The example app's registry as a live fake deployment.

The fake gets the snapshot's rows, with every time moved forward as if the snapshot were
taken now. Its migrations insert the rows that crongate's own reader finds in the example's
``systemJobs.ts``, so the fake cannot drift from the app it represents.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cli_runner import EXAMPLE
from crongate.check import build_manifest
from crongate.config import load_config
from fake_convex import FakeDeployment

SNAPSHOT_ROWS = EXAMPLE / "snapshot" / "systemJobs.jsonl"
SNAPSHOT_TIME_MS = 1796307600000  # from the snapshot's file name (Unix nanoseconds / 10**6)
TIME_FIELDS = ("_creationTime", "createdAt", "updatedAt", "lastRunAt")


def example_rows() -> list[dict[str, Any]]:
    """Return the snapshot's rows with their times moved so that the snapshot was taken now."""
    shift = time.time() * 1000 - SNAPSHOT_TIME_MS
    rows = []
    for line in SNAPSHOT_ROWS.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        for name in TIME_FIELDS:
            if isinstance(row.get(name), (int, float)):
                row[name] = row[name] + shift
        rows.append(row)
    return rows


def example_migrations() -> dict[str, dict[str, Any]]:
    """Return the rows that the example's add<Name>Job migrations insert, keyed by function name."""
    manifest = build_manifest(EXAMPLE, load_config(EXAMPLE / "crongate.yml"))
    templates = {}
    for migration in manifest.migrations:
        name = migration.function.split(":", 1)[1]
        templates[name] = {key: value for key, value in migration.values.items() if key not in ("createdAt", "updatedAt")}
    return templates


def example_deployment(**options: Any) -> FakeDeployment:
    """Return an unstarted fake with the example's drifted registry and its functions, internal as in the app."""
    return FakeDeployment.with_system_jobs(example_rows(), example_migrations(), internal=True, **options)
