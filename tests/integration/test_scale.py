"""A registry of 50,000 rows read page by page, with memory measured, and a cursor that repeats.

The fake deployment runs in its own process here, so that tracemalloc in this process
counts only what crongate allocates. The peak and the subprocess's maximum RSS are printed
(run pytest with ``-s`` to see them) and bounded by assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from crongate.registry.convex_http import ConnectionSettings, ConvexClient, ConvexHttpRegistry

ROW_COUNT = 50_000
PAGE_SIZE = 1_000
KEY = "prod:scale-deployment|U0NBTEVrZXktY2FuYXJ5LTEyMzQ1Njc4OTA="

# Bounds with room to spare. This module measured, on a shared 2-core Linux VM with Python
# 3.11, a tracemalloc peak of 71 MiB for 50,000 rows, less than 1 MiB of it above what the
# rows retain. The whole `crongate check` subprocess reached a max RSS of 273 MiB.
MAX_PEAK_BYTES = 200 * 1024 * 1024
MAX_PAGE_OVERHEAD_BYTES = 8 * 1024 * 1024
MAX_SUBPROCESS_RSS_KB = 600 * 1024
MAX_SECONDS = 60

_FAKE_SERVER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from fake_convex import FakeDeployment, FunctionContext

    count, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    rows = [
        {{"jobKey": f"job-{{index:05d}}", "name": f"Job {{index}}", "description": "A generated registry row.",
          "category": "scale", "interval": {{"type": "minutes", "value": 5}}, "enabled": True,
          "totalRuns": index, "successCount": index, "errorCount": 0, "lastStatus": "success"}}
        for index in range(count)
    ]
    fake = FakeDeployment.with_system_jobs(rows, internal=True, admin_key=key)

    def same_cursor(ctx: FunctionContext, args: dict) -> dict:
        return {{"page": rows[:2], "isDone": False, "continueCursor": "c2FtZQ=="}}

    fake.register("systemJobs:loopingPage", "query", same_cursor, internal=True)
    fake.start()
    print(fake.url, flush=True)
    sys.stdin.read()  # serve until the test closes stdin
    fake.stop()
    """
).format(tests=str(REPO / "tests"))


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    """Start a fake with ROW_COUNT rows in a child process and yield its URL."""
    server = subprocess.Popen([sys.executable, "-c", _FAKE_SERVER, str(ROW_COUNT), KEY, "serve"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _registry(url: str, page_function: str | None = "systemJobs:listPage") -> ConvexHttpRegistry:
    client = ConvexClient(ConnectionSettings(url=url, key=KEY, timeout=30, retries=0))
    return ConvexHttpRegistry(client, page_function=page_function, page_size=PAGE_SIZE)


def test_pages_read_in_bounded_memory(fake_url: str) -> None:
    registry = _registry(fake_url)
    started = time.monotonic()
    tracemalloc.start()
    try:
        rows = registry.read_rows()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        registry.client.close()
    seconds = time.monotonic() - started

    print(f"\n{len(rows)} rows in {ROW_COUNT // PAGE_SIZE} pages: {seconds:.1f} s, tracemalloc peak "
          f"{peak / 2**20:.1f} MiB, retained {retained / 2**20:.1f} MiB, "
          f"peak above retained {(peak - retained) / 2**20:.1f} MiB")
    assert len(rows) == ROW_COUNT
    assert len({row.key for row in rows}) == ROW_COUNT
    assert peak < MAX_PEAK_BYTES
    # The rows are kept, so memory grows with them. What must not grow is the working set
    # on top of them: one page's reply and its parse.
    assert peak - retained < MAX_PAGE_OVERHEAD_BYTES
    assert seconds < MAX_SECONDS


def test_pages_requested_in_order(fake_url: str) -> None:
    registry = _registry(fake_url)
    try:
        rows = registry.read_rows()
    finally:
        registry.client.close()

    assert [row.key for row in rows[:2]] == ["job-00000", "job-00001"]
    assert rows[-1].key == f"job-{ROW_COUNT - 1:05d}"


def test_repeated_cursor_detected(fake_url: str) -> None:
    project = EXAMPLE
    process = subprocess.run(
        [sys.executable, "-m", "crongate", "check", str(project), "--url", fake_url,
         "--page-function", "systemJobs:loopingPage"],
        cwd=REPO, env=crongate_env(CONVEX_DEPLOY_KEY=KEY), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )

    assert process.returncode == 3
    assert "again on page 2" in process.stderr
    assert "registry.page_function" in process.stderr
    assert "Traceback" not in process.stderr


def test_check_50k_rows_subprocess(fake_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "crongate", "check", str(EXAMPLE), "--url", fake_url,
               "--page-function", "systemJobs:listPage", "--format", "json", "--output", str(report)]
    errors = tmp_path / "stderr.txt"
    started = time.monotonic()
    with open(errors, "wb") as stderr_file:
        child = subprocess.Popen(command, cwd=REPO, env=crongate_env(CONVEX_DEPLOY_KEY=KEY),
                                 stdout=subprocess.DEVNULL, stderr=stderr_file, stdin=subprocess.DEVNULL)
        # wait4 returns this child's own resource usage, whatever other children this process has.
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = errors.read_text(encoding="utf-8", errors="replace")

    print(f"\ncrongate check over {ROW_COUNT} rows: {seconds:.1f} s, max RSS {usage.ru_maxrss / 1024:.0f} MiB")
    assert child.returncode == 1, stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["registry"]["rows"] == ROW_COUNT
    assert usage.ru_maxrss < MAX_SUBPROCESS_RSS_KB
    assert seconds < MAX_SECONDS
