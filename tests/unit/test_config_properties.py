"""Property-based tests of the crongate.yml loader.

Any valid config, written out as YAML with any line endings, reads back as the values it
holds. Any other input, valid YAML or not, either loads or raises ConfigError: never
another exception. An unknown key or a mistyped value is reported on its own line.

The examples are derandomized, so CI runs the same ones every time, and bounded in number.
"""

from __future__ import annotations

import string
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crongate.config import FAIL_ON_VALUES, SEVERITY_VALUES, Config, load_config
from crongate.errors import ConfigError
from crongate.registry.interface import FieldMap
from crongate.rules import RULES

PROPERTY_SETTINGS = settings(derandomize=True, max_examples=120, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])

TOP_KEYS = ("manifest", "functions_dir", "migrations", "fail_on", "registry", "match", "ignore", "keep_disabled",
            "rules", "scaffold")
REGISTRY_STRINGS = ("url", "snapshot", "list_function", "page_function", "table", "enable_function",
                    "upsert_function", "delete_function")

# Printable text without the characters that need escapes in YAML's plain style; the dumper
# still quotes whatever would read as another type ("yes", "1.5", "null").
names = st.text(alphabet=string.ascii_letters + string.digits + " -_./:@", min_size=1, max_size=24).filter(
    lambda text: text.strip() == text and text != "")


def load_text(content: str | bytes) -> Config:
    """Write ``content`` to a crongate.yml in a new folder and load it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crongate.yml"
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return load_config(path)


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key in ("manifest", "functions_dir", "migrations"):
        if draw(st.booleans()):
            document[key] = draw(names)
    if draw(st.booleans()):
        document["fail_on"] = draw(st.sampled_from(sorted(FAIL_ON_VALUES)))

    registry: dict[str, Any] = {}
    for key in REGISTRY_STRINGS:
        if draw(st.booleans()):
            registry[key] = draw(names)
    if draw(st.booleans()):
        registry["page_size"] = draw(st.integers(min_value=1, max_value=32_000))
    if draw(st.booleans()):
        registry["timeout"] = draw(st.floats(min_value=0.1, max_value=600, allow_nan=False))
    if draw(st.booleans()):
        attributes = draw(st.lists(st.sampled_from(FieldMap.attribute_names()), unique=True, max_size=4))
        registry["fields"] = {attribute: draw(names) for attribute in attributes}
    if registry:
        document["registry"] = registry

    if draw(st.booleans()):
        rules = draw(st.lists(st.sampled_from(sorted(RULES)), unique=True, max_size=4))
        document["rules"] = {rule: {"severity": draw(st.sampled_from(sorted(SEVERITY_VALUES)))} for rule in rules}
    if draw(st.booleans()):
        document["ignore"] = [
            {"rule": draw(st.sampled_from(sorted(RULES))), "job": draw(names), "reason": draw(names)}
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ]
    if draw(st.booleans()):
        jobs = draw(st.lists(names, unique=True, max_size=3))
        document["keep_disabled"] = [{"job": job, "reason": draw(names)} for job in jobs]
    if draw(st.booleans()):
        document["match"] = {"keys": draw(st.dictionaries(names, names, max_size=3))}
    return document


def _dump(document: dict[str, Any], line_ending: str, bom: bool) -> bytes:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True) if document else ""
    data = text.replace("\n", line_ending).encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


@PROPERTY_SETTINGS
@given(valid_configs(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_valid_config_reads_back(document: dict[str, Any], line_ending: str, bom: bool) -> None:
    config = load_text(_dump(document, line_ending, bom))

    for key in ("manifest", "functions_dir", "migrations"):
        assert getattr(config, key) == document.get(key)
    assert config.fail_on == FAIL_ON_VALUES[document.get("fail_on", "error")]
    registry = document.get("registry", {})
    for key in REGISTRY_STRINGS:
        if key in registry:
            assert getattr(config.registry, key) == registry[key]
    if "page_size" in registry:
        assert config.registry.page_size == registry["page_size"]
    if "timeout" in registry:
        assert config.registry.timeout == registry["timeout"]
    for attribute, name in registry.get("fields", {}).items():
        assert getattr(config.registry.fields, attribute) == name
    for rule, setting in document.get("rules", {}).items():
        assert config.severities[rule] == SEVERITY_VALUES[setting["severity"]]
    assert len(config.ignore) == len(document.get("ignore", []))
    assert dict(config.keep_disabled) == {entry["job"]: entry["reason"] for entry in document.get("keep_disabled", [])}
    assert dict(config.key_map) == document.get("match", {}).get("keys", {})


@PROPERTY_SETTINGS
@given(valid_configs())
def test_line_endings_same_config(document: dict[str, Any]) -> None:
    unix = load_text(_dump(document, "\n", False))
    windows = load_text(_dump(document, "\r\n", True))

    assert replace(unix, path=None) == replace(windows, path=None)


# Anything YAML can hold, nested a few levels.
yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)


@PROPERTY_SETTINGS
@given(st.dictionaries(st.sampled_from(TOP_KEYS) | st.text(max_size=10), yaml_values, max_size=5))
def test_any_yaml_loads_or_config_error(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document)
    try:
        load_text(text)
    except ConfigError as error:
        assert str(error).startswith(str(error.message))
        assert "crongate.yml" in error.message


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_load_or_config_error(data: bytes) -> None:
    try:
        load_text(data)
    except ConfigError as error:
        assert "crongate.yml" in error.message


@PROPERTY_SETTINGS
@given(valid_configs(), names.filter(lambda name: name not in TOP_KEYS), st.data())
def test_unknown_key_names_line(document: dict[str, Any], unknown: str, data: st.DataObject) -> None:
    keys = list(document)
    position = data.draw(st.integers(min_value=0, max_value=len(keys)))
    keys.insert(position, unknown)
    document = {key: document.get(key, "value") for key in keys}
    text = yaml.safe_dump(document, sort_keys=False)
    lines = text.splitlines()
    quoted = yaml.safe_dump({unknown: "value"}).split(":")[0]
    line = next(index for index, content in enumerate(lines, start=1) if content.startswith(quoted + ":"))

    try:
        load_text(text)
    except ConfigError as error:
        assert f"crongate.yml:{line}:" in error.message
        assert repr(unknown) in error.message
    else:
        raise AssertionError(f"unknown key {unknown!r} was accepted")


@PROPERTY_SETTINGS
@given(st.sampled_from(["page_size", "timeout"]), st.text(alphabet=string.ascii_letters, min_size=1, max_size=8),
       st.integers(min_value=0, max_value=5))
def test_mistyped_number_names_line(key: str, value: str, blank_lines: int) -> None:
    text = "fail_on: error\n" + "\n" * blank_lines + f"registry:\n  {key}: {value}\n"
    expected_line = 3 + blank_lines

    try:
        load_text(text)
    except ConfigError as error:
        assert f"crongate.yml:{expected_line}:" in error.message
        assert f"registry.{key}" in error.message
    else:
        raise AssertionError(f"registry.{key}: {value} was accepted")


@PROPERTY_SETTINGS
@given(st.sampled_from(["deploy_key", "admin_key"]),
       st.text(alphabet=string.ascii_letters + string.digits + "|:", min_size=12, max_size=40))
def test_secret_in_config_not_echoed(key: str, secret: str) -> None:
    text = f"registry:\n  {key}: '{secret}'\n"

    try:
        load_text(text)
    except ConfigError as error:
        assert secret not in str(error)
        assert "CONVEX_DEPLOY_KEY" in str(error)
    else:
        raise AssertionError(f"{key} was accepted in the config file")
