"""Read the registry table's shape from the app's ``schema.ts``.

``crongate scaffold`` and ``crongate init`` need three facts that only the schema states:
which fields the registry table has, which index looks rows up by the key field, and which
unit names the schedule field's ``type`` accepts (for example ``v.union(v.literal("seconds"),
v.literal("minutes"), ...)``). The reader walks the tree-sitter syntax tree of
``defineSchema({...})``. It follows ``const`` bindings of the same file but not imports,
and reports anything it cannot read as unknown (None) rather than guessing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from crongate.manifest.evaluator import (
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
from crongate.source_file import read_source_file

logger = logging.getLogger(__name__)

MAX_SCHEMA_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class TableShape:
    """One table of ``defineSchema``: its fields in source order and its indexes."""

    name: str
    fields: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...]  # (index name, indexed fields)
    literal_types: dict[str, tuple[str, ...]]  # field -> the string literals its `type` member accepts

    def index_on(self, field: str) -> str | None:
        """Return the name of an index whose first field is ``field``, if there is one."""
        for name, fields in self.indexes:
            if fields and fields[0] == field:
                return name
        return None


@dataclass(frozen=True)
class SchemaFile:
    """The tables that ``schema.ts`` defines; ``path`` is None when there is no schema file."""

    path: Path | None
    tables: dict[str, TableShape]

    def table(self, name: str) -> TableShape | None:
        return self.tables.get(name)


def read_schema_file(path: Path) -> SchemaFile:
    """Read ``schema.ts``; a missing, unreadable or oversized file yields a schema with no tables."""
    try:
        source = read_source_file(path, MAX_SCHEMA_BYTES)
    except FileNotFoundError:
        return SchemaFile(None, {})
    except OSError as error:
        logger.warning("cannot read %s: %s; its tables are not read", path, error.strerror)
        return SchemaFile(None, {})
    if len(source) > MAX_SCHEMA_BYTES:
        logger.warning("%s is larger than %d bytes; its tables are not read", path, MAX_SCHEMA_BYTES)
        return SchemaFile(path, {})
    return SchemaFile(path, read_schema_source(source))


def read_schema_source(source: bytes) -> dict[str, TableShape]:
    """Return the tables of ``defineSchema({...})`` in ``source``, by table name."""
    root = parse_typescript(source).root_node
    constants = _top_level_constants(root)

    schema_object = None
    for node in iter_nodes(root):
        if node.type == "call_expression" and _callee_name(node) == "defineSchema":
            arguments = call_arguments(node)
            if arguments:
                schema_object = _resolve(unwrap(arguments[0]), constants)
            break
    if schema_object is None or schema_object.type != "object":
        return {}

    tables: dict[str, TableShape] = {}
    for member in named_children(schema_object):
        if member.type == "pair":
            name = key_text(member.child_by_field_name("key"))
            value = member.child_by_field_name("value")
        elif member.type == "shorthand_property_identifier":
            name = node_text(member)
            value = member
        else:
            continue
        if name is None or value is None:
            continue
        table = _read_table(name, _resolve(unwrap(value), constants), constants)
        if table is not None:
            tables[name] = table
    return tables


def _read_table(name: str, node: Node, constants: dict[str, Node]) -> TableShape | None:
    """Read ``defineTable({...}).index(...)...``; None when the expression is not one."""
    indexes: list[tuple[str, tuple[str, ...]]] = []
    while node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee is None:
            return None
        if callee.type == "identifier" and node_text(callee) == "defineTable":
            break
        if callee.type != "member_expression":
            return None
        if key_text(callee.child_by_field_name("property")) == "index":
            arguments = call_arguments(node)
            if len(arguments) >= 2 and arguments[0].type == "string" and arguments[1].type == "array":
                fields = tuple(string_value(item) for item in named_children(arguments[1]) if item.type == "string")
                indexes.append((string_value(arguments[0]), fields))
        node = _resolve(unwrap(callee.child_by_field_name("object")), constants)
    else:
        return None

    arguments = call_arguments(node)
    if not arguments:
        return None
    document = _object_of_validator(_resolve(unwrap(arguments[0]), constants), constants)
    if document is None:
        return TableShape(name, (), tuple(reversed(indexes)), {})

    fields: list[str] = []
    literal_types: dict[str, tuple[str, ...]] = {}
    for member in named_children(document):
        if member.type != "pair":
            continue
        field = key_text(member.child_by_field_name("key"))
        if field is None:
            continue
        fields.append(field)
        validator = _object_of_validator(_resolve(unwrap(member.child_by_field_name("value")), constants), constants)
        if validator is not None:
            literals = _literal_type_members(validator, constants)
            if literals:
                literal_types[field] = literals
    # .index() calls chain outwards, so the walk met the last one first.
    return TableShape(name, tuple(fields), tuple(reversed(indexes)), literal_types)


def _object_of_validator(node: Node | None, constants: dict[str, Node]) -> Node | None:
    """Return the object literal of ``{...}``, ``v.object({...})`` or ``v.optional(v.object({...}))``."""
    for _ in range(8):
        if node is None:
            return None
        if node.type == "object":
            return node
        if node.type != "call_expression":
            return None
        method = member_name(node)
        arguments = call_arguments(node)
        if method not in ("object", "optional") or not arguments:
            return None
        node = _resolve(unwrap(arguments[0]), constants)
    return None


def _literal_type_members(validator: Node, constants: dict[str, Node]) -> tuple[str, ...]:
    """Return the ``v.literal("...")`` strings of the validator's ``type`` member."""
    for member in named_children(validator):
        if member.type == "pair" and key_text(member.child_by_field_name("key")) == "type":
            value = _resolve(unwrap(member.child_by_field_name("value")), constants)
            return tuple(_literals(value, constants, depth=0))
    return ()


def _literals(node: Node, constants: dict[str, Node], depth: int) -> list[str]:
    if depth > 16 or node.type != "call_expression":
        return []
    method = member_name(node)
    arguments = call_arguments(node)
    if method == "literal" and arguments and arguments[0].type == "string":
        return [string_value(arguments[0])]
    if method == "union":
        found: list[str] = []
        for argument in arguments:
            found.extend(_literals(_resolve(unwrap(argument), constants), constants, depth + 1))
        return found
    return []


def _top_level_constants(root: Node) -> dict[str, Node]:
    """Map each top-level ``const`` name (exported or not) to its value node."""
    constants: dict[str, Node] = {}
    for statement in named_children(root):
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        if declaration.type != "lexical_declaration":
            continue
        for declarator in named_children(declaration):
            name = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if declarator.type == "variable_declarator" and name is not None and name.type == "identifier" and value:
                constants[node_text(name)] = value
    return constants


def _resolve(node: Node | None, constants: dict[str, Node]) -> Node:
    """Follow identifiers to the value of their ``const``, a few steps at most."""
    for _ in range(8):
        if node is None or node.type != "identifier" or node_text(node) not in constants:
            break
        node = unwrap(constants[node_text(node)])
    return node  # type: ignore[return-value]


def _callee_name(call: Node) -> str | None:
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "identifier":
        return node_text(callee)
    return None





