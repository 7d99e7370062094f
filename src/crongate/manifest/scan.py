"""Facts about one module of the functions directory, read from its syntax tree.

The project pass parses every source file of the functions directory once and keeps what
the static rules need: relative imports (for reachability from ``crons.ts``), cron
registrations outside ``crons.ts``, and the webhook URLs written in string or template
literals. Webhook URLs are stored redacted, so the facts hold no secret.
"""

from __future__ import annotations

import os.path
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from crongate.manifest.webhooks import SUBSTITUTION, find_webhooks


CRON_METHODS = frozenset({"interval", "cron", "hourly", "daily", "weekly", "monthly"})

# Suffixes that relative import specifiers may omit, in the order bundlers try them.
MODULE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


@dataclass(frozen=True)
class ImportEdge:
    """One relative ``import`` or ``export ... from`` of a module.

    ``used`` is True when importing the module can run code that matters: a side-effect
    import, a re-export, or a value binding that the module references.
    """

    specifier: str
    line: int
    used: bool


@dataclass(frozen=True)
class Registration:
    """A ``crons.<method>(...)`` call, and what the crons object is in that module."""

    method: str
    name: str | None  # the cron name when it is a plain string literal
    line: int
    receiver: str  # "local" (a cronJobs() object made here), "parameter" or "imported"
    receiver_exported: bool = False  # for "local": whether the module exports that object


@dataclass(frozen=True)
class WebhookLiteral:
    service: str
    redacted: str
    line: int


@dataclass(frozen=True)
class ModuleFacts:
    imports: tuple[ImportEdge, ...] = ()
    registrations: tuple[Registration, ...] = ()
    webhooks: tuple[WebhookLiteral, ...] = ()
    imported_from: dict[str, str] = field(default_factory=dict)  # local name -> specifier


@lru_cache(maxsize=2)
def _parser(tsx: bool) -> Parser:
    grammar = tree_sitter_typescript.language_tsx() if tsx else tree_sitter_typescript.language_typescript()
    return Parser(Language(grammar))


def parse_module(source: bytes, suffix: str) -> Node:
    """Parse TypeScript or JavaScript. ``.tsx``, ``.jsx`` and ``.js`` use the TSX grammar, since they may contain JSX."""
    return _parser(suffix in (".tsx", ".jsx", ".js")).parse(source).root_node


def text_of(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def string_value(node: Node) -> str:
    """Return the value of a ``string`` node, with simple escapes decoded."""
    parts = []
    for child in node.named_children:
        if child.type == "escape_sequence":
            escaped = text_of(child)[1:]
            parts.append(_ESCAPES.get(escaped, escaped) if len(escaped) == 1 else text_of(child))
        else:
            parts.append(text_of(child))
    return "".join(parts)


def module_facts(
    source: bytes, suffix: str, imports_crons_file: Callable[[str], bool] | None = None
) -> ModuleFacts:
    """Read the facts of one module.

    ``imports_crons_file(specifier)`` returns whether a specifier names the app's crons.ts,
    so that registrations on the crons object imported from it are recognised.
    """
    root = parse_module(source, suffix)
    imports, bindings, imported_from = _read_imports(root)
    references = _references(root)

    edges = []
    for specifier, line, names, side_effect in imports:
        used = side_effect or any(name in references for name in names)
        edges.append(ImportEdge(specifier, line, used))

    crons_imports: set[str] = set()
    if imports_crons_file is not None:
        crons_imports = {name for name, specifier in imported_from.items() if imports_crons_file(specifier)}

    registrations = _read_registrations(root, bindings, crons_imports)
    webhooks = _read_webhooks(root)
    return ModuleFacts(tuple(edges), tuple(registrations), tuple(webhooks), imported_from)


def _read_imports(root: Node) -> tuple[list[tuple[str, int, list[str], bool]], dict[str, str], dict[str, str]]:
    """Return the relative imports as (specifier, line, bound names, side effect only),
    the local names bound to ``cronJobs``/``Crons`` from ``convex/server``, and every
    relatively imported local name with its specifier."""
    imports = []
    convex_bindings: dict[str, str] = {}
    imported_from: dict[str, str] = {}

    for statement in root.named_children:
        if statement.type not in ("import_statement", "export_statement"):
            continue
        source_node = statement.child_by_field_name("source")
        if source_node is None or source_node.type != "string":
            continue
        specifier = string_value(source_node)
        line = statement.start_point.row + 1
        type_only = any(child.type == "type" for child in statement.children)

        if statement.type == "export_statement":
            # `export * from` and `export { x } from` run the module and pass its values on.
            if specifier.startswith(".") and not type_only:
                imports.append((specifier, line, [], True))
            continue

        clause = next((child for child in statement.named_children if child.type == "import_clause"), None)
        if clause is None:
            if specifier.startswith("."):
                imports.append((specifier, line, [], True))
            continue

        names = []
        for imported, local in _import_clause_names(clause):
            names.append(local)
            if specifier == "convex/server" and imported in ("cronJobs", "Crons"):
                convex_bindings[local] = imported
            if specifier.startswith("."):
                imported_from[local] = specifier
        if specifier.startswith(".") and not type_only:
            imports.append((specifier, line, names, False))

    return imports, convex_bindings, imported_from


def _import_clause_names(clause: Node) -> list[tuple[str, str]]:
    """Return (imported name, local name) pairs of an import clause.

    The imported name is "default" for a default import and "*" for a namespace import.
    """
    pairs = []
    for child in clause.named_children:
        if child.type == "identifier":
            pairs.append(("default", text_of(child)))
        elif child.type == "namespace_import":
            alias = next((c for c in child.named_children if c.type == "identifier"), None)
            if alias is not None:
                pairs.append(("*", text_of(alias)))
        elif child.type == "named_imports":
            for specifier in child.named_children:
                if specifier.type != "import_specifier":
                    continue
                name = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias")
                if name is None:
                    continue
                # A type-only specifier binds no value, but Crons may be one and is needed for parameters.
                pairs.append((text_of(name), text_of(alias if alias is not None else name)))
    return pairs


def _walk(root: Node) -> Iterator[Node]:
    """Yield ``root`` and every named node below it in source order, without recursion.

    Every node type that this module looks for is named, and anonymous nodes (punctuation,
    keywords) are leaves, so skipping them loses nothing and halves the nodes visited.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.named_children))


def _references(root: Node) -> set[str]:
    """Return the identifiers that the module references outside its import statements."""
    names = set()
    for statement in root.named_children:
        if statement.type == "import_statement":
            continue
        for node in _walk(statement):
            if node.type in ("identifier", "shorthand_property_identifier"):
                names.add(text_of(node))
    return names


def _read_registrations(root: Node, bindings: dict[str, str], crons_imports: set[str]) -> list[Registration]:
    cron_factories = {local for local, imported in bindings.items() if imported == "cronJobs"}
    crons_types = {local for local, imported in bindings.items() if imported == "Crons"}
    if not cron_factories and not crons_types and not crons_imports:
        # Without cronJobs, the Crons type or an imported crons object, no call in this
        # module can register a job. Most modules are like that, and the three tree walks
        # below took most of the scan of a large systemJobs.ts.
        return []
    local_objects = _local_cron_objects(root, cron_factories)
    parameters = _crons_parameters(root, crons_types)
    exported = _exported_names(root)

    registrations = []
    for node in _walk(root):
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            continue
        receiver = callee.child_by_field_name("object")
        method = callee.child_by_field_name("property")
        if receiver is None or method is None or receiver.type != "identifier":
            continue
        if text_of(method) not in CRON_METHODS:
            continue

        receiver_name = text_of(receiver)
        if receiver_name in local_objects:
            kind = "local"
        elif receiver_name in parameters:
            kind = "parameter"
        elif receiver_name in crons_imports:
            kind = "imported"
        else:
            continue

        registrations.append(Registration(
            method=text_of(method),
            name=_literal_name(node),
            line=node.start_point.row + 1,
            receiver=kind,
            receiver_exported=kind == "local" and receiver_name in exported,
        ))
    return registrations


def _local_cron_objects(root: Node, factories: set[str]) -> set[str]:
    """Return the names of variables initialised with ``cronJobs()``."""
    names = set()
    for node in _walk(root):
        if node.type != "variable_declarator":
            continue
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None or value is None or value.type != "call_expression":
            continue
        callee = value.child_by_field_name("function")
        if callee is not None and callee.type == "identifier" and text_of(callee) in factories:
            names.add(text_of(name))
    return names


def _crons_parameters(root: Node, crons_types: set[str]) -> set[str]:
    """Return the names of function parameters annotated with the ``Crons`` type."""
    names = set()
    for node in _walk(root):
        if node.type not in ("required_parameter", "optional_parameter"):
            continue
        pattern = node.child_by_field_name("pattern")
        annotation = next((c for c in node.named_children if c.type == "type_annotation"), None)
        if pattern is None or annotation is None or pattern.type != "identifier":
            continue
        # `Crons` or a generic form such as `Crons<...>` both name the type.
        type_name = next((c for c in _walk(annotation) if c.type == "type_identifier"), None)
        if type_name is not None and text_of(type_name) in crons_types:
            names.add(text_of(pattern))
    return names


def _exported_names(root: Node) -> set[str]:
    """Return the local names that the module exports, under any exported name."""
    names = set()
    for statement in root.named_children:
        if statement.type != "export_statement" or statement.child_by_field_name("source") is not None:
            continue
        declaration = statement.child_by_field_name("declaration")
        value = statement.child_by_field_name("value")
        if declaration is not None:
            for node in declaration.named_children:
                if node.type == "variable_declarator" and node.child_by_field_name("name") is not None:
                    names.add(text_of(node.child_by_field_name("name")))
        elif value is not None and value.type == "identifier":
            names.add(text_of(value))
        for clause in statement.named_children:
            if clause.type != "export_clause":
                continue
            for specifier in clause.named_children:
                name = specifier.child_by_field_name("name")
                if name is not None:
                    names.add(text_of(name))
    return names


def _literal_name(call: Node) -> str | None:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return None
    first = arguments.named_children[0]
    if first.type == "string":
        return string_value(first)
    if first.type == "template_string" and not any(c.type == "template_substitution" for c in first.named_children):
        return "".join(text_of(c) for c in first.named_children)
    return None


def _read_webhooks(root: Node) -> list[WebhookLiteral]:
    """Find webhook URLs in string and template literals, and in ``+`` chains of them.

    A chain is scanned as one text, with SUBSTITUTION for each part that is not a literal,
    so that ``"https://hooks.slack.com/services/" + "T000/B000/XXXX"`` is found too.
    """
    found: list[WebhookLiteral] = []
    stack = [root]
    while stack:
        node = stack.pop()

        if node.type == "binary_expression" and _is_plus(node) and not _is_plus(node.parent):
            pieces: list[tuple[str, int]] = []
            for leaf in _plus_leaves(node):
                if leaf.type in ("string", "template_string"):
                    pieces.extend(_literal_pieces(leaf, stack))
                else:
                    pieces.append((SUBSTITUTION, leaf.start_point.row))
                    stack.append(leaf)
            found.extend(_scan_pieces(pieces))
            continue

        if node.type in ("string", "template_string"):
            found.extend(_scan_pieces(_literal_pieces(node, stack)))
            continue

        # Literals and `+` chains are named nodes, and anonymous nodes are leaves.
        stack.extend(reversed(node.named_children))
    return found


def _is_plus(node: Node | None) -> bool:
    if node is None or node.type != "binary_expression":
        return False
    operator = node.child_by_field_name("operator")
    return operator is not None and operator.type == "+"


def _plus_leaves(node: Node) -> list[Node]:
    leaves = []
    stack = [node]
    while stack:
        current = stack.pop()
        if _is_plus(current):
            for side in ("right", "left"):
                child = current.child_by_field_name(side)
                if child is not None:
                    stack.append(child)
        elif current.type == "parenthesized_expression" and current.named_child_count == 1:
            stack.append(current.named_children[0])
        else:
            leaves.append(current)
    return leaves


def _literal_pieces(node: Node, stack: list[Node]) -> list[tuple[str, int]]:
    """Return (text, 0-based line) pieces of a literal.

    Each substitution becomes SUBSTITUTION, and its expression goes on ``stack`` to be
    scanned on its own.
    """
    if node.type == "string":
        return [(string_value(node), node.start_point.row)]
    pieces = []
    for child in node.named_children:
        if child.type == "template_substitution":
            pieces.append((SUBSTITUTION, child.start_point.row))
            stack.extend(child.named_children)
        elif child.type == "escape_sequence":
            escaped = text_of(child)[1:]
            pieces.append((_ESCAPES.get(escaped, escaped) if len(escaped) == 1 else text_of(child), child.start_point.row))
        else:
            pieces.append((text_of(child), child.start_point.row))
    return pieces


def _scan_pieces(pieces: list[tuple[str, int]]) -> list[WebhookLiteral]:
    text = "".join(piece for piece, _ in pieces)
    found = []
    for match in find_webhooks(text):
        found.append(WebhookLiteral(match.service, match.redacted, _line_at(pieces, match.offset)))
    return found


def _line_at(pieces: list[tuple[str, int]], offset: int) -> int:
    """Return the 1-based source line of character ``offset`` of the joined pieces."""
    start = 0
    for piece, row in pieces:
        if offset < start + len(piece):
            return row + piece[: offset - start].count("\n") + 1
        start += len(piece)
    return pieces[-1][1] + 1 if pieces else 1


def resolve_specifier(importer: Path, specifier: str) -> Path | None:
    """Resolve a relative import specifier to an existing file, as TypeScript bundlers do.

    ``"./x"`` tries ``x.ts``, ``x.tsx``, ``x.js``, ``x.jsx`` and ``x/index.*``, and ``"./x.js"``
    also tries ``x.ts``, because TypeScript sources import their compiled names.
    """
    base = importer.parent / specifier
    candidates = [base]
    if base.suffix in (".js", ".jsx"):
        stem = base.with_suffix("")
        candidates += [stem.with_name(stem.name + suffix) for suffix in (".ts", ".tsx")]
    candidates += [base.with_name(base.name + suffix) for suffix in MODULE_SUFFIXES]
    candidates += [base / f"index{suffix}" for suffix in MODULE_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            # Collapse "a/./b" and "a/x/../b" without resolving symlinks, so paths stay comparable.
            return Path(os.path.normpath(candidate))
    return None
