"""The benchmarks that ``bench/run.py`` runs, one function each, with their targets.

Each function takes the run's settings and returns a ``Section``: rows for the results
table (figure, what it is compared with, the ratio, the target, PASS or FAIL) and notes
that explain how a figure was obtained. Baselines are measured in the same run, interleaved
with what they are compared with where that is cheap, so that load on the machine moves
both alike.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate import crons_source, migration_name, migration_template, registry_row, write_migrate_project

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "convex-app"
NPM_DIR = REPO / "tests" / "npm"

PASS = "PASS"
FAIL = "FAIL"
INFO = "info"
SKIP = "SKIP"

# Targets. A figure meets its target when it is at or under (or, for speed-ups, at or
# over) the number.
VERSION_MAX_RATIO = 3.0
STATIC_CHECK_MAX_RATIO = 5.0
READER_MAX_RATIO = 1.3
REGISTRY_MAX_RSS_MB = 300.0
MIGRATE_MIN_SPEEDUP = 20.0
MIGRATE_MAX_BOUND_RATIO = 1.5

# Modules that a static check has no use for: the HTTP client and the JUnit XML writer.
UNNEEDED_FOR_STATIC_CHECK = ("httpx", "junit_xml", "xml.dom.minidom")

# Environment variables that would point a child process at a real deployment or CI.
_SCRUBBED_PREFIXES = ("CONVEX_", "GITHUB_")


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    name: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = INFO


@dataclass
class Section:
    """The rows and notes of one benchmark."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Timing:
    """The cost of one child process: wall-clock seconds and CPU seconds (user + system)."""

    wall: float
    cpu: float


def verdict(passed: bool) -> str:
    return PASS if passed else FAIL


def child_env(**overrides: str) -> dict[str, str]:
    """Return the environment for a crongate child: this tree's sources, no deployment settings.

    PYTHONDONTWRITEBYTECODE is removed so that the warm-up run caches bytecode, as a
    ``pip install`` does, and the timed runs measure a start with cached bytecode.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = str(REPO / "src")
    env.update(overrides)
    return env


def crongate_command() -> list[str]:
    """Return how a user starts crongate: the installed console script, else ``python -m crongate``."""
    script = Path(sys.executable).parent / "crongate"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "crongate"]


def run_child(command: Sequence[str], env: dict[str, str], *, cwd: Path = REPO,
              timeout: float = 300) -> tuple[Timing, subprocess.CompletedProcess[str]]:
    """Run a command to completion and return its wall-clock and CPU time with its result.

    CPU time comes from the children's rusage before and after, so it counts only this
    child: the benchmarks start one child at a time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu), done


def _expect(done: subprocess.CompletedProcess[str], codes: Sequence[int], description: str) -> None:
    """Raise RuntimeError with the command's stderr when it exited with a code not in ``codes``."""
    if done.returncode not in codes:
        raise RuntimeError(f"{description} exited {done.returncode}, expected {' or '.join(map(str, codes))}:\n"
                           f"{done.stderr[-2000:]}")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _ratio(value: float) -> str:
    return f"{value:.2f}x"


# -- cold start ---------------------------------------------------------------------------


def bench_cold_start(settings: Any) -> Section:
    """Time ``crongate --version`` and a static check of the example against ``python -c pass``.

    Targets: --version within 3x of ``python -c pass``, and a static check within 5x, both
    in CPU time (user + system), medians of interleaved runs. CPU time is judged rather than
    wall-clock time because the machine may be shared: a process that waits for a core
    adds wall-clock time but no CPU time. Wall-clock medians are printed beside them.
    """
    env = child_env()
    crongate = crongate_command()
    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "crongate --version": [*crongate, "--version"],
        "crongate check (static)": [*crongate, "check", str(EXAMPLE), "--offline"],
        "import click, yaml, tree_sitter": [
            sys.executable, "-c", "import click, yaml, tree_sitter, tree_sitter_typescript"],
    }
    # The example's drift shows only against a registry, so a static check exits 0. A static
    # finding (exit 1) would still be a complete run, so both codes are accepted.
    expected_codes = {"crongate check (static)": (0, 1)}

    # Warm-up: caches bytecode for the timed runs.
    for name, command in commands.items():
        _, done = run_child(command, env)
        _expect(done, expected_codes.get(name, (0,)), name)

    timings: dict[str, list[Timing]] = {name: [] for name in commands}
    for _ in range(settings.cold_start_runs):
        for name, command in commands.items():
            timing, done = run_child(command, env)
            _expect(done, expected_codes.get(name, (0,)), name)
            timings[name].append(timing)

    cpu = {name: statistics.median(t.cpu for t in runs) for name, runs in timings.items()}
    wall = {name: statistics.median(t.wall for t in runs) for name, runs in timings.items()}
    base = cpu["python -c pass"]

    def figure(name: str) -> str:
        return f"{_ms(cpu[name])} CPU ({_ms(wall[name])} wall)"

    section = Section()
    section.rows.append(Row("cold start: python -c pass", figure("python -c pass"), verdict=INFO))
    version_ratio = cpu["crongate --version"] / base
    section.rows.append(Row("cold start: crongate --version", figure("crongate --version"), "python -c pass",
                            _ratio(version_ratio), f"<= {VERSION_MAX_RATIO:g}x",
                            verdict(version_ratio <= VERSION_MAX_RATIO)))
    check_ratio = cpu["crongate check (static)"] / base
    section.rows.append(Row("cold start: static check of the example", figure("crongate check (static)"),
                            "python -c pass", _ratio(check_ratio), f"<= {STATIC_CHECK_MAX_RATIO:g}x",
                            verdict(check_ratio <= STATIC_CHECK_MAX_RATIO)))
    floor_ratio = cpu["import click, yaml, tree_sitter"] / base
    section.rows.append(Row("cold start: import click, yaml, tree_sitter only", figure("import click, yaml, tree_sitter"),
                            "python -c pass", _ratio(floor_ratio), "", INFO))

    imported = _imported_modules([*_importtime_command(crongate), "check", str(EXAMPLE), "--offline"], env)
    unneeded = [name for name in UNNEEDED_FOR_STATIC_CHECK if name in imported]
    section.rows.append(Row("cold start: static check imports httpx", "yes" if "httpx" in imported else "no",
                            target="not imported", verdict=verdict("httpx" not in imported)))

    section.notes.append(
        f"cold start: {' '.join(Path(part).name if part == crongate[0] else part for part in crongate)} "
        f"(the console script if installed), median of {settings.cold_start_runs} interleaved runs, "
        "bytecode cached by a warm-up run, example at examples/convex-app with --offline")
    section.notes.append(
        "cold start: modules a static check does not need that it imported: "
        + (", ".join(unneeded) if unneeded else "none")
        + f"; {len(imported)} modules imported in all")
    return section


def _importtime_command(crongate: list[str]) -> list[str]:
    if crongate[0] == sys.executable:
        return [sys.executable, "-X", "importtime", *crongate[1:]]
    return [sys.executable, "-X", "importtime", crongate[0]]


def _imported_modules(command: list[str], env: dict[str, str]) -> set[str]:
    """Return the modules that a command imports, from ``python -X importtime`` output."""
    _, done = run_child(command, env)
    _expect(done, (0, 1), " ".join(command))
    modules = set()
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", line)
        if match:
            modules.add(match.group(1))
    return modules


# -- reader scaling -------------------------------------------------------------------------


def bench_reader_scaling(settings: Any) -> Section:
    """Read generated crons.ts files of growing size in this process; CPU time per registration.

    Target: the largest file's time per registration within 1.3x of the smallest's.
    """
    from crongate.manifest.crons import read_crons_file

    section = Section()
    with tempfile.TemporaryDirectory(prefix="crongate-bench-") as folder:
        paths: dict[int, Path] = {}
        for size in settings.reader_sizes:
            path = Path(folder) / f"app-{size}" / "convex" / "crons.ts"
            path.parent.mkdir(parents=True)
            path.write_text(crons_source(size), encoding="utf-8")
            paths[size] = path

        # Warm-up: the first read loads the grammar and the reader's modules.
        read_crons_file(paths[settings.reader_sizes[0]], paths[settings.reader_sizes[0]].parent.parent)

        seconds: dict[int, list[float]] = {size: [] for size in settings.reader_sizes}
        for _ in range(settings.reader_runs):
            for size, path in paths.items():
                started = time.process_time()
                reading = read_crons_file(path, path.parent.parent)
                seconds[size].append(time.process_time() - started)
                if len(reading.jobs) != size or reading.findings:
                    raise RuntimeError(f"the reader found {len(reading.jobs)} jobs and {len(reading.findings)} "
                                       f"findings in a generated file of {size} clean registrations")
        sizes_bytes = {size: path.stat().st_size for size, path in paths.items()}

    per_registration = {size: statistics.median(runs) / size for size, runs in seconds.items()}
    smallest, largest = min(settings.reader_sizes), max(settings.reader_sizes)
    for size in settings.reader_sizes:
        section.rows.append(Row(
            f"reader: crons.ts, {size:,} registrations",
            f"{per_registration[size] * 1e6:.0f} us/registration ({statistics.median(seconds[size]):.2f} s CPU)",
            f"{smallest:,} registrations", _ratio(per_registration[size] / per_registration[smallest]),
        ))
    ratio = per_registration[largest] / per_registration[smallest]
    section.rows.append(Row("reader scaling: largest vs smallest per registration",
                            f"{per_registration[largest] * 1e6:.0f} us vs {per_registration[smallest] * 1e6:.0f} us",
                            f"{smallest:,} registrations", _ratio(ratio), f"<= {READER_MAX_RATIO:g}x",
                            verdict(ratio <= READER_MAX_RATIO)))
    section.notes.append(
        "reader: read_crons_file in this process, CPU time, median of "
        f"{settings.reader_runs} interleaved runs; files of "
        + ", ".join(f"{size:,} registrations ({sizes_bytes[size] / 1024:.0f} KiB)" for size in settings.reader_sizes)
        + ", cycling through interval, hourly, daily, weekly, monthly and cron schedules")
    return section


# -- registry reads -------------------------------------------------------------------------


def bench_registry_reads(settings: Any) -> Section:
    """Read N rows from the fake deployment, 1,000 a page, in a child process: time and peak memory.

    Target: the largest read's peak resident memory (ru_maxrss of the child) under 300 MB.
    """
    from fake_convex import FakeDeployment

    section = Section()
    env = child_env()
    now_ms = time.time() * 1000
    largest = max(settings.registry_sizes)
    for size in settings.registry_sizes:
        rows = [registry_row(index, now_ms) for index in range(size)]
        with FakeDeployment.with_system_jobs(rows, internal=True) as fake:
            del rows
            command = [sys.executable, str(REPO / "bench" / "read_registry.py"), fake.url]
            child_env_with_key = {**env, "CONVEX_DEPLOY_KEY": fake.admin_key}
            timed = [_read_registry(command, child_env_with_key, size) for _ in range(settings.registry_runs)]
            traced = _read_registry([*command, "--tracemalloc"], child_env_with_key, size)
            pages = len(fake.requests_to("systemJobs:listPage")) // (settings.registry_runs + 1)

        seconds = statistics.median(result["seconds"] for result in timed)
        cpu_seconds = statistics.median(result["cpu_seconds"] for result in timed)
        peak_mb = max(result["peak_rss_kb"] for result in timed + [traced]) / 1024
        maxrss_mb = max(result["ru_maxrss_kb"] for result in timed + [traced]) / 1024
        before_mb = statistics.median(result["peak_rss_before_kb"] for result in timed) / 1024
        traced_mb = traced["traced_peak_bytes"] / 1024 / 1024
        name = f"registry read: {size:,} rows, paginated"
        figure = (f"{seconds:.2f} s ({cpu_seconds:.2f} s CPU in crongate), peak RSS {peak_mb:.0f} MB, "
                  f"traced peak {traced_mb:.0f} MB")
        if size == largest:
            section.rows.append(Row(name, figure, f"RSS before the read {before_mb:.0f} MB", "",
                                    f"peak RSS < {REGISTRY_MAX_RSS_MB:g} MB",
                                    verdict(peak_mb < REGISTRY_MAX_RSS_MB)))
        else:
            section.rows.append(Row(name, figure, f"RSS before the read {before_mb:.0f} MB"))
        section.notes.append(f"registry read: {size:,} rows in {pages} requests to systemJobs:listPage; "
                             f"ru_maxrss {maxrss_mb:.0f} MB (it can carry over this benchmark process's own peak)")
    section.notes.append(
        f"registry read: bench/read_registry.py in a child process; time is the median of {settings.registry_runs} "
        "runs, peak RSS is the child's VmHWM (its whole life, imports included; ru_maxrss would carry over "
        "the parent's peak across fork and exec), and the traced peak is tracemalloc's peak during the read, "
        "from a separate run; the wall-clock time includes the fake deployment's work, the CPU time does not")
    return section


def _read_registry(command: list[str], env: dict[str, str], size: int) -> dict[str, Any]:
    _, done = run_child(command, env)
    _expect(done, (0,), "bench/read_registry.py")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rows"] != size:
        raise RuntimeError(f"bench/read_registry.py read {result['rows']} rows from a registry of {size}")
    return result


# -- migrate versus the by-hand loop --------------------------------------------------------


def bench_migrate(settings: Any) -> Section:
    """Create N missing rows: one `npx convex run` per job, then one `crongate migrate --apply`.

    The fake deployment adds the same latency to every request in both. Targets: crongate
    at least 20x faster than the by-hand loop, and within 1.5x of the round-trip bound
    (requests / concurrency x latency).
    """
    from fake_convex import FakeDeployment

    section = Section()
    jobs = settings.migrate_jobs
    latency = settings.migrate_latency
    migrations = {migration_name(index): migration_template(index) for index in range(jobs)}

    def deployment() -> Any:
        return FakeDeployment.with_system_jobs([], migrations, internal=True, latency=latency)

    baseline = _by_hand_loop(deployment, settings, section)

    with tempfile.TemporaryDirectory(prefix="crongate-bench-") as folder:
        project = write_migrate_project(Path(folder) / "app", jobs)
        command = [*crongate_command(), "migrate", str(project), "--apply",
                   "--concurrency", str(settings.migrate_concurrency)]
        env = child_env()
        runs: list[tuple[float, int, float]] = []
        static_walls: list[float] = []
        for _ in range(settings.migrate_runs):
            # The part of migrate that sends no request: start-up and reading the app's code.
            static_timing, done = run_child([*crongate_command(), "check", str(project), "--offline"], env)
            _expect(done, (0,), "crongate check --offline of the migrate app")
            static_walls.append(static_timing.wall)

            with deployment() as fake:
                timing, done = run_child([*command, "--url", fake.url], {**env, "CONVEX_DEPLOY_KEY": fake.admin_key})
                _expect(done, (0,), "crongate migrate --apply")
                created = len(fake.rows("systemJobs"))
                if created != jobs:
                    raise RuntimeError(f"crongate migrate --apply left {created} rows, expected {jobs}")
                received = [request.received_at for request in fake.requests]
                # From the first request to the last one's reply: the time spent talking to
                # the deployment, without start-up and reading the app's code.
                span = max(received) - min(received) + latency
                runs.append((timing.wall, len(received), span))

    seconds = statistics.median(wall for wall, _, _ in runs)
    requests = max(count for _, count, _ in runs)
    span = statistics.median(span for _, _, span in runs)
    bound = requests / settings.migrate_concurrency * latency

    if baseline is None:
        section.rows.append(Row(f"migrate: by-hand loop, {jobs} x npx convex run", "skipped: needs node and "
                                "tests/npm/node_modules", verdict=SKIP))
        section.rows.append(Row(f"migrate: crongate migrate --apply, {jobs} jobs", f"{seconds:.2f} s",
                                "by-hand loop", "", f">= {MIGRATE_MIN_SPEEDUP:g}x faster", SKIP))
    else:
        estimate, per_job, sampled = baseline
        method = "measured" if sampled == jobs else f"{sampled} timed, extrapolated"
        section.rows.append(Row(f"migrate: by-hand loop, {jobs} x npx convex run",
                                f"{estimate:.1f} s ({method}; {per_job:.2f} s each)"))
        speedup = estimate / seconds
        section.rows.append(Row(f"migrate: crongate migrate --apply, {jobs} jobs", f"{seconds:.2f} s",
                                "by-hand loop", f"{speedup:.0f}x faster", f">= {MIGRATE_MIN_SPEEDUP:g}x faster",
                                verdict(speedup >= MIGRATE_MIN_SPEEDUP)))
    bound_ratio = seconds / bound
    section.rows.append(Row("migrate: crongate vs round-trip bound", f"{seconds:.2f} s",
                            f"bound {bound:.2f} s = {requests} requests / {settings.migrate_concurrency} x "
                            f"{latency * 1000:.0f} ms", _ratio(bound_ratio), f"<= {MIGRATE_MAX_BOUND_RATIO:g}x",
                            verdict(bound_ratio <= MIGRATE_MAX_BOUND_RATIO)))
    section.rows.append(Row("migrate: crongate's requests only vs round-trip bound", f"{span:.2f} s",
                            f"bound {bound:.2f} s", _ratio(span / bound)))
    section.rows.append(Row(f"migrate: static check of the same {jobs}-job app", f"{statistics.median(static_walls):.2f} s",
                            "start-up and reading crons.ts and systemJobs.ts, no requests"))
    section.notes.append(
        f"migrate: {jobs} missing rows, each with an add<Name>Job migration; the fake deployment adds "
        f"{latency * 1000:.0f} ms to every request; crongate runs with --concurrency "
        f"{settings.migrate_concurrency}, wall-clock median of {settings.migrate_runs} runs of the whole command "
        f"(start-up, reading crons.ts and systemJobs.ts, {requests} requests counted by the fake); 'requests only' is the "
        "time from the first request the fake received to the reply to the last one")
    return section


def _by_hand_loop(deployment: Callable[[], Any], settings: Any, section: Section) -> tuple[float, float, int] | None:
    """Time `npx convex run systemJobs:add<Name>Job` for a sample of the jobs, one after another.

    Returns (estimated seconds for every job, mean seconds per job, jobs timed), or None
    when Node.js or the convex package is missing.
    """
    npx = shutil.which("npx")
    if npx is None or not (NPM_DIR / "node_modules" / "convex").is_dir():
        section.notes.append("migrate: by-hand loop skipped: npx or tests/npm/node_modules/convex not found "
                             "(run `npm ci` in tests/npm)")
        return None

    sample = min(settings.baseline_sample, settings.migrate_jobs)
    walls: list[float] = []
    with deployment() as fake:
        env = _node_env(fake)
        for index in range(sample):
            timing, done = run_child([npx, "convex", "run", f"systemJobs:{migration_name(index)}"], env,
                                     cwd=NPM_DIR, timeout=120)
            _expect(done, (0,), "npx convex run")
            walls.append(timing.wall)
        stray = [request.path for request in fake.requests if request.path != "/api/function"]
        if stray:
            raise RuntimeError(f"the convex CLI sent unexpected requests to the fake deployment: {stray[:5]}")
        if len(fake.rows("systemJobs")) != sample:
            raise RuntimeError("the by-hand loop did not create one row per job")

    per_job = statistics.fmean(walls)
    estimate = per_job * settings.migrate_jobs
    section.notes.append(
        f"migrate: by-hand loop: {sample} of {settings.migrate_jobs} `npx convex run` processes timed one after "
        f"another (mean {per_job:.2f} s, median {statistics.median(walls):.2f} s); the total is the mean times "
        f"{settings.migrate_jobs}" + ("" if sample < settings.migrate_jobs else " (every job timed)"))
    return estimate, per_job, sample


def _node_env(fake: Any) -> dict[str, str]:
    """Return an environment that points the convex CLI at the fake and keeps it on loopback.

    CI=true and a loopback CONVEX_PROVISION_HOST turn off the CLI's error reporting
    (convex 1.48.0), the version check goes to the fake, and npm is offline with its
    registry on the fake too, so any stray request lands on loopback and is seen.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        CI="true",
        CONVEX_PROVISION_HOST=fake.url,
        CONVEX_VERSION_API_ORIGIN=fake.url,
        CONVEX_SELF_HOSTED_URL=fake.url,
        CONVEX_SELF_HOSTED_ADMIN_KEY=fake.admin_key,
        NO_COLOR="1",
        npm_config_offline="true",
        npm_config_update_notifier="false",
        npm_config_audit="false",
        npm_config_fund="false",
        npm_config_registry=f"{fake.url}/npm-registry/",
    )
    return env

