"""Inputs for the benchmarks: generated crons.ts files, migrations files and registry rows.

Every generator is deterministic, so two runs of the benchmark read the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The schedule shapes that one registration cycles through: every crons.ts helper but the
# deprecated ones, so the reader's time covers each schedule validator.
_SCHEDULES = (
    ('interval', '{{ minutes: {n} }}', 'minutes'),
    ('hourly', '{{ minuteUTC: {m} }}', None),
    ('daily', '{{ hourUTC: {h}, minuteUTC: {m} }}', None),
    ('weekly', '{{ dayOfWeek: "monday", hourUTC: {h}, minuteUTC: {m} }}', None),
    ('monthly', '{{ day: {d}, hourUTC: {h}, minuteUTC: {m} }}', None),
    ('cron', '"{m} {h} * * *"', None),
)


def job_key(index: int) -> str:
    return f"job-{index:05d}"


def migration_name(index: int) -> str:
    """Return the add<Name>Job migration for job ``index``, as the naming convention spells it."""
    return f"addJob{index:05d}Job"


def crons_source(count: int) -> str:
    """Return a crons.ts with ``count`` registrations, one statement each, in the common style."""
    lines = [
        'import { cronJobs } from "convex/server";',
        'import { internal } from "./_generated/api";',
        "",
        "const crons = cronJobs();",
        "",
    ]
    for index in range(count):
        kind, template, _ = _SCHEDULES[index % len(_SCHEDULES)]
        schedule = template.format(n=1 + index % 59, m=index % 60, h=index % 24, d=1 + index % 28)
        lines.append(f"// Job {index}: keeps shard {index} of the usage tables current.")
        lines.append(f'crons.{kind}("{job_key(index)}", {schedule}, internal.jobs.run, {{ shard: {index} }});')
    lines += ["", "export default crons;", ""]
    return "\n".join(lines)


def interval_crons_source(count: int) -> str:
    """Return a crons.ts whose jobs all run every ``1 + index % 59`` minutes, as migrations record them."""
    lines = [
        'import { cronJobs } from "convex/server";',
        'import { internal } from "./_generated/api";',
        "",
        "const crons = cronJobs();",
        "",
    ]
    for index in range(count):
        lines.append(f'crons.interval("{job_key(index)}", {{ minutes: {interval_minutes(index)} }}, internal.jobs.run);')
    lines += ["", "export default crons;", ""]
    return "\n".join(lines)


def interval_minutes(index: int) -> int:
    return 1 + index % 59


def migration_template(index: int) -> dict[str, Any]:
    """Return the row that job ``index``'s migration inserts, without its timestamps."""
    return {
        "jobKey": job_key(index),
        "name": f"Job {index:05d}",
        "description": f"Keeps shard {index} of the usage tables current.",
        "category": "usage",
        "interval": {"type": "minutes", "value": interval_minutes(index)},
        "enabled": True,
        "totalRuns": 0,
        "successCount": 0,
        "errorCount": 0,
    }


def migrations_source(count: int) -> str:
    """Return a systemJobs.ts with listAll and one idempotent add<Name>Job migration per job."""
    parts = [
        'import { internalMutation, internalQuery } from "./_generated/server";',
        "",
        "export const listAll = internalQuery({",
        "  args: {},",
        '  handler: async (ctx) => await ctx.db.query("systemJobs").collect(),',
        "});",
    ]
    for index in range(count):
        row = migration_template(index)
        interval = row["interval"]
        parts.append(f"""
export const {migration_name(index)} = internalMutation({{
  args: {{}},
  handler: async (ctx) => {{
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "{row['jobKey']}"))
      .unique();
    if (existing !== null) {{
      return existing._id;
    }}
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {{
      jobKey: "{row['jobKey']}",
      name: "{row['name']}",
      description: "{row['description']}",
      category: "{row['category']}",
      interval: {{ type: "{interval['type']}", value: {interval['value']} }},
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    }});
  }},
}});""")
    return "\n".join(parts) + "\n"


def write_migrate_project(root: Path, count: int) -> Path:
    """Write an app whose ``count`` cron jobs each have a migration, and return its folder."""
    functions = root / "convex"
    functions.mkdir(parents=True, exist_ok=True)
    (functions / "crons.ts").write_text(interval_crons_source(count), encoding="utf-8")
    (functions / "systemJobs.ts").write_text(migrations_source(count), encoding="utf-8")
    # The job functions themselves, so that the function targets of crons.ts exist.
    (functions / "jobs.ts").write_text(
        'import { internalMutation } from "./_generated/server";\n\n'
        "export const run = internalMutation({ args: {}, handler: async () => null });\n",
        encoding="utf-8",
    )
    return root


def registry_row(index: int, now_ms: float) -> dict[str, Any]:
    """Return a registry row in the systemJobs shape, with run counters filled in."""
    row = migration_template(index)
    row.update(
        totalRuns=1000 + index,
        successCount=990 + index,
        errorCount=10,
        lastRunAt=now_ms - 60_000,
        lastStatus="success",
        createdAt=now_ms - 86_400_000,
        updatedAt=now_ms - 60_000,
    )
    return row
