"""A small static evaluator for TypeScript expressions, on tree-sitter's TypeScript grammar.

It computes what an expression in an app's source would evaluate to, without running it,
as far as that can be known from literals and constants. Whatever it cannot know becomes an
``Unknown`` value that carries the reason and the node, so a caller can report it instead of
guessing.

What it resolves:

- string, number, boolean, null and undefined literals, and template literals;
- ``const`` bindings of the module, also when declared further down, and ``let``/``var``
  bindings that are never reassigned, with destructuring;
- object literals with spreads, shorthand and computed keys, and arrays with spreads;
- member access (``X.y``, ``X["y"]``, ``X[0]``, ``?.``, ``.length``);
- arithmetic, string concatenation, comparisons, ``&&``, ``||``, ``??`` and ``?:`` on
  known values;
- parentheses, ``as``, ``as const``, ``satisfies``, ``<T>x`` and ``x!``;
- ``Object.entries/keys/values`` and the array methods ``map``, ``filter``, ``join``,
  ``concat`` and ``slice``;
- calls of local functions whose body is one expression or ends in ``return``;
- named, default and namespace imports from relative modules of the app. The suffixes
  ``.ts``, ``.tsx``, ``.js``, ``/index.ts`` and ``/index.js`` are tried, cycles are guarded,
  and nothing outside the project root is read.

``api`` and ``internal`` imported from ``_generated/api`` become ``FunctionReference``
values, so ``internal.jobs.email.send`` has the path ``jobs/email:send``.

Public API (what another reader, such as the ``systemJobs.ts`` reader, should call)::

    loader = ModuleLoader(root=Path("app"))            # one per run: caches parsed modules
    module = loader.load(Path("app/convex/systemJobs.ts"))  # None when missing or unreadable
    module = Module.from_source(text, path=..., loader=loader)  # or from a string
    module.tree, module.source, module.path
    module.text(node) -> str                           # the source text of a node
    module.evaluate(node, scope=None) -> Value         # scope None: the module's top level
    module.scope_at(node) -> Scope                     # the constants visible at a node
    module.lookup(name) -> Value                       # a top-level binding
    module.exports() -> dict[str, Value]               # every export, evaluated
    module.export_node(name) -> Node | None            # the expression an export is bound to
    call_arguments(node) -> list[Node]                 # a call's argument nodes, comments dropped
    named_children(node) -> list[Node]                 # named children without comments
    find_unknown(value) -> Unknown | None              # the first Unknown inside a value
    function_path(value) -> str | None                 # Convex path form of a reference or string
    to_json(value) -> Any                              # plain JSON value (Unknown must be absent)

Values are plain Python: ``str``, ``int`` or ``float`` (integral numbers are ``int``),
``bool``, ``None`` for ``null``, ``UNDEFINED``, ``list``, ``dict`` (insertion ordered), and
the classes below. A ``ModuleLoader`` may take a ``call_hook``, called for every call
expression before the evaluator tries its own rules, so a reader can give meaning to calls such
as ``cronJobs()`` or ``mutation({...})``.

Evaluation never raises on any source text: nesting deeper than ``MAX_DEPTH`` evaluates to an
``Unknown``, and so does every syntax error that tree-sitter recovered from.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Union

import tree_sitter
import tree_sitter_typescript

from crongate.source_file import read_source_file

logger = logging.getLogger(__name__)

#: Maximum nesting of expressions, statements, local calls and imports that is followed. Each
#: level costs a few Python frames, so this stays well inside Python's default recursion limit.
MAX_DEPTH = 64

#: Maximum number of elements that a loop or an array method is expanded to.
MAX_ELEMENTS = 10_000

#: Maximum number of local function calls evaluated for one loader. It bounds the time of code
#: whose evaluation grows exponentially with its length, such as helpers that each call the
#: previous one twice, and leaves room for a few loops of MAX_ELEMENTS calls.
MAX_CALLS = 50_000

#: Maximum length, in characters, of a string that concatenation, a template literal or
#: join() builds. A cron name or arg is a few dozen characters, and without a bound a constant
#: doubled 40 times (``const s1 = s0 + s0; ...``) would need terabytes.
MAX_STRING_LENGTH = 64 * 1024

#: Suffixes tried, in order, for an import such as ``"./jobConfig"``.
_IMPORT_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", "/index.ts", "/index.tsx", "/index.js")

#: Files larger than this are not read as imported modules.
MAX_MODULE_BYTES = 5 * 1024 * 1024

_LANGUAGE = tree_sitter.Language(tree_sitter_typescript.language_typescript())

# Wrappers that only change the static type, so the value is their first named child.
_TYPE_WRAPPERS = frozenset({
    "as_expression", "satisfies_expression", "non_null_expression", "type_assertion",
    "parenthesized_expression",
})


class _Undefined:
    """JavaScript's ``undefined``, distinct from ``None`` (``null``)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the code.

    ``reason`` completes the sentence "cannot be known statically because it ...", e.g.
    "calls computeName()" or "reads process.env.REGION". ``import_source`` and
    ``import_name`` are set for a binding imported from a package, so a call hook can
    recognise ``cronJobs`` from ``convex/server``.
    """

    reason: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    file: str | None = None
    import_source: str | None = None
    import_name: str | None = None
    node: tree_sitter.Node | None = field(default=None, compare=False, repr=False)
    # Set when the value hit MAX_DEPTH: the same expression may be known from a shallower
    # place, so such a result is never cached.
    depth_limited: bool = field(default=False, compare=False)

    def at(self, node: tree_sitter.Node, module: Module, reason: str | None = None) -> Unknown:
        """Return this Unknown reported at ``node`` of ``module``, optionally with a new reason."""
        line, column = module.position(node)
        return Unknown(reason or self.reason, line, column, module.display_name,
                       self.import_source, self.import_name, node, self.depth_limited)


@dataclass(frozen=True)
class FunctionReference:
    """``api.a.b`` or ``internal.a.b``: the segments after the root, in order."""

    visibility: str  # "api" or "internal"
    parts: tuple[str, ...] = ()

    def child(self, name: str) -> FunctionReference:
        return FunctionReference(self.visibility, (*self.parts, name))

    @property
    def path(self) -> str | None:
        """Return the Convex path form (``dir/file:fn``, ``file`` for ``default``), or None
        when the reference names a module or a directory rather than a function."""
        if len(self.parts) < 2:
            return None
        module = "/".join(self.parts[:-1])
        export = self.parts[-1]
        return module if export == "default" else f"{module}:{export}"


@dataclass(frozen=True)
class Closure:
    """A function declaration, function expression or arrow function, with its scope."""

    node: tree_sitter.Node
    module: Module = field(compare=False, repr=False)
    scope: Scope = field(compare=False, repr=False)
    name: str | None = None

    @property
    def parameters(self) -> list[tree_sitter.Node]:
        params = self.node.child_by_field_name("parameters")
        if params is None:
            # `x => ...` has a single identifier in the `parameter` field.
            single = self.node.child_by_field_name("parameter")
            return [single] if single is not None else []
        return named_children(params)

    @property
    def body(self) -> tree_sitter.Node | None:
        return self.node.child_by_field_name("body")


Value = Union[str, int, float, bool, None, _Undefined, list, dict, Unknown, FunctionReference,
              Closure, Any]

#: Called for every call expression: ``hook(module, node, scope)``. Return None to let the
#: evaluator handle the call, or the call's value.
CallHook = Callable[["Module", tree_sitter.Node, "Scope"], Any]


# --- tree helpers -------------------------------------------------------------------------


def parse_typescript(source: bytes) -> tree_sitter.Tree:
    """Parse TypeScript source. tree-sitter recovers from syntax errors with ERROR nodes."""
    return tree_sitter.Parser(_LANGUAGE).parse(source)


def named_children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Return the named children of a node, without comments (which may appear anywhere)."""
    return [child for child in node.named_children if child.type != "comment"]


def call_arguments(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Return the argument nodes of a call expression, without comments."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return []
    return named_children(arguments)


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """Strip parentheses and type-only wrappers (``as``, ``satisfies``, ``<T>``, ``!``)."""
    while node.type in _TYPE_WRAPPERS:
        inner = named_children(node)
        if node.type == "type_assertion":
            inner = [child for child in inner if child.type != "type_arguments"]
        if not inner:
            break
        node = inner[0]
    return node


def iter_nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Yield a node and all its descendants in source order, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def iter_named_nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Yield a node and its named descendants in source order, without recursion.

    Tokens such as punctuation and keywords are anonymous leaves, so a search for a named
    node type finds the same nodes as with ``iter_nodes`` and visits about half as many
    (25,641 of 48,477 in the 5,400-line systemJobs.ts that bench/generate.py writes).
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def string_value(node: tree_sitter.Node) -> str:
    """Return the value of a ``string`` node, with escape sequences decoded."""
    parts = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(_text(child))
        elif child.type == "escape_sequence":
            parts.append(_decode_escape(_text(child)))
    return "".join(parts)


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def node_text(node: tree_sitter.Node | None) -> str:
    """Return a node's source text, or "" for no node."""
    return "" if node is None else _text(node)


def key_text(node: tree_sitter.Node | None) -> str | None:
    """Return the name a property key or identifier spells (``a``, ``"a"``), or None for a computed key."""
    if node is None:
        return None
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return _text(node)
    if node.type == "string":
        return string_value(node)
    return None


def exported_calls(root: tree_sitter.Node) -> Iterator[tuple[str, str, tree_sitter.Node]]:
    """Yield (export name, callee name, call) for each ``export const name = callee(...)`` at the top level.

    This is how Convex functions are declared (``export const addJob = internalMutation({...})``),
    so readers of systemJobs.ts and other function modules start here.
    """
    for statement in named_children(root):
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        if declaration is None or declaration.type != "lexical_declaration":
            continue
        for declarator in named_children(declaration):
            name = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name is None or value is None or unwrap(value).type != "call_expression":
                continue
            call = unwrap(value)
            callee = call.child_by_field_name("function")
            if callee is None or callee.type != "identifier":
                continue
            yield node_text(name), node_text(callee), call


def member_name(call: tree_sitter.Node) -> str | None:
    """Return ``y`` for a call ``x.y(...)``, or None for any other callee."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return None
    return key_text(callee.child_by_field_name("property"))


_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _decode_escape(escape: str) -> str:
    body = escape[1:]
    if not body:
        return ""
    if body[0] in _SIMPLE_ESCAPES and len(body) == 1:
        return _SIMPLE_ESCAPES[body[0]]
    try:
        if body[0] == "x" and len(body) == 3:
            return chr(int(body[1:], 16))
        if body[0] == "u":
            digits = body[2:-1] if body.startswith("u{") else body[1:]
            return chr(int(digits, 16))
    except ValueError:
        return escape
    # A line continuation (backslash, newline) produces nothing.
    if body[0] in "\r\n\u2028\u2029":
        return ""
    return body


# --- values -------------------------------------------------------------------------------


def find_unknown(value: Any, depth: int = 0) -> Unknown | None:
    """Return the first ``Unknown`` inside a value (itself, an element or a property)."""
    if isinstance(value, Unknown):
        return value
    if depth > MAX_DEPTH:
        return Unknown("is nested too deeply to read")
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = list(value.values())
    else:
        return None
    for item in items:
        found = find_unknown(item, depth + 1)
        if found is not None:
            return found
    return None


def normalize_function_path(path: str) -> str:
    """Return a string target in Convex's path form, as ``npx convex run`` normalises it.

    ``"convex/dir/file.ts:fn"`` becomes ``"dir/file:fn"``, and ``"file:default"`` becomes
    ``"file"``.
    """
    module, _, export = path.partition(":")
    module = module.strip("/")
    if module.startswith("convex/"):
        module = module[len("convex/"):]
    for suffix in (".tsx", ".ts", ".jsx", ".js"):
        if module.endswith(suffix):
            module = module[: -len(suffix)]
            break
    if not export or export == "default":
        return module
    return f"{module}:{export}"


def function_path(value: Any) -> str | None:
    """Return the Convex path of a function reference or string target, or None for any
    other value (including an Unknown and a reference to a module)."""
    if isinstance(value, FunctionReference):
        return value.path
    if isinstance(value, str) and value:
        return normalize_function_path(value)
    return None


def to_json(value: Any) -> Any:
    """Return a value as plain JSON data: ``undefined`` properties are dropped, like
    ``JSON.stringify`` does, and a reference becomes its path."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if item is not UNDEFINED}
    if isinstance(value, list):
        return [None if item is UNDEFINED else to_json(item) for item in value]
    if isinstance(value, FunctionReference):
        return value.path
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def js_string(value: Any) -> str | Unknown:
    """Convert a known value to a string as JavaScript's ``String(value)`` does."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, (int, float)):
        return _number_string(value)
    if isinstance(value, list):
        parts = []
        for item in value:
            if item is None or item is UNDEFINED:
                parts.append("")
                continue
            text = js_string(item)
            if isinstance(text, Unknown):
                return text
            parts.append(text)
        return _joined(parts, ",")
    if isinstance(value, dict):
        return "[object Object]"
    return Unknown("converts a function or reference to a string")


def _joined(parts: list[str], separator: str) -> str | Unknown:
    """Join strings, or return an Unknown when the result would exceed MAX_STRING_LENGTH."""
    length = sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0)
    if length > MAX_STRING_LENGTH:
        return Unknown(f"builds a string of {length} characters, more than the limit of {MAX_STRING_LENGTH}")
    return separator.join(parts)


def _number_string(number: float) -> str:
    if isinstance(number, int) or (number.is_integer() and abs(number) < 1e21):
        return str(int(number))
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    # NOTE: Python's shortest repr matches JavaScript's for ordinary decimals, but exponent
    # forms differ slightly ("1e-07" against "1e-7").
    return repr(number)


def _number(value: float) -> int | float:
    """Keep integral results as ``int`` so they read back as JSON integers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _truthy(value: Any) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    if isinstance(value, str):
        return value != ""
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_number(value: Any) -> float | None:
    if _is_number(value):
        return value
    if isinstance(value, bool):
        return 1 if value else 0
    if value is None:
        return 0
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0
        except ValueError:
            return math.nan
    return None


# --- scopes -------------------------------------------------------------------------------


class Scope:
    """Bindings of one block or function call, looked up through the parent scopes.

    Values are either given eagerly (``bind``) or computed on first use from their
    declaration (``declare``), which also lets top-level constants refer to others declared
    further down.
    """

    def __init__(self, module: Module, parent: Scope | None = None) -> None:
        self.module = module
        self.parent = parent
        self._values: dict[str, Any] = {}
        self._pending: dict[str, Callable[[], Any]] = {}
        self._computing: set[str] = set()
        # name -> (nesting depth, value) of a declaration that hit MAX_DEPTH at that depth.
        self._depth_limited: dict[str, tuple[int, Any]] = {}

    def child(self) -> Scope:
        return Scope(self.module, self)

    def bind(self, name: str, value: Any) -> None:
        self._values[name] = value
        self._pending.pop(name, None)

    def declare(self, name: str, compute: Callable[[], Any]) -> None:
        self._values.pop(name, None)
        self._pending[name] = compute

    def has_own(self, name: str) -> bool:
        return name in self._values or name in self._pending

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope._values:
                return scope._values[name]
            if name in scope._pending:
                return scope._resolve(name)
            scope = scope.parent
        return None if name not in _GLOBALS else _GLOBALS[name]

    def is_bound(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if scope.has_own(name):
                return True
            scope = scope.parent
        return False

    def _resolve(self, name: str) -> Any:
        if name in self._computing:
            return Unknown(f"refers to {name} while {name} is still being defined")
        # A declaration that hit the depth limit is evaluated again only from a shallower
        # depth, where it may succeed. Without this, `const s1 = s0 + s0; ...` repeated 40
        # times re-evaluates each level twice, 2**40 evaluations in all.
        depth = self.module.loader.budget.depth
        limited = self._depth_limited.get(name)
        if limited is not None and depth >= limited[0]:
            return limited[1]

        self._computing.add(name)
        try:
            value = self._pending[name]()
        finally:
            self._computing.discard(name)
        unknown = find_unknown(value)
        if unknown is None or not unknown.depth_limited:
            self.bind(name, value)
        else:
            self._depth_limited[name] = (depth, value)
        return value


_GLOBALS: dict[str, Any] = {"undefined": UNDEFINED, "NaN": math.nan, "Infinity": math.inf}


# --- modules ------------------------------------------------------------------------------


class _Budget:
    """Nesting depth and evaluation steps shared by every module of one loader, so that
    imports count too."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0
        self.calls = 0


class ModuleLoader:
    """Parses and caches the app's modules, and resolves relative imports between them.

    ``root`` bounds what may be read: an import that resolves outside it is not followed.
    Without a root, no import is followed.
    """

    def __init__(self, root: Path | None = None, *, call_hook: CallHook | None = None,
                 max_depth: int = MAX_DEPTH) -> None:
        self.root = root.resolve() if root is not None else None
        self.call_hook = call_hook
        self.budget = _Budget(max_depth)
        self._modules: dict[Path, Module | None] = {}

    def resolve_import(self, specifier: str, base_dir: Path | None) -> Path | None | str:
        """Return the file an import specifier names, or a reason (str) it is not followed."""
        if not specifier.startswith("."):
            return f"is imported from {specifier}, a module outside the app"
        if base_dir is None or self.root is None:
            return f"is imported from {specifier}, and crongate was given no project root"
        base = (base_dir / specifier).resolve()
        if not base.is_relative_to(self.root):
            return f"is imported from {specifier}, which is outside the project root"

        candidates = [base] if base.suffix in (".ts", ".tsx", ".js", ".jsx") else []
        if base.suffix in (".js", ".jsx"):
            # TypeScript's ESM style imports "./x.js" for the source file "./x.ts".
            candidates.insert(0, base.with_suffix(".ts" if base.suffix == ".js" else ".tsx"))
        candidates += [Path(str(base) + suffix) for suffix in _IMPORT_SUFFIXES]
        for candidate in candidates:
            if candidate.is_file() and candidate.resolve().is_relative_to(self.root):
                return candidate.resolve()
        return f"is imported from {specifier}, which is not found"

    def load(self, path: Path) -> Module | None:
        """Parse a module once, or return None when it is missing, too large or not UTF-8."""
        path = path.resolve()
        if path in self._modules:
            return self._modules[path]
        module: Module | None = None
        try:
            data = read_source_file(path, MAX_MODULE_BYTES)
            if len(data) <= MAX_MODULE_BYTES:
                module = Module(data.decode("utf-8"), path=path, loader=self)
            else:
                logger.warning("Not reading %s: larger than %d bytes", path, MAX_MODULE_BYTES)
        except (OSError, UnicodeDecodeError) as error:
            logger.warning("Cannot read imported module %s: %s", path, error)
        self._modules[path] = module
        return module

    def relative_name(self, path: Path | None) -> str | None:
        if path is None:
            return None
        if self.root is not None and path.is_relative_to(self.root):
            return PurePosixPath(path.relative_to(self.root)).as_posix()
        return path.as_posix()


class Module:
    """One parsed source file and its top-level bindings."""

    def __init__(self, source: str, *, path: Path | None = None,
                 loader: ModuleLoader | None = None, display_name: str | None = None) -> None:
        self.source = source
        self.source_bytes = source.encode("utf-8", errors="surrogatepass")
        self.path = path.resolve() if path is not None else None
        self.loader = loader if loader is not None else ModuleLoader()
        self.tree = parse_typescript(self.source_bytes)
        self.display_name = display_name or self.loader.relative_name(self.path)
        self.scope = Scope(self)
        self._export_nodes: dict[str, tree_sitter.Node] = {}
        self._exports: dict[str, Callable[[], Any]] = {}
        self._star_exports: list[tree_sitter.Node] = []
        self._reassigned = self._find_reassigned_names()
        self._declare_top_level()

    @classmethod
    def from_source(cls, source: str, *, path: Path | None = None,
                    loader: ModuleLoader | None = None,
                    display_name: str | None = None) -> Module:
        return cls(source, path=path, loader=loader, display_name=display_name)

    @property
    def base_dir(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    # -- public API --------------------------------------------------------------------

    def text(self, node: tree_sitter.Node) -> str:
        return _text(node)

    def lookup(self, name: str) -> Any:
        value = self.scope.lookup(name)
        if value is None and not self.scope.is_bound(name) and name not in _GLOBALS:
            return Unknown(f"uses {name}, which is not defined in this module",
                           file=self.display_name)
        return value

    def exports(self) -> dict[str, Any]:
        return {name: self.export_value(name) for name in self._exports}

    def export_names(self) -> tuple[str, ...]:
        return tuple(self._exports)

    def export_value(self, name: str) -> Any:
        compute = self._exports.get(name)
        if compute is not None:
            return compute()
        for source_node in self._star_exports:
            value = self._import_value(string_value(source_node), name, source_node)
            if not isinstance(value, Unknown):
                return value
        return Unknown(f"uses {name}, which {self.display_name} does not export",
                       file=self.display_name)

    def export_node(self, name: str) -> tree_sitter.Node | None:
        """Return the expression or declaration that a local export is bound to, or None for
        a missing export and a re-export from another module."""
        return self._export_nodes.get(name)

    def position(self, node: tree_sitter.Node) -> tuple[int, int]:
        """Return the 1-based line and column of a node; the column counts characters,
        where tree-sitter counts bytes."""
        row, byte_column = node.start_point
        line_start = node.start_byte - byte_column
        prefix = self.source_bytes[line_start:node.start_byte]
        return row + 1, len(prefix.decode("utf-8", errors="replace")) + 1

    def unknown(self, reason: str, node: tree_sitter.Node | None) -> Unknown:
        if node is None:
            return Unknown(reason, file=self.display_name)
        line, column = self.position(node)
        return Unknown(reason, line=line, column=column, file=self.display_name, node=node)

    def evaluate(self, node: tree_sitter.Node | None, scope: Scope | None = None) -> Any:
        """Evaluate an expression node in ``scope`` (by default the top level).

        What cannot be evaluated becomes an Unknown rather than an exception.
        """
        if node is None:
            return UNDEFINED
        budget = self.loader.budget
        if budget.depth >= budget.limit:
            return self.depth_limit(node)
        budget.depth += 1
        try:
            return _Evaluation(self, scope or self.scope).dispatch(node)
        finally:
            budget.depth -= 1

    def depth_limit(self, node: tree_sitter.Node) -> Unknown:
        unknown = self.unknown(f"is nested more than {self.loader.budget.limit} levels deep", node)
        return Unknown(unknown.reason, unknown.line, unknown.column, unknown.file, node=node,
                       depth_limited=True)

    def scope_at(self, node: tree_sitter.Node) -> Scope:
        """Return a scope with the constants of every block that encloses ``node``.

        Parameters of enclosing functions evaluate to Unknown. This lets a reader evaluate
        an expression inside a function body, e.g. an object passed to ``ctx.db.insert``.
        """
        chain = []
        ancestor = node.parent
        while ancestor is not None and ancestor.type != "program":
            chain.append(ancestor)
            ancestor = ancestor.parent
        scope = self.scope
        for block in reversed(chain):
            scope = scope.child()
            if block.type in ("statement_block", "class_body", "switch_body"):
                self.declare_block(named_children(block), scope)
            elif block.type in ("arrow_function", "function_declaration", "function_expression",
                                "method_definition", "generator_function_declaration"):
                parameters = Closure(block, self, scope).parameters
                for parameter in parameters:
                    for name in _pattern_names(parameter):
                        scope.bind(name, self.unknown(f"uses the parameter {name}", parameter))
        return scope

    def declare_block(self, statements: list[tree_sitter.Node], scope: Scope) -> None:
        """Declare the constants and functions of a block in ``scope``, evaluated lazily."""
        for statement in statements:
            if statement.type == "export_statement":
                declaration = statement.child_by_field_name("declaration")
                if declaration is None:
                    continue
                statement = declaration
            if statement.type in ("lexical_declaration", "variable_declaration"):
                for declarator in named_children(statement):
                    if declarator.type == "variable_declarator":
                        self._declare_declarator(declarator, scope)
            elif statement.type in ("function_declaration", "generator_function_declaration"):
                name_node = statement.child_by_field_name("name")
                if name_node is not None:
                    scope.bind(_text(name_node),
                               Closure(statement, self, scope, name=_text(name_node)))

    def bind_pattern(self, pattern: tree_sitter.Node, value: Any, scope: Scope) -> None:
        """Bind the names of a binding pattern (``x``, ``{a, b: c}``, ``[k, v]``) to parts of
        ``value`` in ``scope``. A name whose part is unknown gets an Unknown."""
        for name, part in _destructure(self, pattern, value, scope):
            scope.bind(name, part)

    # -- set-up ------------------------------------------------------------------------

    def _find_reassigned_names(self) -> set[str]:
        names = set()
        for node in iter_named_nodes(self.tree.root_node):
            target = None
            if node.type in ("assignment_expression", "augmented_assignment_expression"):
                target = node.child_by_field_name("left")
            elif node.type == "update_expression":
                target = node.child_by_field_name("argument")
            if target is not None and target.type == "identifier":
                names.add(_text(target))
        return names

    def _declare_declarator(self, declarator: tree_sitter.Node, scope: Scope) -> None:
        pattern = declarator.child_by_field_name("name")
        value_node = declarator.child_by_field_name("value")
        if pattern is None:
            return
        keyword = declarator.parent.child(0) if declarator.parent is not None else None
        is_const = keyword is not None and _text(keyword) == "const"

        names = _pattern_names(pattern)
        for name in names:
            if not is_const and name in self._reassigned:
                scope.bind(name, self.unknown(f"uses {name}, which is reassigned", declarator))
                continue

            def compute(name: str = name) -> Any:
                value = self.evaluate(value_node, scope) if value_node is not None else UNDEFINED
                if pattern.type == "identifier":
                    return value
                parts = dict(_destructure(self, pattern, value, scope))
                return parts.get(name, UNDEFINED)

            scope.declare(name, compute)

    def _declare_top_level(self) -> None:
        root = self.tree.root_node
        statements = named_children(root)
        self.declare_block(statements, self.scope)
        for statement in statements:
            if statement.type == "import_statement":
                self._declare_import(statement)
            elif statement.type == "export_statement":
                self._declare_export(statement)

    def _declare_import(self, statement: tree_sitter.Node) -> None:
        source_node = statement.child_by_field_name("source")
        if source_node is None:
            return
        specifier = string_value(source_node)
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        if clause is None:
            return

        for part in named_children(clause):
            if part.type == "identifier":
                self._declare_imported(_text(part), specifier, "default", part)
            elif part.type == "namespace_import":
                alias = next((c for c in part.named_children if c.type == "identifier"), None)
                if alias is not None:
                    self._declare_imported(_text(alias), specifier, "*", part)
            elif part.type == "named_imports":
                for specifier_node in named_children(part):
                    if specifier_node.type != "import_specifier":
                        continue
                    name_node = specifier_node.child_by_field_name("name")
                    alias_node = specifier_node.child_by_field_name("alias") or name_node
                    if name_node is None or alias_node is None:
                        continue
                    imported = (string_value(name_node) if name_node.type == "string"
                                else _text(name_node))
                    self._declare_imported(_text(alias_node), specifier, imported, specifier_node)

    def _declare_imported(self, local: str, specifier: str, imported: str,
                          node: tree_sitter.Node) -> None:
        def compute() -> Any:
            return self._import_value(specifier, imported, node)

        self.scope.declare(local, compute)

    def _import_value(self, specifier: str, imported: str, node: tree_sitter.Node) -> Any:
        # `api` and `internal` come from Convex's generated code, which may not exist on disk
        # (it is generated by `npx convex dev`), so the specifier alone decides. ESM-style
        # projects write the generated file's name, "./_generated/api.js".
        generated = specifier.rstrip("/").removesuffix(".js")
        if generated.endswith("_generated/api") and imported in ("api", "internal"):
            return FunctionReference(imported)

        target = self.loader.resolve_import(specifier, self.base_dir)
        if isinstance(target, str):
            unknown = self.unknown(f"uses {imported}, which {target}", node)
            if not specifier.startswith("."):
                unknown = Unknown(unknown.reason, unknown.line, unknown.column, unknown.file,
                                  import_source=specifier, import_name=imported, node=node)
            return unknown
        module = self.loader.load(target)
        if module is None:
            return self.unknown(f"uses {imported}, imported from {specifier}, "
                                "which cannot be read", node)

        budget = self.loader.budget
        if budget.depth >= budget.limit:
            return self.depth_limit(node)
        budget.depth += 1
        try:
            if imported == "*":
                return module.exports()
            return module.export_value(imported)
        finally:
            budget.depth -= 1

    def _declare_export(self, statement: tree_sitter.Node) -> None:
        declaration = statement.child_by_field_name("declaration")
        value = statement.child_by_field_name("value")
        source_node = statement.child_by_field_name("source")

        if declaration is not None:
            for name, node in _declared_names(declaration):
                self._exports[name] = lambda name=name: self.lookup(name)
                self._export_nodes[name] = node
            return

        if value is not None:
            # `export default <expression>`
            self._exports["default"] = lambda: self.evaluate(value)
            self._export_nodes["default"] = value
            return

        is_default = any(child.type == "default" for child in statement.children)
        if is_default:
            # `export default function f() {}` parses with a declaration in some versions.
            inner = next((c for c in named_children(statement)
                          if c.type in ("function_declaration", "function_expression",
                                        "class_declaration", "arrow_function")), None)
            if inner is not None:
                self._exports["default"] = lambda: Closure(inner, self, self.scope)
                self._export_nodes["default"] = inner
            return

        clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
        if clause is None:
            if source_node is not None:
                # `export * from "./x"`: resolved on request through export_value.
                self._star_exports.append(source_node)
            return
        for specifier_node in named_children(clause):
            name_node = specifier_node.child_by_field_name("name")
            alias_node = specifier_node.child_by_field_name("alias") or name_node
            if name_node is None or alias_node is None:
                continue
            local = _text(name_node)
            exported = _text(alias_node)
            if source_node is not None:
                specifier = string_value(source_node)
                self._exports[exported] = (
                    lambda specifier=specifier, local=local, node=specifier_node:
                    self._import_value(specifier, local, node))
            else:
                self._exports[exported] = lambda local=local: self.lookup(local)
                self._export_nodes[exported] = _declaration_value(self, local) or name_node


def _declaration_value(module: Module, name: str) -> tree_sitter.Node | None:
    for statement in named_children(module.tree.root_node):
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        for declared, node in _declared_names(declaration):
            if declared == name:
                return node
    return None


def _declared_names(declaration: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node]]:
    """Return (name, value node) for each name a declaration statement introduces."""
    names = []
    if declaration.type in ("lexical_declaration", "variable_declaration"):
        for declarator in named_children(declaration):
            if declarator.type != "variable_declarator":
                continue
            pattern = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value") or declarator
            if pattern is not None:
                names += [(name, value) for name in _pattern_names(pattern)]
    elif declaration.type in ("function_declaration", "generator_function_declaration",
                              "class_declaration", "enum_declaration",
                              "abstract_class_declaration"):
        name_node = declaration.child_by_field_name("name")
        if name_node is not None:
            names.append((_text(name_node), declaration))
    return names


def _pattern_names(pattern: tree_sitter.Node) -> list[str]:
    """Return the names that a binding pattern introduces, in order."""
    names = []
    for node in iter_nodes(pattern):
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            parent = node.parent
            # Skip default values (`{a = b}`) and keys (`{key: name}`).
            if parent is not None and parent.type in ("pair_pattern",):
                if parent.child_by_field_name("key") == node:
                    continue
            if parent is not None and parent.type in ("assignment_pattern",
                                                      "object_assignment_pattern",
                                                      "required_parameter",
                                                      "optional_parameter"):
                if parent.child_by_field_name("right") == node or \
                        parent.child_by_field_name("value") == node:
                    continue
            if _inside_default_value(node, pattern):
                continue
            names.append(_text(node))
    return names


def _inside_default_value(node: tree_sitter.Node, pattern: tree_sitter.Node) -> bool:
    current = node
    while current is not None and current != pattern:
        parent = current.parent
        if parent is None:
            return False
        if parent.type in ("assignment_pattern", "object_assignment_pattern") and \
                parent.child_by_field_name("right") == current:
            return True
        if parent.type in ("required_parameter", "optional_parameter") and \
                parent.child_by_field_name("value") == current:
            return True
        if parent.type == "type_annotation":
            return True
        current = parent
    return False


def _destructure(module: Module, pattern: tree_sitter.Node, value: Any,
                 scope: Scope) -> list[tuple[str, Any]]:
    """Return (name, part of value) for each name of a binding pattern."""
    kind = pattern.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        return [(_text(pattern), value)]
    if kind in ("required_parameter", "optional_parameter"):
        inner = pattern.child_by_field_name("pattern")
        default = pattern.child_by_field_name("value")
        if value is UNDEFINED and default is not None:
            value = module.evaluate(default, scope)
        return _destructure(module, inner, value, scope) if inner is not None else []
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        left = pattern.child_by_field_name("left")
        right = pattern.child_by_field_name("right")
        if value is UNDEFINED and right is not None:
            value = module.evaluate(right, scope)
        return _destructure(module, left, value, scope) if left is not None else []
    if kind == "rest_pattern":
        inner = named_children(pattern)
        return _destructure(module, inner[0], value, scope) if inner else []

    if kind == "object_pattern":
        pairs = []
        used = set()
        for part in named_children(pattern):
            if part.type == "rest_pattern":
                rest = ({k: v for k, v in value.items() if k not in used}
                        if isinstance(value, dict) else value)
                pairs += _destructure(module, part, rest, scope)
                continue
            if part.type == "pair_pattern":
                key_node = part.child_by_field_name("key")
                target = part.child_by_field_name("value")
                key = _property_key(module, key_node, scope) if key_node is not None else None
            else:
                target = part
                key_node = (part.child_by_field_name("left")
                            if part.type == "object_assignment_pattern" else part)
                key = _text(key_node) if key_node is not None else None
            if target is None:
                continue
            if isinstance(key, str):
                used.add(key)
            pairs += _destructure(module, target, _member(module, value, key, part), scope)
        return pairs

    if kind == "array_pattern":
        pairs = []
        index = 0
        for part in pattern.children:
            # Holes (`[, second]`) have no node, so positions are counted by commas.
            if part.type == ",":
                index += 1
                continue
            if not part.is_named or part.type == "comment":
                continue
            if part.type == "rest_pattern":
                rest = value[index:] if isinstance(value, list) else value
                pairs += _destructure(module, part, rest, scope)
                continue
            pairs += _destructure(module, part, _member(module, value, index, part), scope)
        return pairs

    return [(name, module.unknown("is bound by an unsupported pattern", pattern))
            for name in _pattern_names(pattern)]


def _syntax_name(node_type: str) -> str:
    """Return a grammar node type as words with an article: "an update expression"."""
    words = node_type.replace("_", " ")
    return f"an {words}" if words[:1] in "aeiou" else f"a {words}"


def _property_key(module: Module, key_node: tree_sitter.Node, scope: Scope) -> Any:
    if key_node.type == "string":
        return string_value(key_node)
    if key_node.type == "number":
        value = _parse_number(_text(key_node))
        return _number_string(value) if value is not None else _text(key_node)
    if key_node.type == "computed_property_name":
        inner = named_children(key_node)
        if not inner:
            return module.unknown("has an empty computed key", key_node)
        key = module.evaluate(inner[0], scope)
        return key if isinstance(key, Unknown) else js_string(key)
    return _text(key_node)


def _member(module: Module, value: Any, key: Any, node: tree_sitter.Node) -> Any:
    """Return ``value[key]`` as JavaScript would, or an Unknown."""
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return key
    if isinstance(value, FunctionReference):
        if isinstance(key, str):
            return value.child(key)
        return module.unknown("indexes a function reference with a non-string key", node)
    if value is None or value is UNDEFINED:
        return module.unknown(f"reads the property {key!r} of {js_string(value)}", node)
    if isinstance(value, list):
        if key == "length":
            return len(value)
        index = key
        if isinstance(key, str) and key.isdigit():
            index = int(key)
        if _is_number(index) and float(index).is_integer() and 0 <= index < len(value):
            return value[int(index)]
        if _is_number(index):
            return UNDEFINED
        return module.unknown(f"calls or reads the array property {key!r}", node)
    if isinstance(value, dict):
        text_key = key if isinstance(key, str) else js_string(key)
        if isinstance(text_key, Unknown):
            return text_key
        return value.get(text_key, UNDEFINED)
    if isinstance(value, str):
        if key == "length":
            return len(value)
        if _is_number(key) and float(key).is_integer() and 0 <= key < len(value):
            return value[int(key)]
        return module.unknown(f"reads the string property {key!r}", node)
    return module.unknown(f"reads the property {key!r} of a {type(value).__name__}", node)


def _parse_number(text: str) -> int | float | None:
    text = text.replace("_", "")
    try:
        if text.endswith("n"):
            return int(text[:-1], 0)
        lowered = text.lower()
        if lowered.startswith(("0x", "0o", "0b")):
            return int(text, 0)
        if len(text) > 1 and text.startswith("0") and text.isdigit():
            return int(text, 8)  # legacy octal literal
        return _number(float(text))
    except ValueError:
        return None


# --- expressions --------------------------------------------------------------------------


class _Evaluation:
    """Evaluator of one expression tree in one scope, with one method per node type."""

    def __init__(self, module: Module, scope: Scope) -> None:
        self.module = module
        self.scope = scope

    def evaluate(self, node: tree_sitter.Node) -> Any:
        return self.module.evaluate(node, self.scope)

    def unknown(self, reason: str, node: tree_sitter.Node) -> Unknown:
        return self.module.unknown(reason, node)

    def dispatch(self, node: tree_sitter.Node) -> Any:
        handler = getattr(self, f"_eval_{node.type}", None)
        if handler is None:
            if node.type in _TYPE_WRAPPERS:
                inner = unwrap(node)
                if inner == node:
                    return self.unknown("is an empty expression", node)
                return self.evaluate(inner)
            if node.type == "ERROR" or node.has_error:
                return self.unknown("is not valid TypeScript", node)
            return self.unknown(f"uses {_syntax_name(node.type)}, which crongate does not "
                                "evaluate", node)
        return handler(node)

    # Literals.

    def _eval_string(self, node: tree_sitter.Node) -> Any:
        return string_value(node)

    def _eval_number(self, node: tree_sitter.Node) -> Any:
        value = _parse_number(_text(node))
        return value if value is not None else self.unknown("is not a valid number", node)

    def _eval_true(self, node: tree_sitter.Node) -> Any:
        return True

    def _eval_false(self, node: tree_sitter.Node) -> Any:
        return False

    def _eval_null(self, node: tree_sitter.Node) -> Any:
        return None

    def _eval_undefined(self, node: tree_sitter.Node) -> Any:
        return UNDEFINED

    def _eval_template_string(self, node: tree_sitter.Node) -> Any:
        parts = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(_text(child))
            elif child.type == "escape_sequence":
                parts.append(_decode_escape(_text(child)))
            elif child.type == "template_substitution":
                inner = named_children(child)
                value = self.evaluate(inner[0]) if inner else UNDEFINED
                text = js_string(value)
                if isinstance(text, Unknown):
                    return text
                parts.append(text)
        text = _joined(parts, "")
        return text.at(node, self.module) if isinstance(text, Unknown) else text

    # Names and members.

    def _eval_identifier(self, node: tree_sitter.Node) -> Any:
        name = _text(node)
        if not self.scope.is_bound(name) and name not in _GLOBALS:
            return self.unknown(f"uses {name}, which is not defined in this module", node)
        value = self.scope.lookup(name)
        if isinstance(value, Unknown) and value.line is None:
            return value.at(node, self.module)
        return value

    def _eval_member_expression(self, node: tree_sitter.Node) -> Any:
        object_node = node.child_by_field_name("object")
        property_node = node.child_by_field_name("property")
        if object_node is None or property_node is None:
            return self.unknown("is an incomplete member access", node)
        if _text(unwrap(object_node)) == "process.env":
            return self.unknown(f"reads process.env.{_text(property_node)}", node)
        if _text(unwrap(object_node)) == "process":
            return self.unknown(f"reads process.{_text(property_node)}", node)
        value = self.evaluate(object_node)
        if property_node.type == "private_property_identifier":
            return self.unknown("reads a private field", node)
        return _member(self.module, value, _text(property_node), node)

    def _eval_subscript_expression(self, node: tree_sitter.Node) -> Any:
        object_node = node.child_by_field_name("object")
        index_node = node.child_by_field_name("index")
        if object_node is None or index_node is None:
            return self.unknown("is an incomplete index", node)
        if _text(unwrap(object_node)) == "process.env":
            return self.unknown(f"reads process.env[{_text(index_node)}]", node)
        value = self.evaluate(object_node)
        key = self.evaluate(index_node)
        return _member(self.module, value, key, node)

    # Containers.

    def _eval_object(self, node: tree_sitter.Node) -> Any:
        result: dict[str, Any] = {}
        for part in named_children(node):
            if part.type == "pair":
                key_node = part.child_by_field_name("key")
                key = _property_key(self.module, key_node, self.scope) if key_node else None
                if isinstance(key, Unknown):
                    return key
                if not isinstance(key, str):
                    return self.unknown("has a property without a key", part)
                result.pop(key, None)  # a later key moves to the end, as in JavaScript
                result[key] = self.evaluate(part.child_by_field_name("value"))
            elif part.type == "shorthand_property_identifier":
                key = _text(part)
                result.pop(key, None)
                result[key] = self._eval_identifier(part)
            elif part.type == "spread_element":
                inner = named_children(part)
                spread = self.evaluate(inner[0]) if inner else UNDEFINED
                if isinstance(spread, Unknown):
                    return spread
                if isinstance(spread, dict):
                    for key, value in spread.items():
                        result.pop(key, None)
                        result[key] = value
                elif isinstance(spread, list):
                    for index, value in enumerate(spread):
                        result[str(index)] = value
                elif isinstance(spread, str):
                    for index, char in enumerate(spread):
                        result[str(index)] = char
                # Spreading null, undefined, numbers or booleans adds nothing.
            elif part.type == "method_definition":
                name_node = part.child_by_field_name("name")
                if name_node is not None:
                    result[_text(name_node)] = Closure(part, self.module, self.scope,
                                                       name=_text(name_node))
            else:
                return self.unknown(f"uses {_syntax_name(part.type)} in an object", part)
        return result

    def _eval_array(self, node: tree_sitter.Node) -> Any:
        result: list[Any] = []
        for part in named_children(node):
            if part.type == "spread_element":
                inner = named_children(part)
                spread = self.evaluate(inner[0]) if inner else UNDEFINED
                if isinstance(spread, Unknown):
                    return spread
                if isinstance(spread, list):
                    result.extend(spread)
                elif isinstance(spread, str):
                    result.extend(spread)
                else:
                    return self.unknown("spreads a value that is not an array", part)
            else:
                result.append(self.evaluate(part))
            if len(result) > MAX_ELEMENTS:
                return self.unknown(f"has more than {MAX_ELEMENTS} elements", node)
        return result

    # Operators.

    def _eval_unary_expression(self, node: tree_sitter.Node) -> Any:
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        op = _text(operator) if operator is not None else ""
        value = self.evaluate(argument)
        if op == "typeof":
            return self._typeof(value, node)
        if op == "void":
            return UNDEFINED
        if isinstance(value, Unknown):
            return value
        if op == "!":
            truth = _truthy(value)
            return truth if isinstance(truth, Unknown) else not truth
        number = _to_number(value)
        if number is None:
            return self.unknown(f"applies {op} to a value that is not a number", node)
        if op == "-":
            return _number(-number)
        if op == "+":
            return _number(number)
        if op == "~" and not math.isnan(number) and not math.isinf(number):
            return ~int(number)
        return self.unknown(f"applies the operator {op}", node)

    def _typeof(self, value: Any, node: tree_sitter.Node) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, str):
            return "string"
        if isinstance(value, bool):
            return "boolean"
        if _is_number(value):
            return "number"
        if value is UNDEFINED:
            return "undefined"
        if isinstance(value, Closure):
            return "function"
        return "object"

    def _eval_binary_expression(self, node: tree_sitter.Node) -> Any:
        operator_node = node.child_by_field_name("operator")
        op = _text(operator_node) if operator_node is not None else ""
        left = self.evaluate(node.child_by_field_name("left"))

        # Short-circuit operators evaluate the right side only when needed, as JavaScript does.
        if op in ("&&", "||", "??"):
            if isinstance(left, Unknown):
                return left
            if op == "??":
                use_right = left is None or left is UNDEFINED
            else:
                truth = _truthy(left)
                use_right = truth if op == "&&" else not truth
            return self.evaluate(node.child_by_field_name("right")) if use_right else left

        right = self.evaluate(node.child_by_field_name("right"))
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        return _binary(self.module, op, left, right, node)

    def _eval_ternary_expression(self, node: tree_sitter.Node) -> Any:
        condition = self.evaluate(node.child_by_field_name("condition"))
        truth = _truthy(condition)
        if isinstance(truth, Unknown):
            return truth
        branch = "consequence" if truth else "alternative"
        return self.evaluate(node.child_by_field_name(branch))

    def _eval_sequence_expression(self, node: tree_sitter.Node) -> Any:
        value: Any = UNDEFINED
        for part in named_children(node):
            value = self.evaluate(part)
        return value

    # Functions and calls.

    def _eval_arrow_function(self, node: tree_sitter.Node) -> Any:
        return Closure(node, self.module, self.scope)

    def _eval_function_expression(self, node: tree_sitter.Node) -> Any:
        name_node = node.child_by_field_name("name")
        return Closure(node, self.module, self.scope,
                       name=_text(name_node) if name_node is not None else None)

    _eval_function = _eval_function_expression

    def _eval_call_expression(self, node: tree_sitter.Node) -> Any:
        hook = self.module.loader.call_hook
        if hook is not None:
            hooked = hook(self.module, node, self.scope)
            if hooked is not None:
                return hooked

        callee_node = node.child_by_field_name("function")
        arguments = call_arguments(node)
        if callee_node is None:
            return self.unknown("is an incomplete call", node)
        callee_text = _text(unwrap(callee_node))
        if any(argument.type == "spread_element" for argument in arguments):
            return self.unknown(f"calls {callee_text}() with spread arguments", node)

        callee = unwrap(callee_node)
        if callee.type == "member_expression":
            object_node = callee.child_by_field_name("object")
            property_node = callee.child_by_field_name("property")
            if object_node is not None and property_node is not None:
                method = _text(property_node)
                if _text(unwrap(object_node)) == "Object" and not self.scope.is_bound("Object"):
                    return self._object_function(method, arguments, node)
                target = self.evaluate(object_node)
                if isinstance(target, list):
                    return self._array_method(target, method, arguments, node)
                if isinstance(target, str):
                    return self._string_method(target, method, arguments, node)

        function = self.evaluate(callee_node)
        if isinstance(function, Closure):
            values = [self.evaluate(argument) for argument in arguments]
            return call_closure(function, values, node)
        if isinstance(function, Unknown) and function.import_source is not None:
            return self.unknown(f"calls {callee_text}() from {function.import_source}", node)
        return self.unknown(f"calls {callee_text}()", node)

    def _object_function(self, method: str, arguments: list[tree_sitter.Node],
                         node: tree_sitter.Node) -> Any:
        if method not in ("entries", "keys", "values") or len(arguments) != 1:
            return self.unknown(f"calls Object.{method}()", node)
        value = self.evaluate(arguments[0])
        if isinstance(value, Unknown):
            return value
        if isinstance(value, list):
            value = {str(index): item for index, item in enumerate(value)}
        if not isinstance(value, dict):
            return self.unknown(f"calls Object.{method}() on a value that is not an object", node)
        if method == "entries":
            return [[key, item] for key, item in value.items()]
        if method == "keys":
            return list(value.keys())
        return list(value.values())

    def _array_method(self, array: list, method: str, arguments: list[tree_sitter.Node],
                      node: tree_sitter.Node) -> Any:
        values = [self.evaluate(argument) for argument in arguments]
        unknown = next((v for v in values if isinstance(v, Unknown)), None)
        if unknown is not None:
            return unknown
        if method in ("map", "filter", "flatMap") and values and isinstance(values[0], Closure):
            results = []
            for index, item in enumerate(array):
                result = call_closure(values[0], [item, index, array], node)
                if method == "map":
                    results.append(result)
                    continue
                if method == "flatMap":
                    results.extend(result if isinstance(result, list) else [result])
                    if len(results) > MAX_ELEMENTS:
                        return self.unknown(f"has more than {MAX_ELEMENTS} elements", node)
                    continue
                truth = _truthy(result)
                if isinstance(truth, Unknown):
                    return truth
                if truth:
                    results.append(item)
            return results
        if method == "join":
            separator = values[0] if values and values[0] is not UNDEFINED else ","
            parts = [js_string(item) if item not in (None, UNDEFINED) else "" for item in array]
            bad = next((p for p in parts if isinstance(p, Unknown)), None)
            if bad is not None:
                return bad
            separator_text = js_string(separator)
            if isinstance(separator_text, Unknown):
                return separator_text
            text = _joined(parts, separator_text)
            return text.at(node, self.module) if isinstance(text, Unknown) else text
        if method == "concat":
            result = list(array)
            for value in values:
                result.extend(value if isinstance(value, list) else [value])
                if len(result) > MAX_ELEMENTS:
                    return self.unknown(f"has more than {MAX_ELEMENTS} elements", node)
            return result
        if method == "slice" and all(_is_number(v) for v in values):
            bounds = [int(v) for v in values]
            return array[slice(*bounds)] if bounds else list(array)
        if method == "includes" and len(values) == 1:
            return values[0] in array
        return self.unknown(f"calls the array method {method}()", node)

    def _string_method(self, text: str, method: str, arguments: list[tree_sitter.Node],
                       node: tree_sitter.Node) -> Any:
        simple = {"toLowerCase": str.lower, "toUpperCase": str.upper, "trim": str.strip,
                  "trimStart": str.lstrip, "trimEnd": str.rstrip}
        if method in simple and not arguments:
            return simple[method](text)
        return self.unknown(f"calls the string method {method}()", node)

    def _eval_new_expression(self, node: tree_sitter.Node) -> Any:
        constructor = node.child_by_field_name("constructor")
        name = _text(constructor) if constructor is not None else "?"
        return self.unknown(f"constructs new {name}()", node)

    def _eval_await_expression(self, node: tree_sitter.Node) -> Any:
        return self.unknown("awaits a promise", node)

    def _eval_this(self, node: tree_sitter.Node) -> Any:
        return self.unknown("reads this", node)


def _binary(module: Module, op: str, left: Any, right: Any, node: tree_sitter.Node) -> Any:
    """Apply a binary operator to two known values, as JavaScript would."""
    if op == "+":
        if isinstance(left, (str, list, dict)) or isinstance(right, (str, list, dict)):
            left_text = js_string(left)
            right_text = js_string(right)
            if isinstance(left_text, Unknown):
                return module.unknown(left_text.reason, node)
            if isinstance(right_text, Unknown):
                return module.unknown(right_text.reason, node)
            text = _joined([left_text, right_text], "")
            return module.unknown(text.reason, node) if isinstance(text, Unknown) else text
    if op in ("===", "!=="):
        same = _strict_equal(left, right)
        return same if op == "===" else not same
    if op in ("==", "!="):
        same = _strict_equal(left, right) or (left in (None, UNDEFINED)
                                              and right in (None, UNDEFINED))
        return same if op == "==" else not same
    if op in ("<", ">", "<=", ">=") and isinstance(left, str) and isinstance(right, str):
        return {"<": left < right, ">": left > right, "<=": left <= right,
                ">=": left >= right}[op]

    a = _to_number(left)
    b = _to_number(right)
    if a is None or b is None:
        return module.unknown(f"applies {op} to values that are not numbers", node)
    try:
        if op == "+":
            return _number(a + b)
        if op == "-":
            return _number(a - b)
        if op == "*":
            return _number(a * b)
        if op == "/":
            if b == 0:
                return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (
                    math.copysign(1, b))
            return _number(a / b)
        if op == "%":
            return _number(math.fmod(a, b)) if b != 0 else math.nan
        if op == "**":
            return _number(a ** b)
        if op in ("<", ">", "<=", ">="):
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if op in ("|", "&", "^", "<<", ">>"):
            x, y = int(a) & 0xFFFFFFFF, int(b) & 0xFFFFFFFF
            result = {"|": x | y, "&": x & y, "^": x ^ y,
                      "<<": (x << (y & 31)) & 0xFFFFFFFF, ">>": x >> (y & 31)}[op]
            return result - 2**32 if result >= 2**31 else result
    except (OverflowError, ValueError, ZeroDivisionError):
        return module.unknown(f"computes {op} out of range", node)
    return module.unknown(f"applies the operator {op}", node)


def _strict_equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, (list, dict)):
        return left is right
    return left == right


def call_closure(closure: Closure, arguments: list[Any], call_node: tree_sitter.Node) -> Any:
    """Return the result of calling a local function.

    Only a body that is one expression, or constant declarations followed by ``return``, is
    evaluated. Any other body gives an Unknown.
    """
    module = closure.module
    body = closure.body
    name = closure.name or "an inline function"
    if body is None:
        return module.unknown(f"calls {name}, which has no body", call_node)

    budget = module.loader.budget
    if budget.depth >= budget.limit:
        return module.depth_limit(call_node)
    budget.calls += 1
    if budget.calls > MAX_CALLS:
        if budget.calls == MAX_CALLS + 1:
            logger.warning("Stopped calling local functions in %s: more than %d calls",
                           module.display_name or "the source text", MAX_CALLS)
        return module.unknown(f"calls {name}() after {MAX_CALLS} other calls of local functions, "
                              "more than crongate evaluates", call_node)
    budget.depth += 1
    try:
        result = _run_closure_body(closure, arguments, call_node)
    finally:
        budget.depth -= 1
    if isinstance(result, Unknown) and result.node is not None and result.node != call_node:
        # Report the call's position, since that is where the caller needs the value.
        return result.at(call_node, module, f"calls {name}(), which {result.reason}")
    return result


def _run_closure_body(closure: Closure, arguments: list[Any], call_node: tree_sitter.Node) -> Any:
    module = closure.module
    body = closure.body
    name = closure.name or "an inline function"
    assert body is not None
    scope = bind_parameters(closure, arguments)
    if body.type != "statement_block":
        return module.evaluate(body, scope)
    statements = named_children(body)
    module.declare_block(statements, scope)
    for statement in statements:
        if statement.type in ("lexical_declaration", "variable_declaration",
                              "function_declaration", "empty_statement"):
            continue
        if statement.type == "return_statement":
            inner = named_children(statement)
            return module.evaluate(inner[0], scope) if inner else UNDEFINED
        return module.unknown(f"calls {name}, whose body is more than constants and a "
                              "return", call_node)
    return UNDEFINED


def bind_parameters(closure: Closure, arguments: list[Any]) -> Scope:
    """Return a scope for one call of ``closure`` with its parameters bound to ``arguments``."""
    scope = closure.scope.child()
    for index, parameter in enumerate(closure.parameters):
        if parameter.type == "rest_pattern" or (
                parameter.type == "required_parameter"
                and (pattern := parameter.child_by_field_name("pattern")) is not None
                and pattern.type == "rest_pattern"):
            value: Any = list(arguments[index:])
        else:
            value = arguments[index] if index < len(arguments) else UNDEFINED
        for name, part in _destructure(closure.module, parameter, value, scope):
            scope.bind(name, part)
    return scope
