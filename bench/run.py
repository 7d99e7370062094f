"""crongate's benchmarks: cold start, reader scaling, registry reads and migrate.

Run from the repository root:

    .venv/bin/python bench/run.py            # the full run that docs/benchmarks.md records
    .venv/bin/python bench/run.py --quick    # tiny sizes, to check that the harness works

Every figure is printed beside the baseline it is compared with, both measured in the same
run, with the machine described. Each benchmark states its target and prints PASS or FAIL.
A full run exits 1 when a target fails. A quick run always exits 0, because its sizes are
too small to judge the targets.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests"), str(REPO / "bench")]

from cases import (  # noqa: E402 - the paths above make these importable
    bench_cold_start,
    bench_migrate,
    bench_reader_scaling,
    bench_registry_reads,
)


@dataclass(frozen=True)
class Settings:
    """Sizes and repetitions of one run. Every figure is the median of its repetitions."""

    quick: bool
    cold_start_runs: int
    reader_sizes: tuple[int, ...]
    reader_runs: int
    registry_sizes: tuple[int, ...]
    registry_runs: int
    migrate_jobs: int
    migrate_latency: float  # seconds the fake deployment adds to every request
    migrate_concurrency: int
    migrate_runs: int
    baseline_sample: int  # `npx convex run` processes timed; the rest are extrapolated


FULL = Settings(
    quick=False, cold_start_runs=21, reader_sizes=(100, 1_000, 10_000), reader_runs=5,
    registry_sizes=(10_000, 50_000), registry_runs=3, migrate_jobs=200, migrate_latency=0.020,
    migrate_concurrency=4, migrate_runs=3, baseline_sample=20,
)

QUICK = Settings(
    quick=True, cold_start_runs=3, reader_sizes=(10, 30, 100), reader_runs=1,
    registry_sizes=(500, 2_000), registry_runs=1, migrate_jobs=10, migrate_latency=0.020,
    migrate_concurrency=4, migrate_runs=1, baseline_sample=1,
)


BENCHMARKS = {
    "cold-start": bench_cold_start,
    "reader": bench_reader_scaling,
    "registry": bench_registry_reads,
    "migrate": bench_migrate,
}


def describe_machine() -> list[tuple[str, str]]:
    """Return the facts that a reader needs to compare these figures with their own."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    node = _tool_version(["node", "--version"])
    return [
        ("CPU", cpu),
        ("cores", f"{usable} usable of {os.cpu_count()}"),
        ("memory", memory),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OS", platform.platform()),
        ("Node.js", node or "not found"),
        ("load average at start", " ".join(f"{value:.2f}" for value in os.getloadavg())),
    ]


def _tool_version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def print_table(rows: list) -> None:
    """Print the results as a Markdown table, readable in a terminal and pasteable into docs."""
    header = ("benchmark", "figure", "compared with", "ratio", "target", "result")
    lines = [header, tuple("---" for _ in header)]
    lines += [(row.name, row.figure, row.baseline, row.ratio, row.target, row.verdict) for row in rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    for line in lines:
        if line[0] == "---":
            cells = ["-" * width for width in widths]
        else:
            cells = [cell.ljust(width) for cell, width in zip(line, widths)]
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run crongate's benchmarks and print a table of results.")
    parser.add_argument("--quick", action="store_true",
                        help="Tiny sizes and one repetition each: checks the harness, judges nothing.")
    parser.add_argument("--baseline-sample", type=int, metavar="N",
                        help="`npx convex run` processes to time for the by-hand baseline (full run: 20).")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="Run only this benchmark (repeatable). Default: all of them.")
    options = parser.parse_args(argv)

    settings = QUICK if options.quick else FULL
    if options.baseline_sample is not None:
        settings = Settings(**{**settings.__dict__, "baseline_sample": max(1, options.baseline_sample)})

    started = time.monotonic()
    print(f"crongate benchmarks, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"command: {Path(sys.executable).relative_to(REPO) if sys.executable.startswith(str(REPO)) else sys.executable}"
          f" bench/run.py{' --quick' if settings.quick else ''}")
    for name, value in describe_machine():
        print(f"  {name}: {value}")
    print()

    rows = []
    for name, bench in BENCHMARKS.items():
        if options.only and name not in options.only:
            continue
        print(f"running {bench.__name__} ...", file=sys.stderr, flush=True)
        section = bench(settings)
        rows += section.rows
        for note in section.notes:
            print(f"note: {note}")
    print()
    print_table(rows)
    print()
    print(f"load average at end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"finished in {time.monotonic() - started:.0f} s")

    failed = [row.name for row in rows if row.verdict == "FAIL"]
    if settings.quick:
        print("quick run: sizes too small to judge the targets; the verdicts are shown only to exercise the code")
        return 0
    if failed:
        print(f"{len(failed)} targets failed: {', '.join(failed)}")
        return 1
    print("every target passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
