"""Tests for crongate.init: what it finds in a project, and that the config it writes loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crongate.config import load_config
from crongate.errors import UsageError
from crongate.init import exported_functions, inspect_project, render_config, write_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "convex-app"

# A project that differs from the defaults everywhere: functions directory, registry file
# and table, field names, and the names of its functions.
CUSTOM_SCHEMA = '''\
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

const scheduleValidator = v.object({
  type: v.union(v.literal("minutes"), v.literal("hours")),
  value: v.number(),
});

export default defineSchema({
  users: defineTable({ email: v.string(), name: v.string() }),
  cronRegistry: defineTable({
    slug: v.string(),
    title: v.string(),
    description: v.string(),
    schedule: scheduleValidator,
    isEnabled: v.boolean(),
    runCount: v.number(),
    successCount: v.number(),
    failureCount: v.number(),
    lastRunAt: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_slug", ["slug"]),
});
'''

CUSTOM_REGISTRY = '''\
import { v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { internalMutation, internalQuery, query } from "../_generated/server";

export const listJobs = internalQuery({
  args: {},
  handler: async (ctx) => ctx.db.query("cronRegistry").collect(),
});

export const listPage = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => ctx.db.query("cronRegistry").paginate(paginationOpts),
});

export const enableJob = internalMutation({
  args: { slug: v.string() },
  handler: async (ctx, { slug }) => null,
});

export const upsertJob = internalMutation({
  args: { slug: v.string() },
  handler: async (ctx, { slug }) => null,
});
'''

CUSTOM_CRONS = '''\
import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();
crons.interval("sync", { minutes: 5 }, internal.sync.run);
export default crons;
'''


@pytest.fixture
def custom_project(tmp_path: Path) -> Path:
    root = tmp_path / "custom"
    functions = root / "src" / "backend"
    (functions / "admin").mkdir(parents=True)
    (root / "convex.json").write_text(json.dumps({"functions": "src/backend/"}), encoding="utf-8")
    (functions / "schema.ts").write_text(CUSTOM_SCHEMA, encoding="utf-8")
    (functions / "crons.ts").write_text(CUSTOM_CRONS, encoding="utf-8")
    (functions / "admin" / "registry.ts").write_text(CUSTOM_REGISTRY, encoding="utf-8")
    return root


def written_config(root: Path):
    path = write_config(root, render_config(inspect_project(root)))
    return load_config(path)


# --- The example app ---------------------------------------------------------------------------


def test_example_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "crongate.yml"
    path.write_text(render_config(inspect_project(EXAMPLE)), encoding="utf-8")
    assert load_config(path).registry.list_function == "systemJobs:listAll"


@pytest.mark.parametrize(("attribute", "expected"), [
    ("functions_dir", "convex"),
    ("functions_dir_source", "default"),
    ("crons_file", "convex/crons.ts"),
    ("registry_file", "convex/systemJobs.ts"),
    ("table", "systemJobs"),
    ("key_index", "by_jobKey"),
    ("list_function", "systemJobs:listAll"),
    ("page_function", None),
    ("enable_function", "systemJobs:enable"),
    ("upsert_function", None),
    ("missing_fields", ()),
])
def test_example_facts(attribute: str, expected: object) -> None:
    assert getattr(inspect_project(EXAMPLE), attribute) == expected


def test_example_categories_learned() -> None:
    categories = dict(inspect_project(EXAMPLE).categories)
    assert categories.get("reports") == "reports"
    assert categories.get("aiProxy") == "ai-proxy"


def test_example_default_fields_not_written() -> None:
    assert "\n  fields:" not in render_config(inspect_project(EXAMPLE))


# --- A project with other names ----------------------------------------------------------------


@pytest.mark.parametrize(("attribute", "expected"), [
    ("functions_dir", "src/backend"),
    ("functions_dir_source", "convex.json"),
    ("crons_file", "src/backend/crons.ts"),
    ("registry_file", "src/backend/admin/registry.ts"),
    ("table", "cronRegistry"),
    ("key_index", "by_slug"),
    ("list_function", "admin/registry:listJobs"),
    ("page_function", "admin/registry:listPage"),
    ("enable_function", "admin/registry:enableJob"),
    ("upsert_function", "admin/registry:upsertJob"),
    ("missing_fields", ("category", "last_status")),
])
def test_custom_facts(custom_project: Path, attribute: str, expected: object) -> None:
    assert getattr(inspect_project(custom_project), attribute) == expected


@pytest.mark.parametrize(("attribute", "expected"), [
    ("key", "slug"),
    ("name", "title"),
    ("schedule", "schedule"),
    ("enabled", "isEnabled"),
    ("total_runs", "runCount"),
    ("error_count", "failureCount"),
    ("success_count", "successCount"),
])
def test_custom_fields_loaded(custom_project: Path, attribute: str, expected: str) -> None:
    assert getattr(written_config(custom_project).registry.fields, attribute) == expected


@pytest.mark.parametrize(("setting", "expected"), [
    ("functions_dir", "src/backend"),
    ("manifest", "src/backend/crons.ts"),
    ("migrations", "src/backend/admin/registry.ts"),
    ("registry.table", "cronRegistry"),
    ("registry.list_function", "admin/registry:listJobs"),
    ("registry.page_function", "admin/registry:listPage"),
    ("registry.enable_function", "admin/registry:enableJob"),
    ("registry.upsert_function", "admin/registry:upsertJob"),
])
def test_custom_config_values(custom_project: Path, setting: str, expected: str) -> None:
    value: object = written_config(custom_project)
    for part in setting.split("."):
        value = getattr(value, part)
    assert value == expected


def test_empty_project_config_loads(tmp_path: Path) -> None:
    config = written_config(tmp_path)
    assert config.registry.table == "systemJobs"


def test_empty_project_notes(tmp_path: Path) -> None:
    text = render_config(inspect_project(tmp_path))
    assert "# NOTE: no crons.ts in convex" in text


def test_exported_functions_arguments() -> None:
    functions = {f.name: f for f in exported_functions(CUSTOM_REGISTRY.encode())}
    assert functions["listPage"].arguments == ("paginationOpts",)
    assert functions["enableJob"].kind == "internalMutation"


# --- Writing ---------------------------------------------------------------------------------


def test_existing_config_kept(tmp_path: Path) -> None:
    (tmp_path / "crongate.yml").write_text("fail_on: never\n", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists"):
        write_config(tmp_path, "fail_on: error\n")
    assert (tmp_path / "crongate.yml").read_text(encoding="utf-8") == "fail_on: never\n"


def test_force_replaces_config(tmp_path: Path) -> None:
    (tmp_path / "crongate.yaml").write_text("fail_on: never\n", encoding="utf-8")
    path = write_config(tmp_path, "fail_on: error\n", force=True)
    assert path.name == "crongate.yaml"
    assert path.read_text(encoding="utf-8") == "fail_on: error\n"
