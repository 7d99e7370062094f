"""Read a deployment's registry page by page, in a process of its own, and print what it cost.

Run by ``bench/run.py``: ``python bench/read_registry.py URL [--tracemalloc]`` with the key in
CONVEX_DEPLOY_KEY. Prints one JSON object: rows read, wall-clock and CPU seconds of the
read, the process's peak resident memory before and after it, and, with ``--tracemalloc``,
the peak of Python allocations during the read. Tracing slows allocation down, so a run
either times the read or traces it, never both.

Peak resident memory is VmHWM from /proc/self/status. ``ru_maxrss`` is printed too, but
Linux keeps the old address space's high-water mark at exec. A child of a large benchmark
process would therefore report the parent's size as its own ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import resource
import sys
import time
import tracemalloc


def peak_rss_kb() -> int:
    """Return this process's peak resident set size in kilobytes (VmHWM, Linux only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line; this benchmark needs Linux")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true", help="Trace Python allocations during the read.")
    options = parser.parse_args()

    from crongate.registry.convex_http import ConnectionSettings, ConvexClient, ConvexHttpRegistry

    client = ConvexClient(ConnectionSettings(url=options.url, key=os.environ.get("CONVEX_DEPLOY_KEY"), timeout=60))
    registry = ConvexHttpRegistry(client, page_function="systemJobs:listPage", page_size=options.page_size)
    peak_before_kb = peak_rss_kb()

    if options.tracemalloc:
        tracemalloc.start()
    cpu_started = time.process_time()
    started = time.perf_counter()
    rows = registry.read_rows()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    traced_peak = None
    if options.tracemalloc:
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    client.close()

    json.dump({
        "rows": len(rows),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_before_kb": peak_before_kb,
        "peak_rss_kb": peak_rss_kb(),
        # In kilobytes on Linux; see the module docstring for why it is not the judged figure.
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "traced_peak_bytes": traced_peak,
    }, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
