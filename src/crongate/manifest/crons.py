"""Read the cron jobs that ``convex/crons.ts`` registers, without running it.

The reader walks the file's statements the way Node would when Convex loads the module:
it follows blocks, ``if`` branches (both, keeping the condition's text), ``for ... of`` and
``for ... in`` loops and ``.forEach``/``.map`` callbacks over known data, and calls of local
helper functions. Every call of ``interval``, ``cron``, ``hourly``, ``daily``, ``weekly`` or
``monthly`` on the object that ``cronJobs()`` returned becomes a ``CronJob``, whatever the
object's variable is called.

A registration whose name, schedule, target or args cannot be known statically is not listed
as a job: it yields a ``dynamic-registration`` finding that gives the reason, so no job is
guessed and none disappears silently. The same holds for a registration inside a loop over
unknown data, and for one in code the reader does not follow (a ``while`` loop, a callback
passed to another library, a function that is never called).

NOTE: every ``cronJobs()`` object counts, even one that is not the default export. Convex
loads only the default export's jobs.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tree_sitter

from crongate.errors import ManifestError
from crongate.manifest.evaluator import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    UNDEFINED,
    Closure,
    FunctionReference,
    Module,
    ModuleLoader,
    Scope,
    Unknown,
    bind_parameters,
    call_arguments,
    find_unknown,
    function_path,
    named_children,
    to_json,
    unwrap,
)
from crongate.source_file import NotRegularFileError, read_source_file
from crongate.model import CronJob, Finding, Location
from crongate.rules import RULES
from crongate.schedule import check_registration

logger = logging.getLogger(__name__)

#: The registration methods of the object that Convex's ``cronJobs()`` returns.
METHODS = ("interval", "cron", "hourly", "daily", "weekly", "monthly")

#: crons.ts files larger than this are rejected instead of parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024

# Convex's client-side check of a cron identifier: printable ASCII, space included.
_VALID_NAME = re.compile(r"^[ -~]*$")

_FUNCTION_TYPES = ("function_declaration", "function_expression", "arrow_function",
                   "generator_function_declaration", "method_definition")

_QUERY_CONSTRUCTORS = ("query", "internalQuery")

# Syntax-tree depth above which an unvisited registration is not located precisely.
_MAX_TREE_DEPTH = 512

# How many levels above a registration call its statement is looked for.
_MAX_DESCRIPTION_STEPS = 16

# Bounds the recursion of _non_data; evaluated values are rarely deeper than MAX_DEPTH anyway.
_MAX_DATA_DEPTH = MAX_DEPTH


@dataclass(frozen=True)
class CronsReading:
    """The cron jobs and static findings read from one ``crons.ts``."""

    jobs: tuple[CronJob, ...]  # source order, loops expanded
    findings: tuple[Finding, ...]
    has_default_export: bool


@dataclass(frozen=True)
class CronsObject:
    """The value of a ``cronJobs()`` call, identified by where the call is."""

    file: str | None
    start_byte: int


@dataclass(frozen=True)
class _Context:
    """The walker's position: module and scope, the enclosing ``if`` conditions, and the
    unknown data of an enclosing loop (None outside such a loop)."""

    module: Module
    scope: Scope
    conditions: tuple[str, ...] = ()
    loop_unknown: Unknown | None = None

    def with_scope(self, scope: Scope) -> _Context:
        return _Context(self.module, scope, self.conditions, self.loop_unknown)


def read_crons_file(path: Path, root: Path) -> CronsReading:
    """Read ``crons.ts`` at ``path``; locations are relative to the project ``root``.

    Raises ManifestError when the file is missing, not a regular file, larger than 5 MB,
    binary or not UTF-8. Any text that can be read yields a reading, never an exception.
    """
    hint = "Check the path of crons.ts (the functions directory is set by `functions` in convex.json)."
    try:
        data = read_source_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ManifestError(f"Cannot read {path}: the file does not exist", hint=hint) from None
    except NotRegularFileError as error:
        raise ManifestError(f"Cannot read {path}: it is not a regular file (it is {error.kind})",
                            hint=hint) from None
    except OSError as error:
        raise ManifestError(f"Cannot read {path}: {error.strerror}", hint=hint) from error
    if len(data) > MAX_FILE_BYTES:
        raise ManifestError(
            f"Cannot read {path}: it has more than the limit of {MAX_FILE_BYTES} bytes",
            hint="crons.ts is normally a few kilobytes; check that the path names the right file.")

    if b"\0" in data:
        raise ManifestError(f"Cannot read {path}: it is a binary file (it contains NUL bytes)",
                            hint=hint)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ManifestError(
            f"Cannot read {path}: line {line} (byte {error.start}) is not valid UTF-8",
            hint="Save crons.ts as UTF-8, as the TypeScript compiler expects.") from error
    source = source.removeprefix("\ufeff")

    root = root.resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(root):
        file = PurePosixPath(resolved.relative_to(root)).as_posix()
    else:
        file = path.as_posix()
    return read_crons_source(source, file, base_dir=resolved.parent, root=root)


def read_crons_source(source: str, file: str, base_dir: Path | None = None,
                      root: Path | None = None) -> CronsReading:
    """Read the cron jobs of ``crons.ts`` source text. Never raises on any source text
    (tests/unit/test_manifest_fuzz.py checks this on generated and mutated files).

    ``file`` is the path reported in locations. ``base_dir`` is the functions directory
    (the directory of crons.ts): relative imports and target modules are looked up there.
    Imports are followed only inside ``root``, which defaults to ``base_dir``; with neither,
    no import is followed.
    """
    if root is None:
        root = base_dir
    loader = ModuleLoader(root, call_hook=_cron_jobs_hook)
    path = base_dir / PurePosixPath(file).name if base_dir is not None else None
    module = Module.from_source(source, path=path, loader=loader, display_name=file)
    reader = _CronsReader(module, base_dir)
    try:
        reader.run()
    except RecursionError:
        # The depth limits should make this unreachable; it stays so that no input can
        # escape as an exception.
        logger.warning("Stopped reading %s: nesting exceeded Python's recursion limit", file)
        reader.add_finding("dynamic-registration", None,
                           f"{file} nests code too deeply to read, so its cron jobs may be "
                           "incomplete",
                           "Flatten the nesting around the registrations.", None)
    return reader.result()


def _cron_jobs_hook(module: Module, node: tree_sitter.Node, scope: Scope) -> Any:
    """Give ``cronJobs()`` (imported from convex/server) a value that the reader recognises."""
    callee = node.child_by_field_name("function")
    if callee is None:
        return None
    callee = unwrap(callee)
    if callee.type != "identifier" or call_arguments(node):
        return None
    name = module.text(callee)
    if scope.is_bound(name):
        value = scope.lookup(name)
        if not (isinstance(value, Unknown) and value.import_source == "convex/server"
                and value.import_name == "cronJobs"):
            return None
    elif name != "cronJobs":
        return None
    return CronsObject(module.display_name, node.start_byte)


class _CronsReader:
    """Walks one crons.ts and collects its jobs and findings."""

    def __init__(self, module: Module, functions_dir: Path | None) -> None:
        self.module = module
        self.file = module.display_name or "crons.ts"
        self.functions_dir = functions_dir
        self.jobs: list[CronJob] = []
        self.findings: list[Finding] = []
        self.has_default_export = False
        self._visited: set[tuple[str | None, int]] = set()
        self._names: set[str] = set()
        self._target_modules: dict[Path, Module | None] = {}
        self._active_functions: set[tuple[str | None, int]] = set()

    # -- driver ------------------------------------------------------------------------

    def run(self) -> None:
        if self.module.tree.root_node.has_error:
            logger.warning("%s has syntax errors; reading what tree-sitter recovered", self.file)

        context = _Context(self.module, self.module.scope)
        self.exec_statements(named_children(self.module.tree.root_node), context)
        self.report_unvisited()

        self.has_default_export = self.find_default_export()
        if not self.has_default_export:
            self.add_finding(
                "missing-default-export", None,
                f"{self.file} does not default-export the crons object, so Convex loads none "
                "of its cron jobs",
                "End the file with `export default crons;`, using the name of the variable "
                "that holds cronJobs().", None)

    def result(self) -> CronsReading:
        return CronsReading(tuple(self.jobs), tuple(self.findings), self.has_default_export)

    def add_finding(self, rule: str, job: str | None, message: str, hint: str | None,
                    node: tree_sitter.Node | None, module: Module | None = None) -> None:
        file = (module or self.module).display_name or self.file
        if node is None:
            location = Location(file)
        else:
            location = Location(file, *(module or self.module).position(node))
        self.findings.append(Finding(rule=rule, severity=RULES[rule].severity, message=message,
                                     job=job, location=location, hint=hint))

    # -- statements --------------------------------------------------------------------

    def exec_statements(self, statements: list[tree_sitter.Node], context: _Context) -> bool:
        """Execute statements in order; return True when a ``return`` ends the block."""
        for statement in statements:
            if self.exec_statement(statement, context):
                return True
        return False

    def exec_statement(self, node: tree_sitter.Node, context: _Context) -> bool:
        budget = context.module.loader.budget
        if budget.depth >= budget.limit:
            # Registrations below stay unvisited and are reported as dynamic registrations.
            return False
        budget.depth += 1
        try:
            return self._exec_statement(node, context)
        finally:
            budget.depth -= 1

    def _exec_statement(self, node: tree_sitter.Node, context: _Context) -> bool:
        kind = node.type
        if kind == "expression_statement":
            for expression in named_children(node):
                self.exec_expression(expression, context)
            return False

        if kind == "statement_block":
            return self.exec_block(node, context)
        if kind == "if_statement":
            return self.exec_if(node, context)
        if kind == "for_in_statement":
            self.exec_for_in(node, context)
            return False

        if kind in ("for_statement", "while_statement", "do_statement"):
            body = node.child_by_field_name("body")
            reason = context.module.unknown(
                f"is a {kind.removesuffix('_statement').replace('_', '-')} loop, which "
                "crongate does not expand", node)
            if body is not None:
                self.exec_statement(body, _Context(context.module, context.scope.child(),
                                                   context.conditions, reason))
            return False

        if kind == "try_statement":
            body = node.child_by_field_name("body")
            finalizer = node.child_by_field_name("finalizer")
            returned = self.exec_statement(body, context) if body is not None else False
            if finalizer is not None:
                returned = self.exec_block(named_children(finalizer)[-1], context) or returned
            return returned

        if kind == "labeled_statement":
            body = node.child_by_field_name("body")
            return self.exec_statement(body, context) if body is not None else False
        if kind == "return_statement":
            for expression in named_children(node):
                self.exec_expression(expression, context)
            return True
        # Declarations were bound lazily when the block was entered; other statements
        # (switch, class, ...) are not followed, and registrations in them are reported
        # by report_unvisited.
        return False

    def exec_block(self, block: tree_sitter.Node, context: _Context) -> bool:
        scope = context.scope.child()
        statements = named_children(block)
        context.module.declare_block(statements, scope)
        return self.exec_statements(statements, context.with_scope(scope))

    def exec_if(self, node: tree_sitter.Node, context: _Context) -> bool:
        condition_node = node.child_by_field_name("condition")
        condition = context.module.text(unwrap(condition_node)) if condition_node else "?"
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")

        # Both branches are followed, because the condition usually reads the deployment's
        # environment. Each job keeps the condition's text.
        if consequence is not None:
            inner = _Context(context.module, context.scope, (*context.conditions, condition),
                             context.loop_unknown)
            self.exec_statement(consequence, inner)
        if alternative is not None:
            inner = _Context(context.module, context.scope,
                             (*context.conditions, f"!({condition})"), context.loop_unknown)
            for statement in named_children(alternative):
                self.exec_statement(statement, inner)
        return False

    def exec_for_in(self, node: tree_sitter.Node, context: _Context) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        body = node.child_by_field_name("body")
        operator = node.child_by_field_name("operator")
        if left is None or right is None or body is None:
            return
        module = context.module
        data = module.evaluate(right, context.scope)
        is_in = operator is not None and module.text(operator) == "in"

        items: list[Any] | None = None
        if isinstance(data, list):
            items = [str(index) for index in range(len(data))] if is_in else data
        elif isinstance(data, dict) and is_in:
            items = list(data.keys())
        elif isinstance(data, str) and not is_in:
            items = list(data)

        if items is None or len(items) > MAX_ELEMENTS:
            reason = data if isinstance(data, Unknown) else module.unknown(
                "runs over a value that is not a known array", right)
            scope = context.scope.child()
            module.bind_pattern(left, reason, scope)
            self.exec_statement(body, _Context(module, scope, context.conditions, reason))
            return

        for item in items:
            scope = context.scope.child()
            module.bind_pattern(left, item, scope)
            self.exec_statement(body, context.with_scope(scope))

    # -- expressions -------------------------------------------------------------------

    def exec_expression(self, node: tree_sitter.Node, context: _Context) -> None:
        node = unwrap(node)
        if node.type == "call_expression":
            self.exec_call(node, context)
        elif node.type == "binary_expression":
            # `condition && crons.daily(...)` registers only when the condition holds.
            operator = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if operator is not None and left is not None and right is not None and \
                    context.module.text(operator) == "&&":
                condition = context.module.text(unwrap(left))
                self.exec_expression(right, _Context(context.module, context.scope,
                                                     (*context.conditions, condition),
                                                     context.loop_unknown))
        elif node.type == "sequence_expression":
            for part in named_children(node):
                self.exec_expression(part, context)
        elif node.type == "await_expression":
            for part in named_children(node):
                self.exec_expression(part, context)

    def exec_call(self, call: tree_sitter.Node, context: _Context) -> None:
        module = context.module
        callee_node = call.child_by_field_name("function")
        if callee_node is None:
            return
        callee = unwrap(callee_node)
        arguments = call_arguments(call)

        if callee.type == "member_expression":
            object_node = callee.child_by_field_name("object")
            property_node = callee.child_by_field_name("property")
            method = module.text(property_node) if property_node is not None else ""
            if object_node is not None:
                if method in METHODS:
                    target = module.evaluate(object_node, context.scope)
                    if isinstance(target, CronsObject):
                        self.register(call, method, context)
                        return
                if method in ("forEach", "map", "flatMap") and arguments:
                    if self.exec_array_callback(object_node, arguments[0], context):
                        return

        function = module.evaluate(callee_node, context.scope)
        if isinstance(function, Closure):
            values = [module.evaluate(argument, context.scope) for argument in arguments]
            self.invoke(function, values, context)

    def exec_array_callback(self, array_node: tree_sitter.Node, callback_node: tree_sitter.Node,
                            context: _Context) -> bool:
        """Run a ``.forEach``/``.map`` callback per element; return False when the receiver
        or the callback is not something the reader follows."""
        module = context.module
        callback = module.evaluate(callback_node, context.scope)
        if not isinstance(callback, Closure):
            return False
        array = module.evaluate(array_node, context.scope)
        if isinstance(array, list) and len(array) <= MAX_ELEMENTS:
            for index, item in enumerate(array):
                self.invoke(callback, [item, index, array], context)
            return True
        reason = array if isinstance(array, Unknown) else module.unknown(
            "runs over a value that is not a known array", array_node)
        self.invoke(callback, [reason, reason, reason],
                    _Context(module, context.scope, context.conditions, reason))
        return True

    def invoke(self, closure: Closure, values: list[Any], context: _Context) -> None:
        """Execute a local function's body for its registrations, with its arguments bound."""
        body = closure.body
        budget = closure.module.loader.budget
        key = (closure.module.display_name, closure.node.start_byte)
        if body is None or budget.depth >= budget.limit:
            return
        if key in self._active_functions:
            # NOTE: a recursive call is not followed; the registrations of the function
            # are read once, from the outermost call.
            logger.debug("Not following the recursive call of %s", closure.name)
            return
        self._active_functions.add(key)
        budget.depth += 1
        try:
            scope = bind_parameters(closure, values)
            inner = _Context(closure.module, scope, context.conditions, context.loop_unknown)
            if body.type == "statement_block":
                statements = named_children(body)
                closure.module.declare_block(statements, scope)
                self.exec_statements(statements, inner)
            else:
                self.exec_expression(body, inner)
        finally:
            budget.depth -= 1
            self._active_functions.discard(key)

    # -- registrations -----------------------------------------------------------------

    def register(self, call: tree_sitter.Node, method: str, context: _Context) -> None:
        module = context.module
        self._visited.add((module.display_name, call.start_byte))
        arguments = call_arguments(call)
        name_value = module.evaluate(arguments[0], context.scope) if arguments else UNDEFINED
        known_name = name_value if isinstance(name_value, str) else None

        if context.loop_unknown is not None:
            self.add_finding(
                "dynamic-registration", known_name,
                f"crons.{method}() runs inside a loop that cannot be expanded statically: "
                f"the loop {context.loop_unknown.reason}",
                "Loop over a literal array or object of this module (or of a relative "
                "import), so each cron job can be checked.", call, module)
            return
        if any(argument.type == "spread_element" for argument in arguments):
            self.add_finding(
                "dynamic-registration", known_name,
                f"crons.{method}() is called with spread arguments, which cannot be "
                "read statically",
                "Pass the name, schedule, function and args as separate arguments.",
                call, module)
            return

        parts = self.split_arguments(method, arguments, context)
        if parts is None:
            self.add_finding(
                "invalid-target", known_name,
                f"crons.{method}() is called without a function to run",
                f"Pass a function reference, e.g. crons.{method}(name, schedule, "
                "internal.module.function).", call, module)
            return
        _, schedule_value, function_value, args_value = parts

        for label, value in (("name", name_value), ("schedule", schedule_value),
                             ("function", function_value), ("args", args_value)):
            unknown = find_unknown(value)
            if unknown is not None:
                self.add_finding(
                    "dynamic-registration", known_name,
                    f"The {label} of this crons.{method}() registration cannot be known "
                    f"statically: it {unknown.reason}",
                    f"Write the {label} as a literal or as a constant of this module or of a "
                    "relative import, so crongate can check the cron job.", call, module)
                return

        for label, value in (("schedule", schedule_value), ("args", args_value)):
            problem = _non_data(value)
            if problem == _NOT_FINITE and label == "schedule" and known_name is not None:
                # Convex rejects a schedule with NaN or Infinity at push ("Interval must be an
                # integer greater than 0"), so that is what is reported. The cron job is left
                # out, because its schedule has no JSON form to compare with the registry.
                invalid = check_registration(method, to_json(value))
                for schedule_problem in invalid:
                    self.add_finding(schedule_problem.rule, known_name, schedule_problem.message,
                                     schedule_problem.hint, call, module)
                if invalid:
                    return
            if problem is not None:
                self.add_finding(
                    "dynamic-registration", known_name,
                    f"The {label} of this crons.{method}() registration contains {problem}, "
                    "which crongate cannot compare with the registry",
                    f"Write the {label} with strings, numbers, booleans, null, arrays and "
                    "objects only.", call, module)
                return

        if known_name is None:
            self.add_finding(
                "invalid-name", None,
                f"The name of this crons.{method}() registration is {_describe(name_value)}, "
                "not a string", "Pass the cron name as a string.", call, module)
            return

        path = function_path(function_value)
        if path is None:
            self.add_finding(
                "invalid-target", known_name,
                f"The function of cron job {known_name!r} is not a reference to a mutation "
                f"or action: it is {_describe(function_value)}",
                "Pass a reference such as internal.module.function or a path string such "
                "as \"dir/file:function\".", call, module)
            return

        args = {} if args_value is UNDEFINED else to_json(args_value)
        if not isinstance(args, dict):
            self.add_finding(
                "invalid-target", known_name,
                f"The args of cron job {known_name!r} are {_describe(args_value)}, "
                "not an object", "Pass the args as an object, e.g. { region: \"eu\" }.",
                call, module)
            return
        schedule = None if schedule_value is UNDEFINED else to_json(schedule_value)

        location = Location(module.display_name or self.file, *module.position(call))
        job = CronJob(
            name=known_name, kind=method, schedule=schedule, function=path, args=args,
            location=location,
            condition=" && ".join(context.conditions) if context.conditions else None,
            description=describe_registration(call, module),
        )
        self.check_job(job, call, module)
        self.jobs.append(job)

    def split_arguments(self, method: str, arguments: list[tree_sitter.Node],
                        context: _Context) -> tuple[Any, Any, Any, Any] | None:
        """Return (name, schedule, function, args) values, or None without a function."""
        module = context.module
        nodes: list[tree_sitter.Node | None] = list(arguments)
        if method == "hourly" and len(nodes) >= 2 and not self.is_schedule(nodes[1], context):
            # crons.hourly(name, fn, args?) has no schedule object.
            nodes.insert(1, None)
        nodes += [None] * (4 - len(nodes))
        if nodes[2] is None:
            return None
        values = [module.evaluate(node, context.scope) if node is not None else UNDEFINED
                  for node in nodes[:4]]
        return values[0], values[1], values[2], values[3]

    def is_schedule(self, node: tree_sitter.Node, context: _Context) -> bool:
        if unwrap(node).type == "object":
            return True
        value = context.module.evaluate(node, context.scope)
        return isinstance(value, dict)

    # -- checks ------------------------------------------------------------------------

    def check_job(self, job: CronJob, call: tree_sitter.Node, module: Module) -> None:
        if not _VALID_NAME.match(job.name):
            self.add_finding(
                "invalid-name", job.name,
                f"Invalid cron identifier {job.name!r}: Convex accepts only printable ASCII "
                "characters (space to tilde)",
                "Rename the cron job with ASCII letters, digits, spaces and punctuation.",
                call, module)
        if job.name in self._names:
            self.add_finding(
                "duplicate-name", job.name,
                f"Cron identifier registered twice: {job.name}",
                "Give each cron job its own name; Convex rejects the push otherwise.",
                call, module)
        self._names.add(job.name)

        for problem in check_registration(job.kind, job.schedule):
            self.add_finding(problem.rule, job.name, problem.message, problem.hint, call, module)

        problem = self.check_target(job.function)
        if problem is not None:
            self.add_finding("invalid-target", job.name, problem[0], problem[1], call, module)

    def check_target(self, function: str) -> tuple[str, str] | None:
        """Return (message, hint) when the target's module file exists in the functions
        directory and does not export a mutation or action of that name."""
        if self.functions_dir is None:
            return None
        module_path, _, export = function.partition(":")
        export = export or "default"
        target = self.load_target_module(module_path)
        if target is None:
            return None

        if export not in target.export_names():
            return (f"The cron target {function} is not exported by {target.display_name}",
                    f"Export a mutation or action named {export} from {target.display_name}, "
                    "or fix the reference.")
        node = target.export_node(export)
        if node is None:
            return None
        node = unwrap(node)
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and target.text(unwrap(callee)) in _QUERY_CONSTRUCTORS:
                return (f"The cron target {function} is a query; cron jobs can run only "
                        "mutations and actions",
                        f"Define {export} with mutation(), internalMutation(), action() or "
                        "internalAction().")
        return None

    def load_target_module(self, module_path: str) -> Module | None:
        assert self.functions_dir is not None
        for suffix in (".ts", ".tsx", ".js", ".jsx"):
            candidate = self.functions_dir / f"{module_path}{suffix}"
            if candidate.is_file():
                break
        else:
            return None
        key = candidate.resolve()
        if key not in self._target_modules:
            self._target_modules[key] = self.module.loader.load(key)
        return self._target_modules[key]

    # -- the file as a whole -----------------------------------------------------------

    def find_default_export(self) -> bool:
        module = self.module
        for statement in named_children(module.tree.root_node):
            if statement.type != "export_statement":
                continue
            value = statement.child_by_field_name("value")
            if value is not None:
                if isinstance(module.evaluate(value), CronsObject):
                    return True
                continue
            clause = next((c for c in statement.named_children if c.type == "export_clause"),
                          None)
            if clause is None or statement.child_by_field_name("source") is not None:
                continue
            for specifier in named_children(clause):
                name_node = specifier.child_by_field_name("name")
                alias_node = specifier.child_by_field_name("alias")
                if name_node is None or alias_node is None or module.text(alias_node) != "default":
                    continue
                if isinstance(module.lookup(module.text(name_node)), CronsObject):
                    return True
        return False

    def report_unvisited(self) -> None:
        """Report registrations on the crons object that the walk never reached."""
        module = self.module
        for node, depth in _iter_nodes_with_depth(module.tree.root_node):
            if node.type != "call_expression":
                continue
            if (module.display_name, node.start_byte) in self._visited:
                continue
            callee = node.child_by_field_name("function")
            if callee is None or unwrap(callee).type != "member_expression":
                continue
            callee = unwrap(callee)
            property_node = callee.child_by_field_name("property")
            object_node = callee.child_by_field_name("object")
            if property_node is None or object_node is None or \
                    module.text(property_node) not in METHODS:
                continue
            # Walking up from a node costs time in proportion to its depth in tree-sitter,
            # so deeply nested calls are matched by name against top-level bindings only.
            shallow = depth <= _MAX_TREE_DEPTH
            scope = module.scope_at(node) if shallow else module.scope
            if not isinstance(module.evaluate(object_node, scope), CronsObject):
                continue
            where = _where(node) if shallow else f"nested more than {_MAX_TREE_DEPTH} levels deep"
            self._visited.add((module.display_name, node.start_byte))
            self.add_finding(
                "dynamic-registration", None,
                f"This crons.{module.text(property_node)}() registration is {where}, "
                "which crongate does not follow, so whether and how often it runs cannot be "
                "known statically",
                "Move the registration to the top level, a block, an if, a loop over literal "
                "data or a local helper function called with literal arguments.", node)
        # Findings of this file in line order; those in imported helpers after them.
        self.findings.sort(key=lambda f: (f.location is None or f.location.file != self.file,
                                          (f.location.line or 0) if f.location else 0))


_NOT_FINITE = "a number that is not finite"


def _non_data(value: Any, depth: int = 0) -> str | None:
    """Return what in a value is not plain data (a function, a reference, NaN), or None."""
    if isinstance(value, Closure):
        return "a function"
    if isinstance(value, FunctionReference):
        return "a function reference"
    if isinstance(value, float) and not math.isfinite(value):
        return _NOT_FINITE
    if depth > _MAX_DATA_DEPTH:
        return f"values nested more than {_MAX_DATA_DEPTH} levels deep"
    items = value if isinstance(value, list) else (
        list(value.values()) if isinstance(value, dict) else [])
    for item in items:
        problem = _non_data(item, depth + 1)
        if problem is not None:
            return problem
    return None


def _describe(value: Any) -> str:
    if value is UNDEFINED:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, FunctionReference):
        dotted = ".".join((value.visibility, *value.parts))
        return f"{dotted}, which names a module rather than a function"
    if isinstance(value, Closure):
        return "a function defined in crons.ts"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _iter_nodes_with_depth(root: tree_sitter.Node):
    """Yield (named node, depth in the tree) in source order, without recursion.

    Anonymous nodes (punctuation, keywords) are leaves, so leaving them out changes no
    named node's depth and halves the nodes visited.
    """
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        stack.extend((child, depth + 1) for child in reversed(node.named_children))


def _where(node: tree_sitter.Node) -> str:
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.type in _FUNCTION_TYPES:
            return "inside a function that is never called with known arguments"
        if ancestor.type == "switch_statement":
            return "inside a switch statement"
        if ancestor.type == "ERROR" or ancestor.is_error:
            return "inside code that does not parse"
        if ancestor.type == "class_declaration":
            return "inside a class"
        ancestor = ancestor.parent
    return "in an expression"


def describe_registration(call: tree_sitter.Node, module: Module) -> str | None:
    """Return the text of the comment directly above the statement of a registration."""
    statement = call
    # Each step up costs time in proportion to the depth in tree-sitter, and a comment
    # "directly above" belongs to a statement a few levels up at most.
    for _ in range(_MAX_DESCRIPTION_STEPS):
        parent = statement.parent
        if parent is None or parent.type in ("program", "statement_block", "switch_case",
                                             "switch_default", "if_statement",
                                             "for_in_statement", "for_statement",
                                             "while_statement", "else_clause",
                                             "labeled_statement"):
            break
        statement = parent
    else:
        return None

    comments: list[tree_sitter.Node] = []
    expected_row = statement.start_point[0] - 1
    sibling = statement.prev_sibling
    while sibling is not None and sibling.type == "comment" and \
            sibling.end_point[0] == expected_row:
        before = sibling.prev_sibling
        if before is not None and before.end_point[0] == sibling.start_point[0]:
            break  # a trailing comment of the statement before
        comments.insert(0, sibling)
        expected_row = sibling.start_point[0] - 1
        if module.text(sibling).startswith("/*"):
            break
        sibling = before
    if not comments:
        return None

    lines = []
    for comment in comments:
        text = module.text(comment)
        if text.startswith("//"):
            lines.append(text[2:].strip())
            continue
        body = text[2:-2] if text.endswith("*/") else text[2:]
        for line in body.splitlines():
            line = line.strip()
            line = line.lstrip("*").strip()
            if line:
                lines.append(line)
    description = " ".join(line for line in lines if line)
    return description or None

