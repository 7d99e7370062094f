"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The fake deployment lives beside the tests, not in the package.
sys.path.insert(0, str(Path(__file__).parent))

from fake_convex import FakeDeployment  # noqa: E402


@pytest.fixture
def fake_convex() -> Iterator[FakeDeployment]:
    """A started fake Convex deployment with the example app's systemJobs functions and no rows.

    Insert rows with ``fake_convex.insert("systemJobs", {...})``, or build your own with
    ``FakeDeployment.with_system_jobs(rows, migrations)`` used as a context manager.
    """
    with FakeDeployment.with_system_jobs([]) as fake:
        yield fake
