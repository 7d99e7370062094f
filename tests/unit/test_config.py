"""crongate.yml loading: values, defaults, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crongate.config import Config, load_config
from crongate.errors import ConfigError
from crongate.model import Severity


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crongate.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_config_reads_every_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """\
manifest: app/convex/crons.ts
functions_dir: app/convex
migrations: app/convex/systemJobs.ts
fail_on: warning
registry:
  url: https://happy-animal-123.convex.cloud
  list_function: jobs:all
  page_function: jobs:page
  page_size: 500
  table: jobRegistry
  timeout: 4.5
  fields:
    key: slug
    schedule: every
match:
  keys:
    AI Proxy Orchestrator: ai-proxy
ignore:
  - job: legacy
    reason: removed next sprint
  - rule: never-run
    reason: new jobs
keep_disabled:
  - job: heavy-export
    reason: paused until the data team needs it again
rules:
  stale:
    periods: 5
  failing:
    error_rate: 0.25
    min_runs: 10
  orphaned-job:
    severity: error
  never-run:
    severity: "off"
scaffold:
  acronyms: [AI, SMS]
  categories:
    - {module: reports, category: reporting}
  default_category: ops
"""))
    assert config.manifest == "app/convex/crons.ts"
    assert config.fail_on is Severity.WARNING
    assert config.registry.url == "https://happy-animal-123.convex.cloud"
    assert config.registry.page_size == 500
    assert config.registry.timeout == 4.5
    assert config.registry.fields.key == "slug"
    assert config.registry.fields.schedule == "every"
    assert config.registry.fields.name == "name"
    assert config.key_map == {"AI Proxy Orchestrator": "ai-proxy"}
    assert [entry.job for entry in config.ignore] == ["legacy", None]
    assert config.keep_disabled == {"heavy-export": "paused until the data team needs it again"}
    assert config.stale_periods == 5
    assert config.failing_error_rate == 0.25
    assert config.failing_min_runs == 10
    assert config.severities == {"orphaned-job": Severity.ERROR, "never-run": None}
    assert config.scaffold.acronyms == ("AI", "SMS")
    assert config.scaffold.categories == (("reports", "reporting"),)


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"))
    assert config.fail_on is Severity.ERROR
    assert config.registry.list_function == "systemJobs:listAll"


def test_bare_off_turns_rule_off(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "rules:\n  never-run:\n    severity: off\n"))
    assert config.severities == {"never-run": None}


def test_fail_on_never_is_none(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "fail_on: never\n")).fail_on is None


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("manifest: a\nregisty:\n  url: x\n", 2, "unknown key 'registy'"),
        ("registry:\n  url: x\n  urll: y\n", 3, "unknown key 'urll' in registry"),
        ("fail_on: sometimes\n", 1, "fail_on must be one of error, warning, never"),
        ("registry:\n  page_size: lots\n", 2, "registry.page_size must be a number"),
        ("registry:\n  timeout: -1\n", 2, "registry.timeout must be a number of at least 0.1"),
        ("ignore:\n  - job: x\n", 2, "needs a 'reason'"),
        ("ignore:\n  - rule: no-such-rule\n    reason: r\n", 2, "unknown rule 'no-such-rule'"),
        ("ignore: {job: x}\n", 1, "ignore must be a list"),
        ("keep_disabled:\n  - job: x\n", 2, "needs both 'job' and 'reason'"),
        ("rules:\n  failing:\n    error_rate: 5\n", 3, "fraction from 0 to 1"),
        ("rules:\n  stale:\n    periods: 0\n", 3, "rules.stale.periods must be a number of at least 1"),
        ("rules:\n  stale:\n    severity: true\n", 3, "must be one of error, warning, off"),
        ("rules:\n  stale:\n    window: 3\n", 3, "unknown key 'window' in rules.stale"),
        ("manifest: [a, b]\n", 1, "manifest must be a single value"),
        ("manifest: x\nmanifest: y\n", 2, "appears twice"),
        ("registry: [\n", 2, "expected the node content"),
    ],
)
def test_invalid_config_names_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert fragment in message
    assert raised.value.hint


def test_deploy_key_in_config_rejected_without_echo(tmp_path: Path) -> None:
    path = write(tmp_path, "registry:\n  deploy_key: prod:secret-animal|c2VjcmV0LXRva2Vu\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "c2VjcmV0LXRva2Vu" not in str(raised.value)
    assert "CONVEX_DEPLOY_KEY" in str(raised.value)


def test_invalid_utf8_names_file(tmp_path: Path) -> None:
    path = tmp_path / "crongate.yml"
    path.write_bytes(b"manifest: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_byte_order_mark_accepted(tmp_path: Path) -> None:
    path = tmp_path / "crongate.yml"
    path.write_bytes("\ufefffail_on: warning\r\n".encode())
    assert load_config(path).fail_on is Severity.WARNING


def test_overrides_skip_none() -> None:
    config = Config(manifest="a").with_overrides(manifest=None, functions_dir="src/convex")
    assert config.manifest == "a"
    assert config.functions_dir == "src/convex"
