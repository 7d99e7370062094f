"""``crongate.yml``: its schema, loading with line numbers, and defaults.

The file is optional. Every setting also has a CLI flag, and a flag wins over the file.
An unknown key or a value of the wrong type is a ``ConfigError`` that names the file, the
line and the key, so a typo never silently turns a check off.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from crongate.errors import ConfigError
from crongate.model import Severity
from crongate.registry.interface import FieldMap
from crongate.rules import RULES
from crongate.source_file import read_source_file

logger = logging.getLogger(__name__)

CONFIG_NAMES = ("crongate.yml", "crongate.yaml")
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class IgnoreEntry:
    """Findings to leave out: of one rule, of one job, or of one rule on one job."""

    reason: str
    job: str | None = None
    rule: str | None = None

    def covers(self, rule: str, job: str | None) -> bool:
        return (self.rule is None or self.rule == rule) and (self.job is None or self.job == job)


@dataclass(frozen=True)
class RegistrySettings:
    url: str | None = None
    snapshot: str | None = None
    list_function: str = "systemJobs:listAll"
    page_function: str | None = None
    page_size: int = 1000
    table: str = "systemJobs"
    timeout: float = 10.0
    enable_function: str = "systemJobs:enable"
    upsert_function: str | None = None
    delete_function: str | None = None  # called by `migrate --prune` for orphaned rows, with {<key field>: key}
    fields: FieldMap = FieldMap()


@dataclass(frozen=True)
class ScaffoldSettings:
    acronyms: tuple[str, ...] = ("AI", "API", "URL", "ID", "HTTP", "SMS", "PDF", "CSV", "DB", "UI")
    categories: tuple[tuple[str, str], ...] = ()  # (function module prefix, category)
    default_category: str = "system"


@dataclass(frozen=True)
class Config:
    """Settings after the file is read. ``path`` is None when no file was found."""

    path: Path | None = None
    manifest: str | None = None
    functions_dir: str | None = None
    migrations: str | None = None
    fail_on: Severity | None = Severity.ERROR
    registry: RegistrySettings = RegistrySettings()
    key_map: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[IgnoreEntry, ...] = ()
    keep_disabled: Mapping[str, str] = field(default_factory=dict)  # job or row key -> reason
    severities: Mapping[str, Severity | None] = field(default_factory=dict)  # None turns a rule off
    stale_periods: float = 3.0
    never_run_periods: float = 2.0
    failing_error_rate: float = 0.5
    failing_min_runs: int = 4
    scaffold: ScaffoldSettings = ScaffoldSettings()

    def with_overrides(self, **changes: Any) -> Config:
        """Return a copy with the given settings replaced, skipping those that are None."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


FAIL_ON_VALUES = {"error": Severity.ERROR, "warning": Severity.WARNING, "never": None}
SEVERITY_VALUES = {"error": Severity.ERROR, "warning": Severity.WARNING, "off": None}
SECRET_KEYS = frozenset({"deploy_key", "admin_key"})


def find_config(root: Path) -> Path | None:
    """Return the config file at the project root, if there is one.

    Raises ConfigError when a config name exists but is not a regular file (a dangling
    symlink, a directory, a FIFO), because running without the committed config would
    judge the project by defaults that it does not use.
    """
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
        if not candidate.is_symlink() and not candidate.exists():
            continue

        if not candidate.exists():
            kind = "a symbolic link that does not resolve to a file"
        elif candidate.is_dir():
            kind = "a directory"
        elif candidate.is_fifo():
            kind = "a FIFO"
        else:
            kind = "not a regular file"
        raise ConfigError(
            f"{candidate} exists but cannot be read: it is {kind}",
            hint=f"replace {name} with the project's config file, or pass one with --config",
        )
    return None


def load_config(path: Path) -> Config:
    """Read and validate ``crongate.yml``."""
    try:
        data = read_source_file(path, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(
            f"cannot read config file {path}: {error.strerror}",
            hint="check the path given to --config",
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is over the limit of {MAX_CONFIG_BYTES} bytes",
                          hint="a crongate.yml is a few dozen lines; check that --config names the right file")
    try:
        text = data.decode("utf-8-sig")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte {error.start})",
                          hint="save the file as UTF-8") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read",
                          hint="a crongate.yml nests a few levels; check that --config names the right file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{where}: {problem}", hint="fix the YAML syntax at that line") from None

    if node is None:
        logger.info("config file %s is empty; using defaults", path)
        return Config(path=path)
    return _Reader(path).read(node)


class _Reader:
    """Walks the YAML node tree so that every error can name its line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node, message: str, hint: str) -> ConfigError:
        return ConfigError(f"{self.path}:{node.start_mark.line + 1}: {message}", hint=hint)

    def mapping(self, node: yaml.Node, where: str, known: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping of keys to values", "indent its keys under it")
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in SECRET_KEYS:
                # The value is not echoed: it may be a real key.
                raise self.fail(key_node, f"{where} sets {key!r}, but keys are not read from the config file",
                                "never commit a deploy key; set CONVEX_DEPLOY_KEY in the environment instead")
            if not isinstance(key, str) or (known and key not in known):
                raise self.fail(key_node, f"unknown key {key!r} in {where}",
                                f"known keys: {', '.join(known)}")
            if key in result:
                raise self.fail(key_node, f"key {key!r} appears twice in {where}", "keep one of them")
            result[key] = value_node
        return result

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{where} must be a single value", "write it on one line")
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)

    def string(self, node: yaml.Node, where: str) -> str:
        value = self.scalar(node, where)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{where} must be a non-empty string, not {value!r}", "quote the value")
        return value

    def number(self, node: yaml.Node, where: str, *, minimum: float = 0) -> float:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(node, f"{where} must be a number of at least {minimum}, not {value!r}",
                            "write a plain number")
        return float(value)

    def choice(self, node: yaml.Node, where: str, choices: Mapping[str, Any]) -> Any:
        value = self.scalar(node, where)
        if value is False and "off" in choices:
            # YAML 1.1 reads a bare `off` as false; the user meant the word.
            value = "off"
        if not isinstance(value, str) or value not in choices:
            raise self.fail(node, f"{where} must be one of {', '.join(choices)}, not {value!r}",
                            f"use one of: {', '.join(choices)}")
        return choices[value]

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list", "start each entry with '- '")
        return list(node.value)

    def read(self, node: yaml.Node) -> Config:
        top = self.mapping(node, "crongate.yml", (
            "manifest", "functions_dir", "migrations", "fail_on", "registry", "match", "ignore",
            "keep_disabled", "rules", "scaffold",
        ))
        changes: dict[str, Any] = {}

        for key in ("manifest", "functions_dir", "migrations"):
            if key in top:
                changes[key] = self.string(top[key], key)
        if "fail_on" in top:
            changes["fail_on"] = self.choice(top["fail_on"], "fail_on", FAIL_ON_VALUES)
        if "registry" in top:
            changes["registry"] = self.read_registry(top["registry"])

        if "match" in top:
            match = self.mapping(top["match"], "match", ("keys",))
            if "keys" in match:
                keys = self.mapping(match["keys"], "match.keys", ())
                changes["key_map"] = {name: self.string(value, f"match.keys.{name}") for name, value in keys.items()}
        if "ignore" in top:
            changes["ignore"] = tuple(self.read_ignore(entry) for entry in self.sequence(top["ignore"], "ignore"))
        if "keep_disabled" in top:
            changes["keep_disabled"] = self.read_keep_disabled(top["keep_disabled"])

        if "rules" in top:
            changes.update(self.read_rules(top["rules"]))
        if "scaffold" in top:
            changes["scaffold"] = self.read_scaffold(top["scaffold"])
        return replace(Config(path=self.path), **changes)

    def read_keep_disabled(self, node: yaml.Node) -> dict[str, str]:
        reasons = {}
        for entry in self.sequence(node, "keep_disabled"):
            fields_ = self.mapping(entry, "a keep_disabled entry", ("job", "reason"))
            if "job" not in fields_ or "reason" not in fields_:
                raise self.fail(entry, "a keep_disabled entry needs both 'job' and 'reason'",
                                "say which job stays disabled and why")
            job = self.string(fields_["job"], "keep_disabled.job")
            reasons[job] = self.string(fields_["reason"], "keep_disabled.reason")
        return reasons

    def read_registry(self, node: yaml.Node) -> RegistrySettings:
        known = ("url", "snapshot", "list_function", "page_function", "page_size", "table", "timeout",
                 "enable_function", "upsert_function", "delete_function", "fields")
        entries = self.mapping(node, "registry", known)
        changes: dict[str, Any] = {}
        for key in ("url", "snapshot", "list_function", "page_function", "table", "enable_function", "upsert_function",
                    "delete_function"):
            if key in entries:
                changes[key] = self.string(entries[key], f"registry.{key}")
        if "page_size" in entries:
            changes["page_size"] = int(self.number(entries["page_size"], "registry.page_size", minimum=1))
        if "timeout" in entries:
            changes["timeout"] = self.number(entries["timeout"], "registry.timeout", minimum=0.1)
        if "fields" in entries:
            names = self.mapping(entries["fields"], "registry.fields", FieldMap.attribute_names())
            changes["fields"] = FieldMap(**{k: self.string(v, f"registry.fields.{k}") for k, v in names.items()})
        return replace(RegistrySettings(), **changes)

    def read_ignore(self, node: yaml.Node) -> IgnoreEntry:
        entry = self.mapping(node, "an ignore entry", ("job", "rule", "reason"))
        if "reason" not in entry:
            raise self.fail(node, "an ignore entry needs a 'reason'", "say why the finding is acceptable")
        if "job" not in entry and "rule" not in entry:
            raise self.fail(node, "an ignore entry needs a 'job', a 'rule', or both",
                            "name what to ignore")
        rule = None
        if "rule" in entry:
            rule = self.string(entry["rule"], "ignore.rule")
            if rule not in RULES:
                raise self.fail(entry["rule"], f"unknown rule {rule!r}", f"known rules: {', '.join(RULES)}")
        job = self.string(entry["job"], "ignore.job") if "job" in entry else None
        return IgnoreEntry(reason=self.string(entry["reason"], "ignore.reason"), job=job, rule=rule)

    def read_rules(self, node: yaml.Node) -> dict[str, Any]:
        rules = self.mapping(node, "rules", tuple(RULES))
        severities: dict[str, Severity | None] = {}
        changes: dict[str, Any] = {}
        options = {
            "stale": {"periods": "stale_periods"},
            "never-run": {"periods": "never_run_periods"},
            "failing": {"error_rate": "failing_error_rate", "min_runs": "failing_min_runs"},
        }
        for rule_id, rule_node in rules.items():
            allowed = ("severity", *options.get(rule_id, {}))
            settings = self.mapping(rule_node, f"rules.{rule_id}", allowed)
            if "severity" in settings:
                severities[rule_id] = self.choice(settings["severity"], f"rules.{rule_id}.severity", SEVERITY_VALUES)
            for option, attribute in options.get(rule_id, {}).items():
                if option in settings:
                    # A period count below 1 would call a job stale before its next run is due.
                    minimum = 1 if option == "periods" else 0
                    value = self.number(settings[option], f"rules.{rule_id}.{option}", minimum=minimum)
                    if option == "error_rate" and value > 1:
                        raise self.fail(settings[option], "rules.failing.error_rate is a fraction from 0 to 1",
                                        "write 0.5 for 50%")
                    changes[attribute] = int(value) if option == "min_runs" else value
        changes["severities"] = severities
        return changes

    def read_scaffold(self, node: yaml.Node) -> ScaffoldSettings:
        entries = self.mapping(node, "scaffold", ("acronyms", "categories", "default_category"))
        settings = ScaffoldSettings()
        if "acronyms" in entries:
            acronyms = tuple(self.string(n, "scaffold.acronyms") for n in self.sequence(entries["acronyms"], "scaffold.acronyms"))
            settings = replace(settings, acronyms=acronyms)
        if "categories" in entries:
            categories = []
            for entry in self.sequence(entries["categories"], "scaffold.categories"):
                pair = self.mapping(entry, "a scaffold.categories entry", ("module", "category"))
                if set(pair) != {"module", "category"}:
                    raise self.fail(entry, "a scaffold.categories entry needs 'module' and 'category'",
                                    "for example: {module: reports, category: reporting}")
                categories.append((self.string(pair["module"], "module"), self.string(pair["category"], "category")))
            settings = replace(settings, categories=tuple(categories))
        if "default_category" in entries:
            settings = replace(settings, default_category=self.string(entries["default_category"], "scaffold.default_category"))
        return settings
