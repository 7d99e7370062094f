"""A smoke run of the benchmarks: ``bench/run.py --quick`` with tiny sizes.

It checks that the harness runs to the end and prints every benchmark's row, so that it
cannot rot between full runs. It asserts no timings: those depend on the machine, and the
quick sizes are too small to judge the targets.
"""

from __future__ import annotations

import subprocess
import sys

from cli_runner import REPO, crongate_env

ROW_LABELS = (
    "cold start: python -c pass",
    "cold start: crongate --version",
    "cold start: static check of the example",
    "cold start: import click, yaml, tree_sitter only",
    "cold start: static check imports httpx",
    "reader: crons.ts, 10 registrations",
    "reader: crons.ts, 30 registrations",
    "reader: crons.ts, 100 registrations",
    "reader scaling: largest vs smallest per registration",
    "registry read: 500 rows, paginated",
    "registry read: 2,000 rows, paginated",
    "migrate: by-hand loop, 10 x npx convex run",
    "migrate: crongate migrate --apply, 10 jobs",
    "migrate: crongate vs round-trip bound",
    "migrate: crongate's requests only vs round-trip bound",
    "migrate: static check of the same 10-job app",
)


def test_quick_run_prints_every_row() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick"],
        cwd=REPO, env=crongate_env(), capture_output=True, text=True, timeout=180,
        stdin=subprocess.DEVNULL, check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for label in ROW_LABELS:
        assert any(line.startswith(f"| {label} ") for line in table), f"no row for {label!r}:\n{done.stdout}"
    assert len(table) == len(ROW_LABELS) + 2  # the header and its separator
    assert "CPU:" in done.stdout
    assert "Python:" in done.stdout
