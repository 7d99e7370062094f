"""Canary secrets never reach any output, whatever the command, format or verbosity.

A deploy key, a self-hosted admin key and two webhook URLs carry canary strings. Every
command runs as a subprocess against the fake deployment at -vv (some also at the default
level) and writes every report format. Then every byte it wrote is searched: stdout,
stderr, report files, the Markdown summary, annotations, saved plans, and the lines that
scaffold and init add to the project.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_runner import EXAMPLE, REPO, crongate_env
from example_deployment import example_migrations, example_rows
from fake_convex import FakeDeployment

DEPLOY_SECRET = "CANARYZGVwbG95LXNlY3JldC0xMTExMTExMTEx"
DEPLOY_KEY = f"prod:canary-deployment|{DEPLOY_SECRET}"
ADMIN_SECRET = "CANARYYWRtaW4tc2VjcmV0LTIyMjIyMjIyMjI"
ADMIN_KEY = f"self-hosted-canary|{ADMIN_SECRET}"
DISCORD_TOKEN = "CANARYdiscordToken_3333333333"
DISCORD_WEBHOOK = f"https://discord.com/api/webhooks/123456789012345678/{DISCORD_TOKEN}"
SLACK_TOKEN = "CANARYslackToken4444444444"
SLACK_WEBHOOK = f"https://hooks.slack.com/services/T0CANARY/B0CANARY/{SLACK_TOKEN}"

# Every string that must never be written. The tokens are listed on their own too, because
# a redactor that masks only whole URLs would still leak a token that appears alone.
CANARIES = (DEPLOY_KEY, DEPLOY_SECRET, ADMIN_KEY, ADMIN_SECRET, DISCORD_WEBHOOK, DISCORD_TOKEN,
            SLACK_WEBHOOK, SLACK_TOKEN, urllib.parse.quote(DEPLOY_SECRET, safe=""))

VERBOSITY = ("-vv", None)

CANARY_CRONS = f"""
// Posts the on-call digest to {SLACK_WEBHOOK} every hour.
crons.hourly(
  "canary-alerts",
  {{ minuteUTC: 15 }},
  internal.reports.sendDaily,
  {{ channel: "{DISCORD_WEBHOOK}" }},
);
"""

CANARY_MODULE = f"""import {{ internalAction }} from "./_generated/server";

const HOOK = "{SLACK_WEBHOOK}";

export const post = internalAction({{
  args: {{}},
  handler: async () => {{
    await fetch(HOOK, {{ method: "POST", body: "{DISCORD_WEBHOOK}" }});
  }},
}});
"""


@functools.lru_cache(maxsize=1)
def _example_functions() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    return example_rows(), example_migrations()


def _make_project(root: Path) -> Path:
    """Copy the example app and add a cron job and a module that carry the webhook canaries."""
    project = root / "app"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("node_modules"))
    crons = project / "convex" / "crons.ts"
    text = crons.read_text(encoding="utf-8")
    crons.write_text(text.replace("export default crons;", CANARY_CRONS + "\nexport default crons;"),
                     encoding="utf-8")
    (project / "convex" / "canaryHooks.ts").write_text(CANARY_MODULE, encoding="utf-8")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _make_project(tmp_path)


@pytest.fixture
def deployment() -> Iterator[FakeDeployment]:
    rows, migrations = _example_functions()
    with FakeDeployment.with_system_jobs(rows, migrations, internal=True, admin_key=DEPLOY_KEY) as fake:
        yield fake


@pytest.fixture
def admin_deployment() -> Iterator[FakeDeployment]:
    rows, migrations = _example_functions()
    with FakeDeployment.with_system_jobs(rows, migrations, internal=True, admin_key=ADMIN_KEY) as fake:
        yield fake


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


class Outputs:
    """Everything that runs wrote, by where it went, to search for canaries."""

    def __init__(self, project: Path, reports: Path) -> None:
        self.project = project
        self.reports = reports
        self.before = _files(project)
        self.texts: dict[str, str] = {}

    def run(self, *args: str | Path, verbosity: str | None = "-vv", env: dict[str, str] | None = None,
            expected: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess[str]:
        flags = [verbosity] if verbosity else []
        variables = {"CONVEX_DEPLOY_KEY": DEPLOY_KEY} if env is None else env
        process = subprocess.run([sys.executable, "-m", "crongate", *flags, *map(str, args)], cwd=REPO,
                                 env=crongate_env(**variables), capture_output=True, text=True, timeout=120,
                                 stdin=subprocess.DEVNULL)
        label = " ".join([*flags, *map(str, args[:1])])
        self.texts[f"stdout of {label} #{len(self.texts)}"] = process.stdout
        self.texts[f"stderr of {label} #{len(self.texts)}"] = process.stderr
        assert process.returncode in expected, process.stderr
        if verbosity is None:
            # At -vv a caught error is logged with its traceback on purpose.
            assert "Traceback" not in process.stderr
        return process

    def collect_files(self) -> None:
        """Add every report file, and what each changed project file gained."""
        for path, content in _files(self.reports).items():
            self.texts[str(path)] = content.decode("utf-8", errors="replace")
        for path, content in _files(self.project).items():
            old = self.before.get(path, b"").decode("utf-8", errors="replace")
            new = content.decode("utf-8", errors="replace")
            if new != old:
                # Source files that hold a canary on purpose keep it; only added lines count.
                added = set(new.splitlines()) - set(old.splitlines())
                self.texts[f"lines added to {path}"] = "\n".join(sorted(added))

    def leaks(self) -> list[tuple[str, str]]:
        self.collect_files()
        return [(where, canary) for where, text in self.texts.items() for canary in CANARIES if canary in text]


@pytest.fixture
def outputs(project: Path, tmp_path: Path) -> Outputs:
    reports = tmp_path / "reports"
    reports.mkdir()
    return Outputs(project, reports)


def _report_flags(reports: Path, name: str) -> list[str | Path]:
    return ["--junit", reports / f"{name}.junit.xml", "--json", reports / f"{name}.json",
            "--sarif", reports / f"{name}.sarif", "--summary", reports / f"{name}.summary.md", "--annotations",
            "--plan-out", reports / f"{name}.plan.json"]


# -- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", VERBOSITY)
def test_check_formats_clean(outputs: Outputs, deployment: FakeDeployment, verbosity: str | None) -> None:
    reports = outputs.reports
    outputs.run("check", outputs.project, "--url", deployment.url, *_report_flags(reports, "text"),
                verbosity=verbosity)
    outputs.run("check", outputs.project, "--url", deployment.url, "--format", "json", verbosity=verbosity)
    outputs.run("check", outputs.project, "--url", deployment.url, "--format", "json",
                "--output", reports / "main.json", "--pre-deploy", verbosity=verbosity)

    assert outputs.leaks() == []


def test_check_github_env_clean(outputs: Outputs, deployment: FakeDeployment) -> None:
    summary = outputs.reports / "step-summary.md"
    env = {"CONVEX_DEPLOY_KEY": DEPLOY_KEY, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_REPOSITORY": "example/app",
           "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKSPACE": str(outputs.project)}
    outputs.run("check", outputs.project, "--url", deployment.url, env=env)
    outputs.run("migrate", outputs.project, "--url", deployment.url, env=env)

    assert summary.is_file()
    assert outputs.leaks() == []


def test_check_static_clean(outputs: Outputs) -> None:
    outputs.run("check", outputs.project, "--offline", *_report_flags(outputs.reports, "offline"))
    outputs.run("check", outputs.project, *_report_flags(outputs.reports, "snapshot"))

    assert outputs.leaks() == []


def test_webhook_as_cron_name_clean(outputs: Outputs, deployment: FakeDeployment) -> None:
    # Annotation properties escape ":" and Markdown escapes "_", so a secret must be redacted
    # before a reporter escapes it. The Discord token contains an underscore to test that.
    crons = outputs.project / "convex" / "crons.ts"
    registration = f'crons.interval("{DISCORD_WEBHOOK}", {{ minutes: 5 }}, internal.traffic.sync);\n'
    crons.write_text(crons.read_text(encoding="utf-8").replace("export default crons;",
                                                              registration + "export default crons;"),
                     encoding="utf-8")
    outputs.before = _files(outputs.project)
    summary = outputs.reports / "step-summary.md"
    env = {"CONVEX_DEPLOY_KEY": DEPLOY_KEY, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}

    outputs.run("check", outputs.project, "--url", deployment.url, *_report_flags(outputs.reports, "named"), env=env)
    outputs.run("migrate", outputs.project, "--url", deployment.url, env=env)

    assert outputs.leaks() == []


# -- migrate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", ("-vv",))
def test_migrate_dry_run_clean(outputs: Outputs, deployment: FakeDeployment, verbosity: str | None) -> None:
    reports = outputs.reports
    outputs.run("migrate", outputs.project, "--url", deployment.url, "--plan-out", reports / "plan.json",
                "--summary", reports / "migrate.md", verbosity=verbosity)
    outputs.run("migrate", outputs.project, "--url", deployment.url, "--format", "json", "--prune",
                verbosity=verbosity)

    assert outputs.leaks() == []


@pytest.mark.parametrize("output_format", ("text", "json"))
def test_migrate_apply_clean(outputs: Outputs, deployment: FakeDeployment, output_format: str) -> None:
    reports = outputs.reports
    outputs.run("migrate", outputs.project, "--url", deployment.url, "--apply", "--format", output_format,
                "--output", reports / f"apply.{output_format}", "--summary", reports / "apply.md")

    assert outputs.leaks() == []


def test_migrate_saved_plan_clean(outputs: Outputs, deployment: FakeDeployment) -> None:
    plan = outputs.reports / "saved.plan.json"
    outputs.run("check", outputs.project, "--url", deployment.url, "--plan-out", plan)
    outputs.run("migrate", outputs.project, "--url", deployment.url, "--plan", plan)
    outputs.run("migrate", outputs.project, "--url", deployment.url, "--plan", plan, "--apply")

    assert outputs.leaks() == []


def test_admin_key_clean(outputs: Outputs, admin_deployment: FakeDeployment) -> None:
    # The example's crongate.yml names a snapshot, which beats an ambient URL variable, so
    # the URL is passed as a flag.
    env = {"CONVEX_SELF_HOSTED_ADMIN_KEY": ADMIN_KEY, "CONVEX_SELF_HOSTED_URL": admin_deployment.url}
    url = admin_deployment.url
    outputs.run("check", outputs.project, "--url", url, "--format", "json", *_report_flags(outputs.reports, "admin"),
                env=env, verbosity="-vv")
    outputs.run("migrate", outputs.project, "--url", url, "--apply", env=env, verbosity="-vv")

    assert outputs.leaks() == []


# -- faults that echo the key ---------------------------------------------------------------------


@pytest.mark.parametrize("fault, params", [
    ("error", {"message": f"Uncaught Error: key {DEPLOY_KEY} and secret {DEPLOY_SECRET}"}),
    ("udf_failed", {"message": f"Uncaught Error: {SLACK_WEBHOOK}"}),
    ("status", {"status": 401, "body": {"code": "BadAdminKey", "message": f"invalid key {DEPLOY_KEY}"}}),
    ("status", {"status": 400, "body": {"code": "BadJsonBody", "message": f"token {DEPLOY_SECRET}"}}),
    ("status", {"status": 502, "body": f"<html>upstream saw {DEPLOY_KEY}</html>", "content_type": "text/html"}),
    ("value", {"value": [{"jobKey": DEPLOY_SECRET, "enabled": DEPLOY_KEY}]}),
], ids=["error", "udf-failed", "401", "400", "html", "row"])
def test_echoed_secrets_clean(outputs: Outputs, deployment: FakeDeployment, fault: str,
                              params: dict[str, Any]) -> None:
    deployment.inject("systemJobs:listAll", fault, times=10, **params)
    outputs.run("check", outputs.project, "--url", deployment.url, *_report_flags(outputs.reports, "fault"),
                expected=(3,))

    assert outputs.leaks() == []


# -- scaffold, init, manifest ---------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", VERBOSITY)
def test_scaffold_clean(outputs: Outputs, verbosity: str | None) -> None:
    dry = outputs.run("scaffold", outputs.project, verbosity=verbosity)
    outputs.run("scaffold", outputs.project, "--write", verbosity=verbosity)

    assert "addCanaryAlertsJob" in dry.stdout
    assert outputs.leaks() == []


@pytest.mark.parametrize("verbosity", ("-vv",))
def test_init_clean(outputs: Outputs, verbosity: str | None) -> None:
    (outputs.project / "crongate.yml").unlink()
    outputs.run("init", outputs.project, "--stdout", verbosity=verbosity)
    outputs.run("init", outputs.project, verbosity=verbosity)

    assert (outputs.project / "crongate.yml").is_file()
    assert outputs.leaks() == []


@pytest.mark.parametrize("verbosity", ("-vv",))
def test_manifest_clean(outputs: Outputs, verbosity: str | None) -> None:
    crons = outputs.project / "convex" / "crons.ts"
    text = outputs.run("manifest", crons, verbosity=verbosity)
    outputs.run("manifest", crons, "--format", "json", verbosity=verbosity)

    assert "canary-alerts" in text.stdout
    assert outputs.leaks() == []


def test_canaries_are_searched(outputs: Outputs) -> None:
    # The search itself must find a canary that is written, or every test above passes vacuously.
    (outputs.reports / "leak.txt").write_text(f"oops {DISCORD_TOKEN}", encoding="utf-8")

    assert outputs.leaks() == [(str(outputs.reports / "leak.txt"), DISCORD_TOKEN)]
