"""Generate the missing ``add<Name>Job`` migrations for ``crongate scaffold``.

For every cron job that no migration creates a row for, this module writes an exported
mutation in the pattern the app's ``systemJobs.ts`` already uses. The mutation looks the job
key up by its index and returns the existing row's id. Otherwise it inserts a row with the
key, a human name, the description (the comment above the registration), a category, the
schedule in the registry's ``{type, value}`` shape, ``enabled: true``, zeroed counters and
timestamps.

The pattern (wrapper, import, index, field order, how ``now`` is computed, quotes,
indentation, semicolons, trailing commas) is learned from the last existing migration in the
file, with tree-sitter. A file with no migration gets a default pattern in the style of the
rest of the file, and a missing file is created with its imports.

The edit only adds lines: the new functions go at the end of the file and a missing import
goes on a new line after the last import, so every existing line stays as it was. The one
exception is a file whose last line has no newline, which gets one. The generated migrations
are in the form that ``crongate.manifest.migrations`` recognises, so a second run adds nothing.

The core never writes unless ``write_scaffold`` is called, and never prints.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tree_sitter import Node

from crongate.config import Config, ScaffoldSettings
from crongate.errors import ManifestError, UsageError
from crongate.keys import keys_for_cron_name, new_row_key, slugify
from crongate.manifest.evaluator import (
    exported_calls,
    call_arguments,
    iter_nodes,
    key_text,
    member_name,
    named_children,
    node_text,
    parse_typescript,
    string_value,
    unwrap,
)
from crongate.manifest.schema_file import SchemaFile, TableShape, read_schema_file
from crongate.source_file import NotRegularFileError, read_source_file
from crongate.model import CronJob, Migration
from crongate.registry.interface import FieldMap
from crongate.schedule import InvalidSchedule, schedule_from_job

logger = logging.getLogger(__name__)

MAX_SOURCE_BYTES = 5 * 1024 * 1024

# Prettier's default print width. Long lines are wrapped the way prettier wraps them, so a
# prettier-formatted file stays formatted after the functions are added.
PRINT_WIDTH = 80

# Seconds per registry interval unit, by the names an app's schema may use.
UNIT_SECONDS = {
    "seconds": 1, "second": 1,
    "minutes": 60, "minute": 60,
    "hours": 3600, "hour": 3600,
    "days": 86400, "day": 86400,
    "weeks": 604800, "week": 604800,
}
DEFAULT_UNITS = ("seconds", "minutes", "hours", "days")

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

# Literal value nodes that can be copied from one migration to another unchanged.
_LITERAL_NODES = frozenset({"string", "number", "true", "false", "null", "undefined"})


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationPattern:
    """The app's way of writing a migration, learned from ``systemJobs.ts`` or the defaults."""

    table: str = "systemJobs"
    key_field: str = "jobKey"
    wrapper: str = "internalMutation"
    server_module: str = "./_generated/server"  # where the wrapper is imported from
    wrapper_imported: bool = False
    index: str | None = None  # None: look the key up with .filter(), which scans the table
    fields: tuple[str, ...] = ()  # inserted fields in order, or empty for the schema's or FieldMap's fields
    copied_values: tuple[tuple[str, str, bool], ...] = ()  # (field, source text, is a literal)
    has_args: bool = True
    handler_style: str = "arrow"  # "arrow": handler: async (ctx) => {}; "method": async handler(ctx) {}
    context_parameter: str = "ctx"  # the handler's first parameter as written, type included
    context_name: str = "ctx"
    existing_name: str = "existing"
    return_existing_id: bool = True  # return existing._id (True) or the row itself
    now_name: str | None = "now"  # None: the timestamp expression is written in each field
    now_expression: str = "Date.now()"
    indent: str = "  "
    quote: str = '"'
    semicolons: bool = True
    trailing_commas: bool = True
    bracket_spacing: bool = True
    newline: str = "\n"
    learned_from: str | None = None  # the migration the pattern was learned from


@dataclass(frozen=True)
class GeneratedMigration:
    """One generated ``add<Name>Job`` function."""

    job: str  # the cron name
    job_key: str
    function: str  # the exported name
    interval: Mapping[str, Any] | None
    text: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScaffoldResult:
    """The migrations file before and after, the diff, and what was added.

    ``original`` is None when the file does not exist yet. ``warnings`` lists what a reviewer
    must check, such as a schedule that the registry's interval cannot represent.
    """

    path: Path
    label: str  # the path relative to the project root, for messages and the diff header
    original: str | None
    text: str
    diff: str
    added: tuple[GeneratedMigration, ...]
    pattern: MigrationPattern
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.original != self.text


@dataclass(frozen=True)
class _Field:
    """One line of the inserted object: ``name: value``, with an optional comment above it."""

    name: str
    value: str
    comment: str | None = None


# --- Names ----------------------------------------------------------------------------------


def name_words(cron_name: str, acronyms: Iterable[str]) -> list[str]:
    """Split a cron name into capitalised words, spelling acronyms as configured.

    ``"ai-proxy-orchestrator"`` with ``AI`` in the list gives ``["AI", "Proxy", "Orchestrator"]``.
    """
    spelled = {acronym.lower(): acronym for acronym in acronyms}
    words = []
    for word in slugify(cron_name).split("-"):
        if not word:
            continue
        words.append(spelled.get(word, word[:1].upper() + word[1:]))
    return words


def function_name(cron_name: str, acronyms: Iterable[str]) -> str:
    """Return the conventional migration name: ``ai-proxy-orchestrator`` -> ``addAIProxyOrchestratorJob``."""
    return "add" + ("".join(name_words(cron_name, acronyms)) or "Unnamed") + "Job"


def human_name(cron_name: str, acronyms: Iterable[str]) -> str:
    """Return the row's display name: ``ai-proxy-orchestrator`` -> ``AI Proxy Orchestrator``."""
    return " ".join(name_words(cron_name, acronyms)) or cron_name


def category_for(function: str, settings: ScaffoldSettings) -> str:
    """Pick the category of a job from its function's module, by the longest matching prefix.

    ``function`` is in Convex path form (``dir/file:fn``); its module is ``dir/file``.
    """
    module = function.split(":", 1)[0]
    best: tuple[int, str] | None = None
    for prefix, category in settings.categories:
        if module.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), category)
    return best[1] if best else settings.default_category


# --- The schedule in the registry's shape ---------------------------------------------------


@dataclass(frozen=True)
class IntervalChoice:
    """The registry value for a job's schedule; ``todo`` is set when it is only an approximation."""

    value: dict[str, Any]
    todo: str | None = None


def interval_for_job(
    job: CronJob,
    units: Sequence[str],
    used_units: Mapping[int, str] | None = None,
) -> IntervalChoice:
    """Express a cron job's schedule as ``{type: <unit>, value: n}`` with a unit the schema accepts.

    ``units`` are the schema's unit names (``"cron"`` among them allows a cron string).
    ``used_units`` maps a period in seconds to the unit the app's existing migrations use for
    it, so that a daily job is written as ``{type: "hours", value: 24}`` in an app that writes
    daily jobs that way. Otherwise the unit written in ``crons.ts`` wins for an interval, and
    the largest unit that divides the period for a calendar schedule.
    """
    try:
        schedule = schedule_from_job(job.kind, job.schedule)
    except InvalidSchedule as error:
        # `crongate check` reports this as invalid-schedule, so scaffold only writes a placeholder.
        return IntervalChoice(_unit_value(60, units), f"the schedule in crons.ts is invalid ({error.message}); fix it first")

    period = schedule.period_seconds
    usable = [unit for unit in units if unit in UNIT_SECONDS]
    if period is not None:
        preferred = []
        if used_units and period in used_units and used_units[period] in usable:
            preferred.append(used_units[period])
        if job.kind == "interval" and isinstance(job.schedule, Mapping):
            preferred.extend(unit for unit in job.schedule if unit in usable)
        for unit in preferred:
            if period % UNIT_SECONDS[unit] == 0:
                return IntervalChoice({"type": unit, "value": period // UNIT_SECONDS[unit]})
        for unit in sorted(usable, key=lambda name: -UNIT_SECONDS[name]):
            if period % UNIT_SECONDS[unit] == 0:
                return IntervalChoice({"type": unit, "value": period // UNIT_SECONDS[unit]})
        return IntervalChoice(
            _unit_value(period, usable),
            f"{schedule.describe()} is {period} seconds, which no unit of the schema's interval divides; "
            "the value is rounded",
        )

    cron = schedule.to_cron()
    if "cron" in units and cron is not None:
        return IntervalChoice({"type": "cron", "value": cron})
    return IntervalChoice(
        _unit_value(schedule.max_gap_seconds(), usable),
        f"{schedule.describe()} has no fixed period, so no interval can represent it; "
        "the value is its longest gap between runs",
    )


def _unit_value(seconds: int, units: Sequence[str]) -> dict[str, Any]:
    """Round ``seconds`` to the largest usable unit that gives a value of at least 1."""
    usable = sorted((unit for unit in units if unit in UNIT_SECONDS), key=lambda name: -UNIT_SECONDS[name])
    if not usable:
        usable = list(DEFAULT_UNITS[::-1])
    for unit in usable:
        if seconds >= UNIT_SECONDS[unit]:
            return {"type": unit, "value": max(1, round(seconds / UNIT_SECONDS[unit]))}
    return {"type": usable[-1], "value": 1}


# --- Learning the pattern ---------------------------------------------------------------------


@dataclass(frozen=True)
class _SourceFacts:
    """Facts about the existing migrations file that the scaffold needs."""

    pattern: MigrationPattern
    declared_names: frozenset[str]
    import_end_line: int | None  # the 0-based line after which a new import goes, or None for the top
    used_units: dict[int, str]  # period in seconds -> unit of an existing migration's interval


def learn_pattern(
    source: str | None,
    *,
    table: str = "systemJobs",
    fields: FieldMap = FieldMap(),
    table_shape: TableShape | None = None,
    server_module: str = "./_generated/server",
) -> MigrationPattern:
    """Learn how the app writes a migration from the text of its ``systemJobs.ts``."""
    return _learn(source, table, fields, table_shape, server_module).pattern


def _learn(
    source: str | None,
    table: str,
    fields: FieldMap,
    table_shape: TableShape | None,
    server_module: str,
) -> _SourceFacts:
    index = table_shape.index_on(fields.key) if table_shape else None
    default = MigrationPattern(table=table, key_field=fields.key, server_module=server_module, index=index)
    if not source:
        return _SourceFacts(default, frozenset(), None, {})

    data = source.encode("utf-8")
    root = parse_typescript(data).root_node
    imports = _imported_names(root)
    declared = frozenset(_declared_names(root)) | frozenset(imports)
    import_lines = [node.end_point.row for node in named_children(root) if node.type == "import_statement"]
    import_end = max(import_lines) if import_lines else None

    style = _file_style(root, source)
    candidates = _migrations_in(root, table, fields.key)
    used_units = _used_units(candidates, fields.schedule)
    # ESM projects import "./_generated/server.js"; keep whichever form the file uses.
    server_import = next(
        (module for module in imports.values() if module.removesuffix(".js").endswith("_generated/server")), None
    )

    if not candidates:
        learned_index = _index_in_file(root, fields.key) or index
        pattern = MigrationPattern(
            table=table,
            key_field=fields.key,
            server_module=server_import or server_module,
            wrapper_imported="internalMutation" in imports,
            index=learned_index,
            **style,
        )
        return _SourceFacts(pattern, declared, import_end, used_units)

    name, call, insert_object, handler = candidates[-1]
    pattern = _pattern_from_migration(name, call, insert_object, handler, table, fields, style)
    pattern = replace(
        pattern,
        index=pattern.index or _index_in_file(root, fields.key) or index,
        server_module=imports.get(pattern.wrapper, server_import or server_module),
        wrapper_imported=pattern.wrapper in imports,
    )
    return _SourceFacts(pattern, declared, import_end, used_units)


def _pattern_from_migration(
    name: str, call: Node, insert_object: Node, handler: Node, table: str, fields: FieldMap, style: dict[str, Any],
) -> MigrationPattern:
    wrapper = node_text(call.child_by_field_name("function"))
    options = unwrap(call_arguments(call)[0])
    has_args = any(
        member.type == "pair" and key_text(member.child_by_field_name("key")) == "args"
        for member in named_children(options)
    )

    handler_style = "method" if handler.type == "method_definition" else "arrow"
    context_parameter, context_name = "ctx", "ctx"
    parameters = handler.child_by_field_name("parameters")
    if parameters is not None and named_children(parameters):
        first = named_children(parameters)[0]
        context_parameter = node_text(first)
        pattern_node = first.child_by_field_name("pattern")
        if pattern_node is not None and pattern_node.type == "identifier":
            context_name = node_text(pattern_node)

    body = handler.child_by_field_name("body")
    local_constants = _local_constants(body) if body is not None else {}

    existing_name = "existing"
    for constant, value in local_constants.items():
        if any(node.type == "property_identifier" and node_text(node) in ("withIndex", "query", "filter")
               for node in iter_nodes(value)):
            existing_name = constant
            break
    return_existing_id = True
    for node in iter_nodes(body) if body is not None else ():
        if node.type == "return_statement" and named_children(node):
            returned = node_text(named_children(node)[0])
            if returned == existing_name:
                return_existing_id = False
                break
            if returned.startswith(existing_name + "."):
                break

    index = None
    for node in iter_nodes(handler):
        if node.type == "call_expression" and member_name(node) == "withIndex":
            arguments = call_arguments(node)
            if arguments and arguments[0].type == "string":
                index = string_value(arguments[0])
                break

    inserted: list[str] = []
    copied: list[tuple[str, str, bool]] = []
    now_name: str | None = None
    now_expression = "Date.now()"
    roles = _roles(fields)
    for member in named_children(insert_object):
        if member.type == "pair":
            key = key_text(member.child_by_field_name("key"))
            value = member.child_by_field_name("value")
        elif member.type == "shorthand_property_identifier":
            key, value = node_text(member), member
        else:
            continue
        if key is None or value is None:
            continue
        inserted.append(key)
        role = roles.get(key)
        if role in ("created_at", "updated_at"):
            value_text = node_text(value)
            if value.type in ("identifier", "shorthand_property_identifier") and value_text in local_constants:
                now_name = value_text
                now_expression = node_text(local_constants[value_text])
            elif now_name is None:
                now_expression = value_text
        elif role is None or role in ("last_run_at", "last_status"):
            copied.append((key, node_text(value), _is_literal(value)))

    return MigrationPattern(
        table=table,
        key_field=fields.key,
        wrapper=wrapper,
        index=index,
        fields=tuple(inserted),
        copied_values=tuple(copied),
        has_args=has_args,
        handler_style=handler_style,
        context_parameter=context_parameter,
        context_name=context_name,
        existing_name=existing_name,
        return_existing_id=return_existing_id,
        now_name=now_name,
        now_expression=now_expression,
        learned_from=name,
        **{**style, "bracket_spacing": _bracket_spacing(insert_object, style["bracket_spacing"])},
    )


def _migrations_in(root: Node, table: str, key_field: str) -> list[tuple[str, Node, Node, Node]]:
    """Return (name, wrapper call, inserted object, handler) for each exported migration."""
    found = []
    for name, _callee, call in exported_calls(root):
        arguments = call_arguments(call)
        if not arguments or unwrap(arguments[0]).type != "object":
            continue
        handler = _handler_of(unwrap(arguments[0]))
        if handler is None:
            continue
        for node in iter_nodes(handler):
            if node.type != "call_expression" or member_name(node) != "insert":
                continue
            insert_arguments = call_arguments(node)
            if len(insert_arguments) < 2 or insert_arguments[0].type != "string":
                continue
            document = unwrap(insert_arguments[1])
            if string_value(insert_arguments[0]) == table and document.type == "object" and any(
                member.type == "pair" and key_text(member.child_by_field_name("key")) == key_field
                for member in named_children(document)
            ):
                found.append((name, call, document, handler))
                break
    return found


def _handler_of(options: Node) -> Node | None:
    for member in named_children(options):
        if member.type == "method_definition" and key_text(member.child_by_field_name("name")) == "handler":
            return member
        if member.type == "pair" and key_text(member.child_by_field_name("key")) == "handler":
            value = member.child_by_field_name("value")
            if value is not None and unwrap(value).type in ("arrow_function", "function_expression", "function"):
                return unwrap(value)
    return None


def _used_units(candidates: list[tuple[str, Node, Node, Node]], schedule_field: str) -> dict[int, str]:
    """Map each period that an existing migration writes to the unit it writes it in."""
    used: dict[int, str] = {}
    for _name, _call, document, _handler in candidates:
        for member in named_children(document):
            if member.type != "pair" or key_text(member.child_by_field_name("key")) != schedule_field:
                continue
            value = unwrap(member.child_by_field_name("value"))
            if value.type != "object":
                continue
            parts = {
                key_text(pair.child_by_field_name("key")): pair.child_by_field_name("value")
                for pair in named_children(value) if pair.type == "pair"
            }
            unit_node, number_node = parts.get("type"), parts.get("value")
            if unit_node is None or number_node is None or unit_node.type != "string" or number_node.type != "number":
                continue
            unit = string_value(unit_node)
            try:
                number = int(node_text(number_node))
            except ValueError:
                continue
            if unit in UNIT_SECONDS:
                used.setdefault(number * UNIT_SECONDS[unit], unit)
    return used


def _index_in_file(root: Node, key_field: str) -> str | None:
    """Return the index of a ``.withIndex(name, (q) => q.eq("<key field>", ...))`` anywhere in the file."""
    for node in iter_nodes(root):
        if node.type != "call_expression" or member_name(node) != "withIndex":
            continue
        arguments = call_arguments(node)
        if len(arguments) < 2 or arguments[0].type != "string":
            continue
        for inner in iter_nodes(arguments[1]):
            if inner.type == "call_expression" and member_name(inner) == "eq":
                eq_arguments = call_arguments(inner)
                if eq_arguments and eq_arguments[0].type == "string" and string_value(eq_arguments[0]) == key_field:
                    return string_value(arguments[0])
    return None


def _file_style(root: Node, source: str) -> dict[str, Any]:
    """Learn indentation, quotes, semicolons, trailing commas and line endings from any file."""
    style: dict[str, Any] = {"newline": "\r\n" if "\r\n" in source else "\n"}

    indents = []
    for line in source.splitlines():
        stripped = line.lstrip(" \t")
        if stripped and stripped != line and not stripped.startswith("*"):
            indents.append(line[: len(line) - len(stripped)])
    if indents:
        smallest = min(indents, key=len)
        style["indent"] = "\t" if smallest.startswith("\t") else smallest

    for node in iter_nodes(root):
        if node.type == "string" and node.text:
            style["quote"] = "'" if node.text.startswith(b"'") else '"'
            break

    statements = [node for node in named_children(root) if node.type in ("import_statement", "export_statement",
                                                                         "lexical_declaration", "expression_statement")]
    if statements:
        style["semicolons"] = any(_ends_with_semicolon(node) for node in statements)

    # Only an object or array whose closing bracket is on its own line shows the choice,
    # because prettier puts no comma after a call's single, hugged argument.
    for node in iter_nodes(root):
        if node.type not in ("object", "array"):
            continue
        members = [child for child in node.children if child.type != "comment"]
        if len(members) >= 3 and members[-2].end_point.row < members[-1].start_point.row:
            style["trailing_commas"] = members[-2].type == ","
            break

    for node in iter_nodes(root):
        if node.type in ("named_imports", "object") and node.start_point.row == node.end_point.row and node.named_children:
            style["bracket_spacing"] = (node.text or b"").startswith(b"{ ")
            break
    style.setdefault("bracket_spacing", True)
    return style


def _ends_with_semicolon(statement: Node) -> bool:
    node = statement
    while node.children:
        last = node.children[-1]
        if last.type == ";":
            return True
        if last.type in ("lexical_declaration", "expression_statement"):
            node = last
            continue
        return False
    return False


def _bracket_spacing(document: Node, default: bool) -> bool:
    for node in iter_nodes(document):
        if node is not document and node.type == "object" and node.start_point.row == node.end_point.row and node.named_children:
            return (node.text or b"").startswith(b"{ ")
    return default


def _imported_names(root: Node) -> dict[str, str]:
    """Map each local name that an import statement binds to the module it comes from."""
    names: dict[str, str] = {}
    for statement in named_children(root):
        if statement.type != "import_statement":
            continue
        source = statement.child_by_field_name("source")
        module = string_value(source) if source is not None else ""
        for node in iter_nodes(statement):
            if node.type == "import_specifier":
                alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                if alias is not None:
                    names[node_text(alias)] = module
            elif node.type == "import_clause":
                for child in node.named_children:
                    if child.type == "identifier":
                        names[node_text(child)] = module
            elif node.type == "namespace_import":
                for child in node.named_children:
                    if child.type == "identifier":
                        names[node_text(child)] = module
    return names


def _declared_names(root: Node) -> list[str]:
    """Return the names that top-level declarations bind, exported or not."""
    names = []
    for statement in named_children(root):
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        if declaration.type in ("lexical_declaration", "variable_declaration"):
            for declarator in named_children(declaration):
                name = declarator.child_by_field_name("name")
                if name is not None:
                    names.extend(node_text(node) for node in iter_nodes(name)
                                 if node.type in ("identifier", "shorthand_property_identifier_pattern"))
        elif declaration.type in ("function_declaration", "class_declaration", "generator_function_declaration"):
            name = declaration.child_by_field_name("name")
            if name is not None:
                names.append(node_text(name))
        if statement.type == "export_statement":
            for node in iter_nodes(statement):
                if node.type == "export_specifier":
                    alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                    if alias is not None:
                        names.append(node_text(alias))
    return names


def _local_constants(body: Node) -> dict[str, Node]:
    constants: dict[str, Node] = {}
    for statement in named_children(body):
        if statement.type != "lexical_declaration":
            continue
        for declarator in named_children(statement):
            name = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name is not None and name.type == "identifier" and value is not None:
                constants[node_text(name)] = value
    return constants


def _roles(fields: FieldMap) -> dict[str, str]:
    """Map each registry field name to its FieldMap attribute (``"jobKey"`` -> ``"key"``)."""
    return {getattr(fields, attribute): attribute for attribute in FieldMap.attribute_names()}


def _is_literal(node: Node) -> bool:
    node = unwrap(node)
    if node.type in _LITERAL_NODES:
        return True
    if node.type == "template_string":
        return not any(child.type == "template_substitution" for child in node.named_children)
    if node.type == "unary_expression":
        return all(_is_literal(child) for child in named_children(node))
    if node.type == "array":
        return all(_is_literal(child) for child in named_children(node))
    if node.type == "object":
        return all(
            member.type == "pair" and _is_literal(member.child_by_field_name("value"))
            for member in named_children(node)
        )
    return False








# --- Rendering --------------------------------------------------------------------------------


def js_string(value: str, quote: str = '"') -> str:
    """Return ``value`` as a JavaScript string literal in the given quote style."""
    # json.dumps escapes control characters, backslashes and double quotes correctly for JavaScript.
    encoded = json.dumps(value, ensure_ascii=False)
    # U+2028 and U+2029 are valid in JSON strings but ended string literals before ES2019.
    encoded = encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if quote == "'":
        encoded = "'" + encoded[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
    return encoded


def _object_key(name: str, quote: str) -> str:
    return name if _IDENTIFIER.match(name) else js_string(name, quote)


def render_value(value: Any, pattern: MigrationPattern) -> str:
    """Render a JSON-like value as a TypeScript expression in the pattern's style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return js_string(value, pattern.quote)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{_object_key(str(k), pattern.quote)}: {render_value(v, pattern)}" for k, v in value.items())
        return f"{{ {inner} }}" if pattern.bracket_spacing else f"{{{inner}}}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(item, pattern) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as TypeScript")


def render_migration(pattern: MigrationPattern, function: str, job_key: str, fields: Sequence[_Field]) -> str:
    """Render one migration function in the pattern's style; lines end with ``pattern.newline``."""
    i = pattern.indent
    semicolon = ";" if pattern.semicolons else ""
    comma = "," if pattern.trailing_commas else ""
    q = pattern.quote
    ctx = pattern.context_name
    existing = pattern.existing_name

    lines = [f"export const {function} = {pattern.wrapper}({{"]
    if pattern.has_args:
        lines.append(f"{i}args: {{}},")
    if pattern.handler_style == "method":
        lines.append(f"{i}async handler({pattern.context_parameter}) {{")
    else:
        lines.append(f"{i}handler: async ({pattern.context_parameter}) => {{")

    body = i * 2
    lines.append(f"{body}const {existing} = await {ctx}.db")
    lines.append(f"{body}{i}.query({js_string(pattern.table, q)})")
    if pattern.index is not None:
        condition = f"q.eq({js_string(pattern.key_field, q)}, {js_string(job_key, q)})"
        single = f"{body}{i}.withIndex({js_string(pattern.index, q)}, (q) => {condition})"
        if len(single) <= PRINT_WIDTH:
            lines.append(single)
        else:
            lines.append(f"{body}{i}.withIndex({js_string(pattern.index, q)}, (q) =>")
            lines.append(f"{body}{i * 2}{condition}{comma}")
            lines.append(f"{body}{i})")
        lines.append(f"{body}{i}.unique(){semicolon}")
    else:
        condition = f"q.eq(q.field({js_string(pattern.key_field, q)}), {js_string(job_key, q)})"
        single = f"{body}{i}.filter((q) => {condition})"
        if len(single) <= PRINT_WIDTH:
            lines.append(single)
        else:
            lines.append(f"{body}{i}.filter((q) =>")
            lines.append(f"{body}{i * 2}{condition}{comma}")
            lines.append(f"{body}{i})")
        lines.append(f"{body}{i}.first(){semicolon}")

    lines.append(f"{body}if ({existing} !== null) {{")
    lines.append(f"{body}{i}return {existing}{'._id' if pattern.return_existing_id else ''}{semicolon}")
    lines.append(f"{body}}}")
    if pattern.now_name is not None:
        lines.append(f"{body}const {pattern.now_name} = {pattern.now_expression}{semicolon}")
    lines.append(f"{body}return await {ctx}.db.insert({js_string(pattern.table, q)}, {{")

    member = body + i
    for position, item in enumerate(fields):
        last = position == len(fields) - 1
        end = comma if last else ","
        if item.comment:
            lines.append(f"{member}// {item.comment}")
        key = _object_key(item.name, q)
        single = f"{member}{key}: {item.value}{end}"
        if len(single) > PRINT_WIDTH and item.value[:1] in ("'", '"'):
            # Prettier moves a long string to its own line rather than splitting it.
            lines.append(f"{member}{key}:")
            lines.append(f"{member}{i}{item.value}{end}")
        else:
            lines.append(single)
    lines.append(f"{body}}}){semicolon}")

    lines.append(f"{i}}}{comma}")
    lines.append(f"}}){semicolon}")
    return pattern.newline.join(lines) + pattern.newline


def _fields_for(
    job: CronJob,
    job_key: str,
    interval: IntervalChoice,
    pattern: MigrationPattern,
    fields: FieldMap,
    settings: ScaffoldSettings,
    table_shape: TableShape | None,
) -> tuple[list[_Field], list[str]]:
    """Return the inserted fields for one job, in the pattern's order, and warnings for the reviewer."""
    roles = _roles(fields)
    warnings: list[str] = []
    description = job.description or _fallback_description(job)
    timestamp = pattern.now_name or pattern.now_expression
    values = {
        "key": js_string(job_key, pattern.quote),
        "name": js_string(human_name(job.name, settings.acronyms), pattern.quote),
        "description": js_string(description, pattern.quote),
        "category": js_string(category_for(job.function, settings), pattern.quote),
        "schedule": render_value(interval.value, pattern),
        "enabled": "true",
        "total_runs": "0",
        "success_count": "0",
        "error_count": "0",
        "created_at": timestamp,
        "updated_at": timestamp,
    }
    copied = {name: (text, literal) for name, text, literal in pattern.copied_values}

    if pattern.fields:
        order = list(pattern.fields)
    elif table_shape is not None and table_shape.fields:
        order = [name for name in table_shape.fields if roles.get(name) not in ("last_run_at", "last_status")]
    else:
        order = [getattr(fields, role) for role in values]

    result: list[_Field] = []
    for name in order:
        role = roles.get(name)
        if role in values:
            comment = None
            if role == "schedule" and interval.todo:
                comment = f"TODO: {interval.todo}."
                warnings.append(f"{job.name}: {interval.todo}")
            result.append(_Field(name, values[role], comment))
        elif name in copied:
            text, literal = copied[name]
            comment = None if literal else f"TODO: copied from {pattern.learned_from}; check that it fits this job."
            result.append(_Field(name, text, comment))
        else:
            # A schema field that crongate cannot fill; tsc reports it if the schema requires it.
            warnings.append(f"{job.name}: no value for field {name!r} of the {pattern.table} table")

    if not job.description:
        warnings.append(f"{job.name}: no comment above the registration in crons.ts, so the description is generated")
    return result, warnings


def _fallback_description(job: CronJob) -> str:
    try:
        when = schedule_from_job(job.kind, job.schedule).describe()
    except InvalidSchedule:
        when = f"on its {job.kind} schedule"
    return f"Runs {job.function} {when}."


# --- The whole file ----------------------------------------------------------------------------


def scaffold_source(
    source: str | None,
    jobs: Sequence[CronJob],
    migrations: Sequence[Migration],
    *,
    path: Path,
    label: str,
    settings: ScaffoldSettings = ScaffoldSettings(),
    table: str = "systemJobs",
    fields: FieldMap = FieldMap(),
    key_map: Mapping[str, str] | None = None,
    table_shape: TableShape | None = None,
    server_module: str = "./_generated/server",
) -> ScaffoldResult:
    """Add a migration for every job that none of ``migrations`` covers, and return the new text.

    ``source`` is the current text of the migrations file, or None when it does not exist.
    ``migrations`` are what the migrations reader found in it.
    """
    facts = _learn(source, table, fields, table_shape, server_module)
    pattern = facts.pattern
    covered = {migration.job_key for migration in migrations}
    used_names = set(facts.declared_names)
    units = list(table_shape.literal_types.get(fields.schedule, ())) if table_shape else []
    if not any(unit in UNIT_SECONDS for unit in units):
        units = [*units, *DEFAULT_UNITS]

    added: list[GeneratedMigration] = []
    warnings: list[str] = []
    if pattern.index is None:
        warnings.append(
            f"no index on {fields.key!r} found in {table!r}'s schema or in {label}; the migrations "
            "look the key up with .filter(), which reads the whole table"
        )
    for job in jobs:
        keys = keys_for_cron_name(job.name, dict(key_map or {}))
        if covered.intersection(keys):
            continue
        # The same key that the missing-job and missing-migration hints name.
        job_key = new_row_key(job.name, key_map)
        covered.add(job_key)

        name = function_name(job.name, settings.acronyms)
        if name in used_names:
            base, number = name, 2
            while f"{base}{number}" in used_names:
                number += 1
            name = f"{base}{number}"
            warnings.append(f"{job.name}: {base} already exists in {label} but creates another key; named it {name}")
        used_names.add(name)

        interval = interval_for_job(job, units, facts.used_units)
        row_fields, job_warnings = _fields_for(job, job_key, interval, pattern, fields, settings, table_shape)
        text = render_migration(pattern, name, job_key, row_fields)
        added.append(GeneratedMigration(job.name, job_key, name, interval.value, text, tuple(job_warnings)))
        warnings.extend(job_warnings)

    new_text = _insert(source, added, pattern, facts.import_end_line)
    return ScaffoldResult(
        path=path,
        label=label,
        original=source,
        text=new_text,
        diff=unified_diff(source, new_text, label),
        added=tuple(added),
        pattern=pattern,
        warnings=tuple(warnings),
    )


def _insert(source: str | None, added: Sequence[GeneratedMigration], pattern: MigrationPattern,
            import_end_line: int | None) -> str:
    """Return ``source`` with the import (if missing) and the functions added; no line changes."""
    if not added:
        return source if source is not None else ""
    newline = pattern.newline
    lines = (source or "").splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline

    if not pattern.wrapper_imported:
        spacing = " " if pattern.bracket_spacing else ""
        statement = (f"import {{{spacing}{pattern.wrapper}{spacing}}} from "
                     f"{js_string(pattern.server_module, pattern.quote)}{';' if pattern.semicolons else ''}{newline}")
        if import_end_line is not None:
            lines.insert(import_end_line + 1, statement)
        elif lines:
            lines[0:0] = [statement, newline]
        else:
            lines.append(statement)

    blocks = [migration.text for migration in added]
    if lines and lines[-1].strip():
        lines.append(newline)
    lines.append(newline.join(blocks))
    return "".join(lines)


def unified_diff(before: str | None, after: str, label: str) -> str:
    """Return a unified diff from ``before`` (None: no file) to ``after``, with git-style headers."""
    return "".join(difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="/dev/null" if before is None else f"a/{label}",
        tofile=f"b/{label}",
    ))


# --- The project ---------------------------------------------------------------------------------


def functions_dir_of(root: Path, config: Config) -> Path:
    """Return the Convex functions directory: config, then ``convex.json``, then ``convex``.

    Raises ManifestError when convex.json is invalid or the directory is outside ``root``.
    """
    from crongate.manifest.project import functions_dir_path

    return functions_dir_path(root, config.functions_dir)


def scaffold_project(root: Path, config: Config) -> ScaffoldResult:
    """Read the project's cron jobs and migrations and generate the missing migrations.

    Raises ManifestError when crons.ts cannot be read, and UsageError when the migrations
    file is too large or not UTF-8 text.
    """
    from crongate.check import build_manifest

    root = Path(os.path.normpath(root.absolute()))
    functions_dir = functions_dir_of(root, config)
    configured = Path(os.path.normpath(root / config.migrations)) if config.migrations is not None else None
    if configured is not None and not configured.exists():
        # The manifest reader rejects a configured file that is missing, but scaffold creates it.
        manifest = replace(build_manifest(root, replace(config, migrations=None)), migrations=())
        path = configured
    else:
        manifest = build_manifest(root, config)
        if manifest.migrations_file is not None:
            path = Path(os.path.normpath(root / manifest.migrations_file))
        else:
            path = functions_dir / "systemJobs.ts"
    label = _relative(path, root)

    source = _read_source(path, label)
    schema = read_schema_file(functions_dir / "schema.ts")
    table_shape = _table_shape(schema, config.registry.table)
    server_module = os.path.relpath(functions_dir / "_generated" / "server", path.parent)
    server_module = Path(server_module).as_posix()
    if not server_module.startswith("."):
        server_module = "./" + server_module

    result = scaffold_source(
        source,
        manifest.jobs,
        manifest.migrations,
        path=path,
        label=label,
        settings=config.scaffold,
        table=config.registry.table,
        fields=config.registry.fields,
        key_map=config.key_map,
        table_shape=table_shape,
        server_module=server_module,
    )
    if source is None and result.added:
        header = ("// The job registry's migrations: each add<Name>Job creates one cron job's row if it "
                  "is missing." + result.pattern.newline)
        text = _with_header(result.text, header, result.pattern.newline)
        result = replace(result, text=text, diff=unified_diff(None, text, label))

    dynamic = sum(1 for finding in manifest.findings if finding.rule == "dynamic-registration")
    if dynamic:
        note = (f"{dynamic} registrations in {manifest.crons_file} cannot be read without running the code "
                "(see `crongate check`), so their migrations must be written by hand")
        result = replace(result, warnings=(*result.warnings, note))
    logger.info("%s: %d cron jobs, %d migrations, %d to add", label, len(manifest.jobs),
                len(manifest.migrations), len(result.added))
    return result


def _with_header(text: str, header: str, newline: str) -> str:
    """Put a comment after the import block of a newly created file."""
    lines = text.splitlines(keepends=True)
    position = 0
    while position < len(lines) and lines[position].startswith("import "):
        position += 1
    return "".join(lines[:position] + [newline, header] + lines[position:])


def _table_shape(schema: SchemaFile, table: str) -> TableShape | None:
    shape = schema.table(table)
    if shape is None and schema.path is not None:
        logger.info("%s defines no table %r; using the default registry shape", schema.path, table)
    return shape


def _read_source(path: Path, label: str) -> str | None:
    try:
        data = read_source_file(path, MAX_SOURCE_BYTES)
    except FileNotFoundError:
        return None
    except NotRegularFileError as error:
        raise ManifestError(f"cannot read {label}: {error.strerror}",
                            hint="replace it with a regular file, or point `migrations:` in crongate.yml at one") from None
    except OSError as error:
        raise ManifestError(f"cannot read {label}: {error.strerror}", hint="check the file's permissions") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise UsageError(f"{label} is over {MAX_SOURCE_BYTES} bytes; scaffold edits files up to that size",
                         hint="point `migrations:` in crongate.yml at the hand-written systemJobs.ts")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{label} is not UTF-8 text (byte {error.start})",
                         hint="save the file as UTF-8, or point `migrations:` in crongate.yml at the right file") from None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def write_scaffold(result: ScaffoldResult) -> bool:
    """Write the new text if it differs, atomically; return whether the file changed.

    Raises UsageError when the file cannot be written.
    """
    if not result.changed:
        return False
    temporary = result.path.with_name(f".{result.path.name}.crongate-tmp")
    try:
        result.path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps the file's own line endings, which the text already carries.
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write(result.text)
        if result.path.exists():
            os.chmod(temporary, result.path.stat().st_mode & 0o7777)
        os.replace(temporary, result.path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"cannot write {result.label}: {error.strerror}",
                         hint="check that the file and its folder are writable") from None
    for migration in result.added:
        logger.info("added %s for cron job %r (key %r) to %s", migration.function, migration.job,
                    migration.job_key, result.label)
    return True
