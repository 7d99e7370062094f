"""Inspect a Convex project and write a commented ``crongate.yml`` for ``crongate init``.

What is read, and from where:

- the functions directory: ``functions`` in ``convex.json``, else ``convex``;
- ``crons.ts`` (or ``crons.js``) at the root of the functions directory;
- the registry file: ``systemJobs.ts``, else the first module of the functions directory that
  queries or inserts into the registry table. Its exported functions give the list query
  (``listAll`` or another ``list*`` query), a paginated query (one taking ``paginationOpts``),
  the enable mutation and an ``upsert*`` mutation;
- ``schema.ts``: the registry table (``systemJobs``, else the table whose fields look most
  like a job registry), its index on the key field, and field names that differ from
  crongate's defaults;
- the existing migrations: the category each one writes for its job's function module, as
  ``scaffold.categories``.

The rendered file is accepted by ``crongate.config.load_config``. Nothing here writes except
``write_config``, which replaces an existing file only when ``force`` is set.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from crongate.config import CONFIG_NAMES, ScaffoldSettings, find_config
from crongate.errors import CrongateError, ManifestError, UsageError
from crongate.manifest.evaluator import (
    exported_calls,
    call_arguments,
    key_text,
    member_name,
    named_children,
    node_text,
    parse_typescript,
    string_value,
    unwrap,
)
from crongate.manifest.schema_file import SchemaFile, TableShape, read_schema_file
from crongate.source_file import read_source_file
from crongate.registry.interface import FieldMap

logger = logging.getLogger(__name__)

DEFAULT_TABLE = "systemJobs"
MAX_SOURCE_BYTES = 5 * 1024 * 1024
SKIPPED_DIRS = frozenset({"_generated", "node_modules"})

# Other names an app may give each registry field, most common first. The default name from
# FieldMap is always tried first.
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "key": ("key", "jobId", "jobName", "cronName", "slug", "identifier"),
    "name": ("displayName", "title", "label"),
    "description": ("desc", "summary", "details"),
    "category": ("group", "module", "area"),
    "schedule": ("schedule", "frequency", "period", "cadence"),
    "enabled": ("isEnabled", "active", "isActive"),
    "total_runs": ("runCount", "runs", "totalRunCount"),
    "success_count": ("successes", "successfulRuns", "successRuns"),
    "error_count": ("errors", "failureCount", "failures", "failedRuns"),
    "last_run_at": ("lastRun", "lastRanAt", "lastExecutedAt"),
    "last_status": ("status", "lastResult", "lastOutcome"),
    "created_at": ("created", "createdTime"),
    "updated_at": ("updated", "modifiedAt", "updatedTime"),
}

# A table counts as the registry only when this many of its fields map to registry fields.
MIN_REGISTRY_FIELDS = 4

QUERY_KINDS = frozenset({"query", "internalQuery"})
MUTATION_KINDS = frozenset({"mutation", "internalMutation"})


@dataclass(frozen=True)
class ExportedFunction:
    """An exported Convex function of the registry file."""

    name: str
    kind: str  # query, internalQuery, mutation, internalMutation, ...
    arguments: tuple[str, ...]  # the names in its ``args`` validator object


@dataclass(frozen=True)
class ProjectFacts:
    """The project settings that ``crongate init`` found, with paths relative to the root in POSIX form."""

    functions_dir: str
    functions_dir_source: str  # "convex.json" or "default"
    crons_file: str | None
    registry_file: str | None
    registry_module: str | None  # Convex module path of the registry file, e.g. "systemJobs"
    table: str
    table_found: bool
    key_index: str | None
    fields: FieldMap
    missing_fields: tuple[str, ...]  # FieldMap attributes with no field in the table
    functions: tuple[ExportedFunction, ...] = ()
    list_function: str | None = None
    page_function: str | None = None
    enable_function: str | None = None
    upsert_function: str | None = None
    categories: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())


def inspect_project(root: Path) -> ProjectFacts:
    """Read what crongate needs to know from a Convex project, without changing anything.

    Raises ManifestError when ``convex.json`` is invalid.
    """
    from crongate.manifest.project import functions_dir_path, read_convex_json

    root = Path(os.path.normpath(root.absolute()))
    notes: list[str] = []
    configured = read_convex_json(root)
    functions_dir = functions_dir_path(root, configured.strip() if configured else None)
    functions_label = _relative(functions_dir, root)
    if not functions_dir.is_dir():
        notes.append(f"the functions directory {functions_label} does not exist")

    crons_file = next((functions_dir / name for name in ("crons.ts", "crons.js") if (functions_dir / name).is_file()), None)
    if crons_file is None:
        notes.append(f"no crons.ts in {functions_label}; Convex loads cron jobs only from there")

    schema = read_schema_file(functions_dir / "schema.ts")
    shape = _registry_table(schema)
    table = shape.name if shape is not None else DEFAULT_TABLE
    if shape is None:
        notes.append(f"no registry table found in {functions_label}/schema.ts; assuming {DEFAULT_TABLE!r}")
    fields, missing = _field_map(shape)

    registry_file = _registry_file(functions_dir, table)
    functions: tuple[ExportedFunction, ...] = ()
    module = None
    if registry_file is None:
        notes.append(f"no module in {functions_label} reads the {table!r} table; add systemJobs.ts with a listAll query")
    else:
        module = registry_file.relative_to(functions_dir).with_suffix("").as_posix()
        functions = exported_functions(_read_registry_source(registry_file, root))

    facts = ProjectFacts(
        functions_dir=functions_label,
        functions_dir_source="convex.json" if configured else "default",
        crons_file=_relative(crons_file, root) if crons_file else None,
        registry_file=_relative(registry_file, root) if registry_file else None,
        registry_module=module,
        table=table,
        table_found=shape is not None,
        key_index=shape.index_on(fields.key) if shape is not None else None,
        fields=fields,
        missing_fields=missing,
        functions=functions,
        notes=tuple(notes),
    )
    facts = _with_registry_functions(facts)
    return _with_categories(facts, root)


def _registry_table(schema: SchemaFile) -> TableShape | None:
    """Return the registry table: ``systemJobs`` if defined, else the most registry-like table."""
    if DEFAULT_TABLE in schema.tables:
        return schema.tables[DEFAULT_TABLE]
    best: tuple[int, TableShape] | None = None
    for shape in schema.tables.values():
        mapped = len(FieldMap.attribute_names()) - len(_field_map(shape)[1])
        if mapped >= MIN_REGISTRY_FIELDS and (best is None or mapped > best[0]):
            best = (mapped, shape)
    return best[1] if best else None


def _field_map(shape: TableShape | None) -> tuple[FieldMap, tuple[str, ...]]:
    """Map each registry field to the table's name for it; return the map and the unmapped attributes."""
    defaults = FieldMap()
    if shape is None or not shape.fields:
        return defaults, ()
    present = set(shape.fields)
    names: dict[str, str] = {}
    missing: list[str] = []
    for attribute in FieldMap.attribute_names():
        candidates = (getattr(defaults, attribute), *FIELD_SYNONYMS.get(attribute, ()))
        found = next((name for name in candidates if name in present and name not in names.values()), None)
        if found is None:
            missing.append(attribute)
        else:
            names[attribute] = found
    return FieldMap(**names), tuple(missing)


def _registry_file(functions_dir: Path, table: str) -> Path | None:
    """Return ``systemJobs.ts``, else the first module that names the table in a query or insert."""
    default = functions_dir / "systemJobs.ts"
    if default.is_file():
        return default
    if not functions_dir.is_dir():
        return None
    for path in sorted(functions_dir.rglob("*.ts")):
        relative = path.relative_to(functions_dir)
        if SKIPPED_DIRS.intersection(relative.parts) or relative.name in ("schema.ts", "crons.ts"):
            continue
        try:
            source = read_source_file(path, MAX_SOURCE_BYTES)
        except OSError as error:
            logger.info("not reading %s: %s", path, error.strerror)
            continue
        if len(source) > MAX_SOURCE_BYTES:
            continue
        if table.encode() in source and _uses_table(source, table):
            return path
    return None


def _read_registry_source(path: Path, root: Path) -> bytes:
    """Read the registry module's source. Raises ManifestError when it cannot be read."""
    hint = "replace it with the app's systemJobs.ts as a readable regular file"
    try:
        source = read_source_file(path, MAX_SOURCE_BYTES)
    except OSError as error:
        raise ManifestError(f"cannot read {_relative(path, root)}: {error.strerror}", hint=hint) from None
    if len(source) > MAX_SOURCE_BYTES:
        raise ManifestError(f"{_relative(path, root)} is over the {MAX_SOURCE_BYTES} byte limit", hint=hint)
    return source


def _uses_table(source: bytes, table: str) -> bool:
    root = parse_typescript(source).root_node
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "call_expression" and member_name(node) in ("query", "insert"):
            arguments = call_arguments(node)
            if arguments and arguments[0].type == "string" and string_value(arguments[0]) == table:
                return True
        stack.extend(node.children)
    return False


def exported_functions(source: bytes) -> tuple[ExportedFunction, ...]:
    """List ``export const name = <kind>({args: {...}, ...})`` declarations with their argument names."""
    root = parse_typescript(source).root_node
    return tuple(
        ExportedFunction(name, callee, _argument_names(call)) for name, callee, call in exported_calls(root)
    )


def _argument_names(call: Node) -> tuple[str, ...]:
    arguments = call_arguments(call)
    if not arguments or unwrap(arguments[0]).type != "object":
        return ()
    for member in named_children(unwrap(arguments[0])):
        if member.type == "pair" and key_text(member.child_by_field_name("key")) == "args":
            value = unwrap(member.child_by_field_name("value"))
            if value.type == "object":
                return tuple(
                    name for name in (
                        key_text(item.child_by_field_name("key")) if item.type == "pair" else node_text(item)
                        for item in named_children(value)
                    ) if name
                )
    return ()


def _with_registry_functions(facts: ProjectFacts) -> ProjectFacts:
    """Pick the list, paginated, enable and upsert functions among the registry file's exports."""
    from dataclasses import replace

    if facts.registry_module is None:
        return facts
    module = facts.registry_module

    def path(function: ExportedFunction | None) -> str | None:
        return f"{module}:{function.name}" if function else None

    queries = [f for f in facts.functions if f.kind in QUERY_KINDS]
    mutations = [f for f in facts.functions if f.kind in MUTATION_KINDS]
    paginated = next((f for f in queries if "paginationOpts" in f.arguments), None)
    listing = next((f for f in queries if f.name == "listAll"), None) or next(
        (f for f in queries if f.name.startswith("list") and not f.arguments), None)
    enable = next((f for f in mutations if f.name == "enable"), None) or next(
        (f for f in mutations if f.name.startswith("enable")), None)
    upsert = next((f for f in mutations if f.name.startswith("upsert")), None)

    notes = list(facts.notes)
    if listing is None and paginated is None:
        notes.append(f"{facts.registry_file} exports no list query; add `listAll` that returns every row")
    return replace(
        facts,
        list_function=path(listing),
        page_function=path(paginated),
        enable_function=path(enable),
        upsert_function=path(upsert),
        notes=tuple(notes),
    )


def _with_categories(facts: ProjectFacts, root: Path) -> ProjectFacts:
    """Learn ``scaffold.categories`` from the existing migrations: function module -> category.

    A module is listed only when every migration of its jobs writes the same category.
    """
    from dataclasses import replace

    from crongate.keys import keys_for_cron_name
    from crongate.manifest.project import ManifestSettings, read_manifest

    if facts.crons_file is None:
        return facts
    try:
        manifest = read_manifest(ManifestSettings(
            root=root,
            functions_dir=facts.functions_dir,
            migrations_file=facts.registry_file,
            table=facts.table,
            fields=facts.fields,
        ))
    except CrongateError as error:
        logger.warning("could not read the cron jobs to learn categories: %s", error.message)
        return facts

    by_key = {migration.job_key: migration for migration in manifest.migrations}
    seen: dict[str, set[str]] = {}
    for job in manifest.jobs:
        migration = next((by_key[key] for key in keys_for_cron_name(job.name) if key in by_key), None)
        category = migration.values.get(facts.fields.category) if migration else None
        if isinstance(category, str):
            seen.setdefault(job.function.split(":", 1)[0], set()).add(category)
    categories = tuple((module, next(iter(found))) for module, found in sorted(seen.items()) if len(found) == 1)
    return replace(facts, categories=categories)


# --- Rendering ---------------------------------------------------------------------------------


def render_config(facts: ProjectFacts) -> str:
    """Render ``crongate.yml`` with a comment on every setting saying where its value came from."""
    lines = [
        "# crongate.yml, written by `crongate init` from what it found in this project.",
        "# Every setting also has a command-line flag, and a flag wins over this file.",
        "",
    ]
    for note in facts.notes:
        lines.append(f"# NOTE: {note}.")
    if facts.notes:
        lines.append("")

    origin = "convex.json" if facts.functions_dir_source == "convex.json" else "Convex's default; convex.json sets none"
    lines += [f"# The Convex functions directory (from {origin}).", f"functions_dir: {_quoted(facts.functions_dir)}", ""]

    lines.append("# The cron jobs. Convex loads them only from crons.ts at the root of the functions directory.")
    if facts.crons_file:
        lines.append(f"manifest: {_quoted(facts.crons_file)}")
    else:
        lines.append(f"# manifest: {_quoted(facts.functions_dir + '/crons.ts')}  # not found")
    lines.append("")

    lines.append("# The file with the registry functions and the add<Name>Job migrations that create rows.")
    if facts.registry_file:
        lines.append(f"migrations: {_quoted(facts.registry_file)}")
    else:
        lines.append(f"# migrations: {_quoted(facts.functions_dir + '/systemJobs.ts')}  # not found")
    lines += [
        "",
        "# The lowest severity that fails the gate: error, warning or never.",
        "fail_on: error",
        "",
    ]
    lines += _render_registry(facts)
    lines += _render_scaffold(facts)
    return "\n".join(lines) + "\n"


def _render_registry(facts: ProjectFacts) -> list[str]:
    lines = [
        "registry:",
        "  # crongate reads the deployment URL and deploy key from the environment (CONVEX_URL,",
        "  # CONVEX_DEPLOY_KEY) or from --url. Never write a key in this file. To read an export",
        "  # ZIP from `npx convex export` instead of a deployment, name it here:",
        "  # snapshot: \"snapshot.zip\"",
        "",
    ]
    where = f"{facts.functions_dir}/schema.ts" if facts.table_found else "the default; not found in schema.ts"
    lines.append(f"  # The registry table ({where}).")
    if facts.key_index:
        lines.append(f"  # Its index {facts.key_index} on {facts.fields.key} is what scaffolded migrations look keys up with.")
    elif facts.table_found:
        lines.append(f"  # It has no index on {facts.fields.key}; add one, or scaffolded migrations scan the table.")
    lines += [f"  table: {_quoted(facts.table)}", ""]

    source = facts.registry_file or "the registry file"
    kinds = {function.name: function.kind for function in facts.functions}

    def function_line(setting: str, value: str | None, what: str, missing: str) -> list[str]:
        if value is None:
            placeholder = f"{facts.registry_module or 'systemJobs'}:..."
            return [f"  # {what}: none found in {source}.", f"  # {missing}", f"  # {setting}: {_quoted(placeholder)}"]
        name = value.split(":", 1)[1]
        return [f"  # {what}: {name} ({kinds.get(name, 'function')} in {source}).", f"  {setting}: {_quoted(value)}"]

    lines += function_line("list_function", facts.list_function, "The query that returns every row",
                           "crongate calls systemJobs:listAll unless page_function is set.")
    lines += function_line("page_function", facts.page_function, "The paginated query (takes paginationOpts)",
                           "Without one, list_function returns all rows in one call.")
    lines += function_line("enable_function", facts.enable_function, "The mutation `migrate` calls to enable a job",
                           "Without one, `migrate` cannot enable a disabled job.")
    lines += function_line("upsert_function", facts.upsert_function, "The mutation that fixes a row's schedule or name",
                           "Without one, such drift needs a manual change.")
    lines.append("")

    defaults = FieldMap()
    renamed = [a for a in FieldMap.attribute_names() if getattr(facts.fields, a) != getattr(defaults, a)]
    if renamed:
        lines.append("  # Field names that differ from crongate's defaults (found in schema.ts).")
        lines.append("  fields:")
        for attribute in renamed:
            lines.append(f"    {attribute}: {_quoted(getattr(facts.fields, attribute))}"
                         f"  # default: {getattr(defaults, attribute)}")
    elif facts.table_found:
        lines.append("  # The table uses crongate's default field names, so `fields:` is not needed.")
    if facts.missing_fields:
        missing = ", ".join(getattr(facts.fields, attribute) for attribute in facts.missing_fields)
        lines.append(f"  # Not in the table, so read as absent: {missing}.")
    lines.append("")
    return lines


def _render_scaffold(facts: ProjectFacts) -> list[str]:
    defaults = ScaffoldSettings()
    lines = [
        "# How `crongate scaffold` names and fills new migrations.",
        "scaffold:",
        "  # Words spelled in capitals in function and row names (ai-proxy -> addAIProxyJob).",
        f"  acronyms: [{', '.join(_quoted(word) for word in defaults.acronyms)}]",
        "  # The category of a new row, by the module of the job's function (longest prefix wins).",
    ]
    if facts.categories:
        lines.append("  # Learned from the categories that the existing migrations write.")
        lines.append("  categories:")
        for module, category in facts.categories:
            lines.append(f"    - {{module: {_quoted(module)}, category: {_quoted(category)}}}")
    else:
        lines.append("  # categories:")
        lines.append("  #   - {module: \"reports\", category: \"reporting\"}")
    lines.append(f"  default_category: {_quoted(defaults.default_category)}")
    return lines


def _quoted(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, so any text survives the round trip.
    return json.dumps(value, ensure_ascii=False)


# --- Writing -------------------------------------------------------------------------------------


def write_config(root: Path, text: str, *, force: bool = False) -> Path:
    """Write ``crongate.yml`` at the project root and return its path.

    Raises UsageError when a config file exists and ``force`` is false, or when the write fails.
    """
    existing = find_config(root)
    if existing is not None and not force:
        raise UsageError(f"{existing} already exists",
                         hint="edit it, or run `crongate init --force` to replace it with a new one")
    path = existing or root / CONFIG_NAMES[0]
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}", hint="check that the folder is writable") from None
    logger.info("wrote %s", path)
    return path








def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()

