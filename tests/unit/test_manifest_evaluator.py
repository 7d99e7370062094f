"""The TypeScript evaluator's public API, as the crons.ts and systemJobs.ts readers use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crongate.manifest import evaluator
from crongate.manifest.evaluator import (
    UNDEFINED,
    FunctionReference,
    Module,
    ModuleLoader,
    Unknown,
    call_arguments,
    function_path,
    iter_nodes,
    normalize_function_path,
    to_json,
)

SOURCE = '''
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";

const BASE = { enabled: true, category: "sync" };
const MINUTES = 5;

export const addTrafficSyncJob = internalMutation({
  args: {},
  handler: async (ctx) => {
    const now = Date.now();
    const key = "traffic-sync";
    await ctx.db.insert("systemJobs", {
      ...BASE,
      jobKey: key,
      interval: { type: "minutes", value: MINUTES },
      createdAt: now,
    });
  },
});

export default BASE;
'''


@pytest.mark.parametrize(("expression", "expected"), [
    ('"a" + 1 + 2', "a12"),
    ("1 + 2 * 3", 7),
    ("10 / 4", 2.5),
    ("7 % 3", 1),
    ("-(2 ** 3)", -8),
    ("`x${1 + 1}y`", "x2y"),
    ("[1, ...[2, 3]].length", 3),
    ('({ a: 1, ...{ b: 2 } })["b"]', 2),
    ("true && 'yes'", "yes"),
    ("null ?? 4", 4),
    ("1 < 2 ? 'lt' : 'ge'", "lt"),
    ("'AbC'.toLowerCase()", "abc"),
    ("[1, 2, 3].map((n) => n * 2)", [2, 4, 6]),
    ("[1, 2, 3].filter((n) => n > 1)", [2, 3]),
    ("['a', 'b'].join('-')", "a-b"),
    ("Object.keys({ x: 1, y: 2 })", ["x", "y"]),
    ("Object.entries({ x: 1 })", [["x", 1]]),
    ("(5 as number)!", 5),
    ("<number>6", 6),
    ("({ a: 1 } satisfies object).a", 1),
    ("0x1F", 31),
    ("1_000", 1000),
    ("'\\u0041\\x42\\n'", "AB\n"),
])
def test_expression_values(expression: str, expected: object) -> None:
    module = Module.from_source(f"const VALUE = {expression};")
    assert module.lookup("VALUE") == expected


@pytest.mark.parametrize(("expression", "reason"), [
    ("process.env.REGION", "reads process.env.REGION"),
    ("computeName()", "calls computeName()"),
    ("Date.now()", "calls Date.now()"),
    ("missing + 1", "uses missing, which is not defined in this module"),
    ("new Date()", "constructs new Date()"),
])
def test_unknown_reasons(expression: str, reason: str) -> None:
    module = Module.from_source(f"const VALUE = {expression};")
    value = module.lookup("VALUE")
    assert isinstance(value, Unknown)
    assert value.reason == reason
    assert value.line == 1


def test_function_reference_paths() -> None:
    module = Module.from_source('import { internal, api } from "./_generated/api";\n'
                                "const A = internal.dir.file.fn;\n"
                                "const B = api.cleanup.default;\n"
                                "const C = internal.onlyModule;\n")
    assert function_path(module.lookup("A")) == "dir/file:fn"
    assert function_path(module.lookup("B")) == "cleanup"
    assert function_path(module.lookup("C")) is None
    assert isinstance(module.lookup("A"), FunctionReference)


@pytest.mark.parametrize(("written", "path"), [
    ("convex/dir/file.ts:fn", "dir/file:fn"),
    ("dir/file:default", "dir/file"),
    ("dir/file", "dir/file"),
    ("file.js:run", "file:run"),
])
def test_normalize_function_path(written: str, path: str) -> None:
    assert normalize_function_path(written) == path


def test_exports_and_export_node() -> None:
    module = Module.from_source(SOURCE)
    assert module.export_names() == ("addTrafficSyncJob", "default")
    assert module.exports()["default"] == {"enabled": True, "category": "sync"}
    node = module.export_node("addTrafficSyncJob")
    assert node is not None
    assert node.type == "call_expression"
    assert module.export_node("missing") is None


def test_scope_at_reads_insert_object() -> None:
    module = Module.from_source(SOURCE)
    insert = next(node for node in iter_nodes(module.tree.root_node)
                  if node.type == "call_expression"
                  and module.text(node.child_by_field_name("function")) == "ctx.db.insert")
    table, document = call_arguments(insert)

    value = module.evaluate(document, module.scope_at(insert))

    assert module.evaluate(table) == "systemJobs"
    assert value["jobKey"] == "traffic-sync"
    assert value["interval"] == {"type": "minutes", "value": 5}
    assert isinstance(value["createdAt"], Unknown)
    assert value["category"] == "sync"


def test_to_json_drops_undefined() -> None:
    assert to_json({"a": UNDEFINED, "b": [UNDEFINED], "c": 2.0}) == {"b": [None], "c": 2}


def test_cyclic_constants_are_unknown() -> None:
    module = Module.from_source("const A = B;\nconst B = A;\n")
    assert isinstance(module.lookup("A"), Unknown)


def test_reassigned_let_is_unknown() -> None:
    module = Module.from_source("let a = 1;\na += 1;\nlet b = 2;\n")
    assert isinstance(module.lookup("a"), Unknown)
    assert module.lookup("b") == 2


def test_imports_resolve_inside_root(tmp_path: Path) -> None:
    (tmp_path / "convex" / "lib").mkdir(parents=True)
    (tmp_path / "convex" / "lib" / "index.ts").write_text("export const X = 3;\n")
    (tmp_path / "convex" / "config.ts").write_text(
        'export { X as Y } from "./lib";\nexport default { z: 1 };\n')
    (tmp_path / "outside.ts").write_text("export const O = 1;\n")
    main = tmp_path / "convex" / "crons.ts"
    main.write_text('import D, { Y } from "./config.js";\nimport { O } from "../outside";\n'
                    "const A = Y + D.z;\nconst B = O;\n")

    loader = ModuleLoader(tmp_path / "convex")
    module = loader.load(main)

    assert module is not None
    assert module.lookup("A") == 4
    assert "outside the project root" in module.lookup("B").reason


def test_loader_returns_none_for_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bad.ts"
    path.write_bytes(b"\xff\xfe")
    assert ModuleLoader(tmp_path).load(path) is None


# -- bounds on what hostile code can make the evaluator build --


def _doubling(levels: int, start: str, operation: str) -> str:
    lines = [f"const v0 = {start};"]
    lines += [f"const v{i} = {operation.format(previous=f'v{i - 1}')};" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("operation", ("{previous} + {previous}", "`${{{previous}}}${{{previous}}}`",
                                       "[{previous}, {previous}].join('')"))
def test_long_string_unknown(operation: str) -> None:
    module = Module.from_source(_doubling(22, '"ab"', operation))

    # v15 has 2 * 2**15 = 65536 characters, the limit, so v16 is the first one over it.
    assert module.lookup("v15") == "ab" * 2**15
    value = module.lookup("v16")
    assert isinstance(value, Unknown)
    assert "more than the limit of 65536" in value.reason
    assert isinstance(module.lookup("v22"), Unknown)


def test_string_below_limit_known() -> None:
    module = Module.from_source(_doubling(10, '"ab"', "{previous} + {previous}"))

    assert module.lookup("v10") == "ab" * 1024


def test_deep_doubling_finishes() -> None:
    # 40 levels nest deeper than MAX_DEPTH; each level was evaluated twice before.
    module = Module.from_source(_doubling(40, "1", "{previous} + {previous}"))

    assert isinstance(module.lookup("v40"), Unknown)


def test_doubling_calls_bounded(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Each helper calls the previous one twice, so f30(1) would make 2**30 calls.
    monkeypatch.setattr(evaluator, "MAX_CALLS", 1000)
    source = "const f0 = (x) => x;\n" + "".join(
        f"const f{i} = (x) => f{i - 1}(x) + f{i - 1}(x);\n" for i in range(1, 31)
    ) + "const SMALL = f5(1);\nconst VALUE = f30(1);\n"
    module = Module.from_source(source, display_name="helpers.ts")

    assert module.lookup("SMALL") == 32
    assert isinstance(module.lookup("VALUE"), Unknown)
    assert "Stopped calling local functions in helpers.ts: more than 1000 calls" in caplog.text


def test_concat_capped() -> None:
    module = Module.from_source(_doubling(20, "[1]", "{previous}.concat({previous})"))

    # v14 would have 2**14 = 16384 elements, the first level over the limit.
    assert len(module.lookup("v13")) == 2**13
    value = module.lookup("v14")
    assert isinstance(value, Unknown)
    assert "more than 10000 elements" in value.reason
    assert isinstance(module.lookup("v20"), Unknown)


def test_infinity_stays_number() -> None:
    module = Module.from_source("const VALUE = { minutes: 1e309, hours: 0 / 0 };")

    value = module.lookup("VALUE")
    assert value["minutes"] == float("inf")
    assert value["hours"] != value["hours"]  # NaN
