"""The migrations reader: which exported mutations of ``systemJobs.ts`` create which rows.

A migration is a named export ``export const addFooJob = mutation(...)`` (or
``internalMutation``) whose handler calls ``ctx.db.insert("<table>", {...})`` with an object
whose key field (``jobKey`` by default) is a literal: written in place, a ``const``, or a
member of a ``const`` object. Its ``values`` are the inserted fields whose value is known
statically. A field such as ``createdAt: Date.now()`` is left out.

The reader also lists every exported Convex function of the file with its kind
(``query``, ``internalQuery``, ``mutation``, ``internalMutation``, ``action``,
``internalAction``, ``httpAction``), so the plan stage can tell whether ``listAll``,
``getByKey`` or ``enable`` exist and whether they are internal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from crongate.errors import ManifestError
from crongate.manifest.evaluator import (
    Module,
    ModuleLoader,
    UNDEFINED,
    call_arguments,
    find_unknown,
    iter_named_nodes,
    key_text,
    named_children,
    to_json,
    unwrap,
)
from crongate.source_file import read_source_file
from crongate.manifest.webhooks import redact_webhooks
from crongate.model import Finding, Location, Migration
from crongate.registry.interface import FieldMap

logger = logging.getLogger(__name__)

MAX_SOURCE_BYTES = 5 * 1024 * 1024

FUNCTION_KINDS = frozenset({
    "query", "internalQuery", "mutation", "internalMutation", "action", "internalAction", "httpAction",
})
MUTATION_KINDS = frozenset({"mutation", "internalMutation"})

_FUNCTION_NODES = frozenset({"arrow_function", "function_expression", "function"})


@dataclass(frozen=True)
class MigrationsReading:
    """The migrations and the exported Convex functions of a migrations file.

    ``field_locations`` maps (function, job key) to the location of each inserted field,
    so a finding about one field can point at its line.
    """

    migrations: tuple[Migration, ...]
    functions: dict[str, str]  # exported name -> kind, e.g. {"listAll": "internalQuery"}
    findings: tuple[Finding, ...] = ()
    field_locations: Mapping[tuple[str, str], Mapping[str, Location]] = field(default_factory=dict)


def module_path(path: Path, functions_dir: Path) -> str:
    """Return the Convex module path of a file: ``convex/admin/systemJobs.ts`` -> ``admin/systemJobs``."""
    relative = path.relative_to(functions_dir)
    return relative.with_suffix("").as_posix()


def read_migrations_file(
    path: Path,
    functions_dir: Path,
    table: str = "systemJobs",
    fields: FieldMap = FieldMap(),
    root: Path | None = None,
) -> MigrationsReading:
    """Read ``systemJobs.ts``. Raises ManifestError for a missing, unreadable or oversized file,
    or one outside the functions directory (Convex would not deploy its functions)."""
    label = _relative(path, root) if root is not None else path.as_posix()
    try:
        module = module_path(path, functions_dir)
    except ValueError:
        raise ManifestError(
            f"migrations file {label} is not inside the functions directory {functions_dir}",
            hint="move it into the functions directory, or point `migrations:` in crongate.yml at the file there",
        ) from None

    source = _read_source(path, label)
    return read_migrations_source(source, module, label, table, fields, path=path, root=root)


def read_migrations_source(
    source: bytes,
    module_name: str,
    file: str,
    table: str = "systemJobs",
    fields: FieldMap = FieldMap(),
    path: Path | None = None,
    root: Path | None = None,
) -> MigrationsReading:
    """Read migrations from source text.

    ``module_name`` is the Convex module path (``systemJobs``), ``file`` the path shown in
    locations. ``path`` and ``root`` let constants imported from other app modules resolve.
    """
    text = source.decode("utf-8", "replace")
    module = Module.from_source(text, path=path, loader=ModuleLoader(root), display_name=file)

    functions: dict[str, str] = {}
    migrations: list[Migration] = []
    field_locations: dict[tuple[str, str], dict[str, Location]] = {}
    for name, kind, call in _exported_functions(module):
        functions[name] = kind
        if kind not in MUTATION_KINDS:
            continue
        line = call.start_point.row + 1
        handler = _handler(call)
        if handler is None:
            logger.debug("%s:%d: %s has no handler that crongate can read", file, line, name)
            continue

        for insert in _inserts(module, handler, table):
            values, locations = _inserted_fields(module, insert, file)
            job_key = values.get(fields.key)
            if not isinstance(job_key, str):
                logger.info(
                    "%s:%d: %s inserts into %s, but its %s is not a literal, so it is not counted as a migration",
                    file, insert.start_point.row + 1, name, table, fields.key,
                )
                continue
            function = f"{module_name}:{name}"
            migrations.append(Migration(function, job_key, Location(file, line), values))
            field_locations[(function, job_key)] = locations

    return MigrationsReading(tuple(migrations), functions, (), field_locations)


def _read_source(path: Path, label: str) -> bytes:
    try:
        data = read_source_file(path, MAX_SOURCE_BYTES)
    except FileNotFoundError:
        raise ManifestError(
            f"migrations file {label} not found",
            hint="check `migrations:` in crongate.yml, or remove it to use <functions dir>/systemJobs.ts",
        ) from None
    except OSError as error:
        raise ManifestError(
            f"failed to read migrations file {label}: {error.strerror}",
            hint="point `migrations:` in crongate.yml at the app's systemJobs.ts, a readable regular file",
        ) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ManifestError(
            f"migrations file {label} is over the {MAX_SOURCE_BYTES} byte limit",
            hint="point `migrations:` in crongate.yml at the source file that defines the add<Name>Job mutations",
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"migrations file {label} is not UTF-8 text (invalid byte at offset {error.start})",
            hint="save the file as UTF-8",
        ) from None
    return data


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- Module structure -------------------------------------------------------------------

def _exported_functions(module: Module) -> list[tuple[str, str, Node]]:
    """Return (exported name, kind, constructor call) for each exported Convex function."""
    exported = []
    for name in module.export_names():
        node = module.export_node(name)
        if name == "default" or node is None:
            continue
        node = unwrap(node)
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            if value is None:
                continue
            node = unwrap(value)
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is not None and callee.type == "identifier" and module.text(callee) in FUNCTION_KINDS:
            exported.append((name, module.text(callee), node))
    return exported


def _handler(call: Node) -> Node | None:
    """Return the handler function of ``mutation({handler})`` or of the older ``mutation(fn)``."""
    arguments = call_arguments(call)
    if not arguments:
        return None
    argument = unwrap(arguments[0])
    if argument.type in _FUNCTION_NODES:
        return argument
    if argument.type != "object":
        return None
    for member in named_children(argument):
        if member.type == "method_definition" and key_text(member.child_by_field_name("name")) == "handler":
            return member
        if member.type == "pair" and key_text(member.child_by_field_name("key")) == "handler":
            value = member.child_by_field_name("value")
            if value is not None and unwrap(value).type in _FUNCTION_NODES:
                return unwrap(value)
    return None


def _inserts(module: Module, handler: Node, table: str) -> Iterator[Node]:
    """Yield the ``<ctx>.db.insert(table, document)`` calls in the handler."""
    for node in iter_named_nodes(handler):
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            continue
        if key_text(callee.child_by_field_name("property")) != "insert":
            continue
        receiver = callee.child_by_field_name("object")
        if receiver is None or receiver.type != "member_expression":
            continue
        if key_text(receiver.child_by_field_name("property")) != "db":
            continue

        arguments = call_arguments(node)
        if len(arguments) < 2:
            continue
        if module.evaluate(arguments[0], module.scope_at(arguments[0])) == table:
            yield node


# --- Values -----------------------------------------------------------------------------

def _inserted_fields(module: Module, insert: Node, file: str) -> tuple[dict[str, Any], dict[str, Location]]:
    """Return the known fields of the document an insert call writes, and where each is written.

    A field whose value is not fully known is left out, so a partly known schedule is never
    compared as if it were complete. String values pass through ``redact_webhooks``, since
    a migration may insert a URL and these values reach reports.
    """
    document = call_arguments(insert)[1]
    document_value = module.evaluate(document, module.scope_at(document))
    if not isinstance(document_value, dict):
        return {}, {}

    values: dict[str, Any] = {}
    for key, value in document_value.items():
        if value is UNDEFINED or find_unknown(value) is not None:
            continue
        if not isinstance(key, str):
            continue
        values[key] = _redacted(to_json(value))

    # Point each field at the line that writes it; fields from a spread or a const document
    # point at the spread or the insert call.
    fallback = Location(file, insert.start_point.row + 1, insert.start_point.column + 1)
    locations = {key: fallback for key in values}
    literal = unwrap(document)
    if literal.type == "object":
        for member in named_children(literal):
            location = Location(file, member.start_point.row + 1, member.start_point.column + 1)
            if member.type == "pair":
                key = key_text(member.child_by_field_name("key"))
            elif member.type == "shorthand_property_identifier":
                key = module.text(member)
            elif member.type == "spread_element":
                spread = module.evaluate(member, module.scope_at(member))
                for spread_key in spread if isinstance(spread, dict) else ():
                    if spread_key in locations:
                        locations[spread_key] = location
                continue
            else:
                continue
            if key in locations:
                locations[key] = location
    return values, locations


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_webhooks(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value

