"""Tests for crongate.scaffold: names, learned patterns, additive edits and idempotence."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from crongate.config import Config, ScaffoldSettings
from crongate.manifest.evaluator import parse_typescript
from crongate.manifest.migrations import read_migrations_source
from crongate.manifest.schema_file import read_schema_source
from crongate.model import CronJob, Location
from crongate.registry.interface import FieldMap
from crongate.scaffold import (
    category_for,
    function_name,
    human_name,
    interval_for_job,
    js_string,
    learn_pattern,
    scaffold_project,
    scaffold_source,
    write_scaffold,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "convex-app"
ACRONYMS = ScaffoldSettings().acronyms


def job(name: str, kind: str = "interval", schedule: object = None, function: str = "jobs:run",
        description: str | None = "Does the work.") -> CronJob:
    if schedule is None and kind == "interval":
        schedule = {"minutes": 5}
    return CronJob(name=name, kind=kind, schedule=schedule, function=function, args={},
                   location=Location("convex/crons.ts", 1), description=description)


def scaffold(source: str | None, jobs: list[CronJob], **options: object):
    """Run scaffold_source with the migrations that the real reader finds in ``source``."""
    migrations = read_migrations_source(source.encode(), "systemJobs", "convex/systemJobs.ts").migrations if source else ()
    return scaffold_source(source, jobs, migrations, path=Path("convex/systemJobs.ts"),
                           label="convex/systemJobs.ts", **options)


def only_insertions(before: str, after: str) -> bool:
    """True when ``after`` is ``before`` with lines added and none changed or removed."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    return all(tag in ("equal", "insert") for tag, *_ in matcher.get_opcodes())


def recognised_keys(text: str) -> set[str]:
    reading = read_migrations_source(text.encode(), "systemJobs", "convex/systemJobs.ts")
    return {migration.job_key for migration in reading.migrations}


# A migration in the example app's style (prettier defaults).
PRETTIER_STYLE = '''\
import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";

export const listAll = internalQuery({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("systemJobs").collect();
  },
});

export const addTrafficSyncJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "traffic-sync"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "traffic-sync",
      name: "Traffic Sync",
      description: "Pulls counters.",
      category: "traffic",
      interval: { type: "minutes", value: 15 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});
'''

# Single quotes, no semicolons, four spaces, a public mutation with a method handler, the
# row returned as is, the timestamp written inline, another index, and an extra field.
OTHER_STYLE = '''\
import { mutation } from './_generated/server'

export const addTrafficSyncJob = mutation({
    async handler(context) {
        const found = await context.db
            .query('jobs')
            .withIndex('byKey', (q) => q.eq('jobKey', 'traffic-sync'))
            .unique()
        if (found !== null) {
            return found
        }
        return await context.db.insert('jobs', {
            jobKey: 'traffic-sync',
            owner: 'platform',
            name: 'Traffic Sync',
            interval: {type: 'minutes', value: 15},
            enabled: true,
            createdAt: Date.now(),
            updatedAt: Date.now()
        })
    }
})
'''


# --- Names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cron_name", "expected"), [
    ("ai-proxy-orchestrator", "addAIProxyOrchestratorJob"),
    ("traffic-sync", "addTrafficSyncJob"),
    ("Daily Report", "addDailyReportJob"),
    ("sms_digest", "addSMSDigestJob"),
    ("apiHealthCheck", "addAPIHealthCheckJob"),
    ("device-id-refresh", "addDeviceIDRefreshJob"),
    ("2fa-cleanup", "add2faCleanupJob"),
    ("!!!", "addUnnamedJob"),
])
def test_function_name_default_acronyms(cron_name: str, expected: str) -> None:
    assert function_name(cron_name, ACRONYMS) == expected


def test_function_name_configured_acronyms() -> None:
    assert function_name("oauth-token-refresh", ("OAuth",)) == "addOAuthTokenRefreshJob"


def test_function_name_without_acronyms() -> None:
    assert function_name("ai-proxy-orchestrator", ()) == "addAiProxyOrchestratorJob"


def test_human_name_acronyms() -> None:
    assert human_name("ai-proxy-orchestrator", ACRONYMS) == "AI Proxy Orchestrator"


def test_category_longest_prefix() -> None:
    settings = ScaffoldSettings(categories=(("reports", "reporting"), ("reports/admin", "admin")))
    assert category_for("reports/admin/weekly:send", settings) == "admin"


def test_category_default() -> None:
    settings = ScaffoldSettings(categories=(("reports", "reporting"),), default_category="ops")
    assert category_for("traffic:sync", settings) == "ops"


def test_js_string_escapes_quotes() -> None:
    assert js_string("it's \"x\"", "'") == "'it\\'s \"x\"'"


# --- Learning the pattern -----------------------------------------------------------------------


@pytest.mark.parametrize(("attribute", "expected"), [
    ("wrapper", "internalMutation"),
    ("wrapper_imported", True),
    ("index", "by_jobKey"),
    ("quote", '"'),
    ("indent", "  "),
    ("semicolons", True),
    ("trailing_commas", True),
    ("bracket_spacing", True),
    ("now_name", "now"),
    ("handler_style", "arrow"),
    ("learned_from", "addTrafficSyncJob"),
])
def test_pattern_prettier_style(attribute: str, expected: object) -> None:
    assert getattr(learn_pattern(PRETTIER_STYLE), attribute) == expected


@pytest.mark.parametrize(("attribute", "expected"), [
    ("wrapper", "mutation"),
    ("index", "byKey"),
    ("quote", "'"),
    ("indent", "    "),
    ("semicolons", False),
    ("trailing_commas", False),
    ("bracket_spacing", False),
    ("now_name", None),
    ("now_expression", "Date.now()"),
    ("handler_style", "method"),
    ("context_name", "context"),
    ("existing_name", "found"),
    ("return_existing_id", False),
    ("has_args", False),
    ("table", "jobs"),
])
def test_pattern_other_style(attribute: str, expected: object) -> None:
    pattern = learn_pattern(OTHER_STYLE, table="jobs")
    assert getattr(pattern, attribute) == expected


def test_pattern_tabs_and_crlf() -> None:
    source = PRETTIER_STYLE.replace("  ", "\t").replace("\n", "\r\n")
    pattern = learn_pattern(source)
    assert pattern.indent == "\t"
    assert pattern.newline == "\r\n"


def test_other_style_output_follows_pattern() -> None:
    result = scaffold(OTHER_STYLE, [job("ai-proxy-orchestrator")], table="jobs")
    added = result.added[0].text
    assert "    async handler(context) {\n" in added
    assert "            .withIndex('byKey', (q) => q.eq('jobKey', 'ai-proxy-orchestrator'))\n" in added
    assert "            return found\n" in added
    assert "            owner: 'platform',\n" in added
    assert "            createdAt: Date.now(),\n" in added
    assert "            interval: {type: 'minutes', value: 5},\n" in added
    assert added.endswith("    }\n})\n")


def test_other_style_recognised_by_reader() -> None:
    result = scaffold(OTHER_STYLE, [job("ai-proxy-orchestrator")], table="jobs")
    reading = read_migrations_source(result.text.encode(), "systemJobs", "convex/systemJobs.ts", table="jobs")
    assert {m.job_key for m in reading.migrations} == {"traffic-sync", "ai-proxy-orchestrator"}


def test_crlf_output_keeps_line_endings() -> None:
    source = PRETTIER_STYLE.replace("\n", "\r\n")
    result = scaffold(source, [job("ai-proxy-orchestrator")])
    assert "\n" not in result.text.replace("\r\n", "")


def test_prettier_style_output() -> None:
    result = scaffold(PRETTIER_STYLE, [job("ai-proxy-orchestrator", description="Rebalances the pool.")])
    expected = '''\
export const addAIProxyOrchestratorJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const existing = await ctx.db
      .query("systemJobs")
      .withIndex("by_jobKey", (q) => q.eq("jobKey", "ai-proxy-orchestrator"))
      .unique();
    if (existing !== null) {
      return existing._id;
    }
    const now = Date.now();
    return await ctx.db.insert("systemJobs", {
      jobKey: "ai-proxy-orchestrator",
      name: "AI Proxy Orchestrator",
      description: "Rebalances the pool.",
      category: "system",
      interval: { type: "minutes", value: 5 },
      enabled: true,
      totalRuns: 0,
      successCount: 0,
      errorCount: 0,
      createdAt: now,
      updatedAt: now,
    });
  },
});
'''
    assert result.added[0].text == expected


def test_long_index_lookup_wraps() -> None:
    result = scaffold(PRETTIER_STYLE, [job("device-screenshot-capture")])
    wrapped = ('      .withIndex("by_jobKey", (q) =>\n'
               '        q.eq("jobKey", "device-screenshot-capture"),\n'
               '      )\n')
    assert wrapped in result.added[0].text


def test_long_description_wraps() -> None:
    long_text = "Captures a screenshot of every online device for the live wall, twice a minute."
    result = scaffold(PRETTIER_STYLE, [job("device-capture", description=long_text)])
    assert f'      description:\n        "{long_text}",\n' in result.added[0].text


# --- Editing the file ----------------------------------------------------------------------------


def test_no_existing_line_changes() -> None:
    jobs = [job("traffic-sync"), job("ai-proxy-orchestrator"), job("daily-report", "daily", {"hourUTC": 6})]
    result = scaffold(PRETTIER_STYLE, jobs)
    assert only_insertions(PRETTIER_STYLE, result.text)


def test_every_original_line_kept_in_order() -> None:
    result = scaffold(PRETTIER_STYLE, [job("ai-proxy-orchestrator")])
    new_lines = result.text.splitlines()
    assert new_lines[: len(PRETTIER_STYLE.splitlines())] == PRETTIER_STYLE.splitlines()


def test_functions_appended_at_end() -> None:
    result = scaffold(PRETTIER_STYLE, [job("ai-proxy-orchestrator")])
    assert result.text == PRETTIER_STYLE + "\n" + result.added[0].text


def test_only_missing_jobs_added() -> None:
    result = scaffold(PRETTIER_STYLE, [job("traffic-sync"), job("ai-proxy-orchestrator")])
    assert [m.function for m in result.added] == ["addAIProxyOrchestratorJob"]


def test_missing_import_added_on_new_line() -> None:
    source = 'import { internalQuery } from "./_generated/server";\n\nexport const listAll = internalQuery({\n' \
             '  args: {},\n  handler: async (ctx) => {\n    return await ctx.db.query("systemJobs").collect();\n' \
             '  },\n});\n'
    result = scaffold(source, [job("traffic-sync")])
    assert result.text.splitlines()[1] == 'import { internalMutation } from "./_generated/server";'
    assert only_insertions(source, result.text)


def test_esm_server_import_kept() -> None:
    source = 'import { internalQuery } from "./_generated/server.js";\n\nexport const listAll = internalQuery({\n' \
             '  args: {},\n  handler: async (ctx) => {\n    return await ctx.db.query("systemJobs").collect();\n' \
             '  },\n});\n'
    result = scaffold(source, [job("traffic-sync")])
    assert result.text.splitlines()[1] == 'import { internalMutation } from "./_generated/server.js";'


def test_unterminated_last_line_kept() -> None:
    source = PRETTIER_STYLE.rstrip("\n")
    result = scaffold(source, [job("ai-proxy-orchestrator")])
    assert result.text.splitlines()[: len(source.splitlines())] == source.splitlines()


def test_second_run_adds_nothing() -> None:
    jobs = [job("ai-proxy-orchestrator"), job("Nightly Export", "daily", {"hourUTC": 2, "minuteUTC": 30})]
    first = scaffold(PRETTIER_STYLE, jobs)
    second = scaffold(first.text, jobs)
    assert second.added == ()
    assert second.text == first.text
    assert second.diff == ""


def test_generated_keys_recognised() -> None:
    jobs = [job("ai-proxy-orchestrator"), job("Nightly Export", "daily", {"hourUTC": 2})]
    result = scaffold(PRETTIER_STYLE, jobs)
    assert recognised_keys(result.text) == {"traffic-sync", "ai-proxy-orchestrator", "nightly-export"}


def test_generated_code_parses_cleanly() -> None:
    jobs = [job("a-b"), job("c", "monthly", {"day": 1, "hourUTC": 3}), job("d", "cron", "0 12 * * MON-FRI")]
    result = scaffold(PRETTIER_STYLE, jobs)
    assert not parse_typescript(result.text.encode()).root_node.has_error


def test_key_map_names_the_key() -> None:
    result = scaffold(PRETTIER_STYLE, [job("Traffic Report")], key_map={"Traffic Report": "traffic-report"})
    assert result.added[0].job_key == "traffic-report"


def test_key_map_covers_existing_migration() -> None:
    result = scaffold(PRETTIER_STYLE, [job("Traffic Sync Job")], key_map={"Traffic Sync Job": "traffic-sync"})
    assert result.added == ()


def test_name_clash_gets_suffix() -> None:
    source = PRETTIER_STYLE.replace('"traffic-sync"', '"traffic-sync-v1"')
    result = scaffold(source, [job("traffic-sync")])
    assert result.added[0].function == "addTrafficSyncJob2"


def test_duplicate_jobs_added_once() -> None:
    result = scaffold(PRETTIER_STYLE, [job("ai-proxy"), job("ai-proxy")])
    assert len(result.added) == 1


def test_missing_file_gets_import() -> None:
    result = scaffold(None, [job("traffic-sync")])
    assert result.text.startswith('import { internalMutation } from "./_generated/server";\n')
    assert recognised_keys(result.text) == {"traffic-sync"}


def test_missing_file_diff_from_dev_null() -> None:
    result = scaffold(None, [job("traffic-sync")])
    assert result.diff.startswith("--- /dev/null\n+++ b/convex/systemJobs.ts\n")


def test_no_index_uses_filter() -> None:
    result = scaffold(None, [job("traffic-sync")])
    assert '.filter((q) => q.eq(q.field("jobKey"), "traffic-sync"))' in result.added[0].text
    assert any("no index" in warning for warning in result.warnings)


def test_index_from_schema() -> None:
    schema = read_schema_source(b'import { defineSchema, defineTable } from "convex/server";\n'
                                b'import { v } from "convex/values";\n'
                                b'export default defineSchema({ systemJobs: defineTable({ jobKey: v.string() })'
                                b'.index("by_key", ["jobKey"]) });\n')
    result = scaffold(None, [job("traffic-sync")], table_shape=schema["systemJobs"])
    assert '.withIndex("by_key", (q) => q.eq("jobKey", "traffic-sync"))' in result.added[0].text


def test_renamed_fields_used() -> None:
    fields = FieldMap(key="slug", schedule="every")
    result = scaffold(None, [job("traffic-sync")], fields=fields)
    assert '      slug: "traffic-sync",\n' in result.added[0].text
    assert '      every: { type: "minutes", value: 5 },\n' in result.added[0].text


# --- Schedules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "schedule", "expected"), [
    ("interval", {"seconds": 30}, {"type": "seconds", "value": 30}),
    ("interval", {"minutes": 90}, {"type": "minutes", "value": 90}),
    ("interval", {"hours": 2}, {"type": "hours", "value": 2}),
    ("hourly", None, {"type": "hours", "value": 1}),
    ("daily", {"hourUTC": 6, "minuteUTC": 0}, {"type": "days", "value": 1}),
    ("weekly", {"dayOfWeek": "monday", "hourUTC": 9}, {"type": "days", "value": 7}),
    ("cron", "*/15 * * * *", {"type": "minutes", "value": 15}),
])
def test_interval_representable(kind: str, schedule: object, expected: dict) -> None:
    choice = interval_for_job(job("x", kind, schedule), ("seconds", "minutes", "hours", "days"))
    assert choice.value == expected
    assert choice.todo is None


def test_interval_follows_existing_unit() -> None:
    choice = interval_for_job(job("x", "daily", {"hourUTC": 6}), ("seconds", "minutes", "hours", "days"),
                              {86400: "hours"})
    assert choice.value == {"type": "hours", "value": 24}


def test_interval_uses_schema_units() -> None:
    choice = interval_for_job(job("x", "interval", {"hours": 48}), ("minutes",))
    assert choice.value == {"type": "minutes", "value": 2880}


def test_daily_after_existing_hours_row() -> None:
    source = PRETTIER_STYLE.replace('{ type: "minutes", value: 15 }', '{ type: "hours", value: 24 }')
    result = scaffold(source, [job("report", "daily", {"hourUTC": 6})])
    assert result.added[0].interval == {"type": "hours", "value": 24}


def test_unrepresentable_schedule_gets_todo() -> None:
    result = scaffold(PRETTIER_STYLE, [job("invoices", "monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45})])
    lines = result.added[0].text.splitlines()
    todo = lines.index(next(line for line in lines if "// TODO:" in line))
    assert lines[todo + 1].lstrip().startswith("interval: {")
    assert any("no fixed period" in warning for warning in result.warnings)


def test_unrepresentable_still_recognised() -> None:
    result = scaffold(PRETTIER_STYLE, [job("invoices", "monthly", {"day": 1, "hourUTC": 2})])
    assert "invoices" in recognised_keys(result.text)


def test_cron_type_when_schema_allows() -> None:
    choice = interval_for_job(job("x", "monthly", {"day": 1, "hourUTC": 2, "minuteUTC": 45}),
                              ("minutes", "hours", "cron"))
    assert choice.value == {"type": "cron", "value": "45 2 1 * *"}
    assert choice.todo is None


def test_missing_description_is_generated() -> None:
    result = scaffold(PRETTIER_STYLE, [job("nightly", "daily", {"hourUTC": 6, "minuteUTC": 0}, description=None)])
    assert 'description: "Runs jobs:run daily at 06:00 UTC.",' in result.added[0].text


# --- The project -------------------------------------------------------------------------------


def copy_example(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "convex").mkdir(parents=True)
    for path in (EXAMPLE / "convex").glob("*.ts"):
        (root / "convex" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def test_project_write_then_nothing(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    systemjobs = root / "convex" / "systemJobs.ts"
    text = systemjobs.read_text(encoding="utf-8")
    start = text.index("export const addTrafficSyncJob")
    end = text.index("export const addProxySessionRenewalJob")
    systemjobs.write_text(text[:start] + text[end:], encoding="utf-8")

    first = scaffold_project(root, Config())
    assert [m.function for m in first.added] == ["addTrafficSyncJob"]
    assert write_scaffold(first) is True
    assert scaffold_project(root, Config()).added == ()


def test_project_creates_missing_file(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "convex" / "systemJobs.ts").unlink()
    result = scaffold_project(root, Config())
    write_scaffold(result)
    assert len(result.added) == 5
    assert scaffold_project(root, Config()).added == ()


def test_project_creates_configured_file(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "convex" / "systemJobs.ts").unlink()
    config = Config(migrations="convex/admin/registry.ts")
    result = scaffold_project(root, config)
    assert result.label == "convex/admin/registry.ts"
    assert 'import { internalMutation } from "../_generated/server";' in result.text
    write_scaffold(result)
    assert scaffold_project(root, config).added == ()


def test_project_warns_dynamic_registration(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    crons = root / "convex" / "crons.ts"
    crons.write_text(crons.read_text(encoding="utf-8") + 'crons.interval(process.env.JOB_NAME!, { minutes: 1 }, '
                     'internal.traffic.sync);\n', encoding="utf-8")
    result = scaffold_project(root, Config())
    assert any("written by hand" in warning for warning in result.warnings)
