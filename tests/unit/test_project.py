"""Tests for the project-level static pass: convex.json, misplaced registrations, migrations, webhooks."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from crongate.errors import ManifestError
from crongate.manifest import project
from crongate.manifest.migration_rules import migration_function_name
from crongate.manifest.migrations import read_migrations_file, read_migrations_source
from crongate.manifest.project import ManifestSettings, read_manifest
from crongate.manifest.webhooks import find_webhooks, redact_webhooks
from crongate.model import Manifest, Severity
from crongate.registry.interface import FieldMap

CASES = Path(__file__).parent.parent / "cases" / "projects"
CASE_NAMES = sorted(path.name for path in CASES.iterdir() if (path / "expected.json").is_file())

# The rules this pass owns; the crons reader's own findings are tested with its cases.
PROJECT_RULES = {"misplaced-crons-file", "hardcoded-webhook", "missing-migration", "migration-mismatch"}


def _expected(name: str) -> dict:
    return json.loads((CASES / name / "expected.json").read_text(encoding="utf-8"))


def _read_case(name: str) -> Manifest:
    settings = _expected(name).get("settings", {})
    return read_manifest(ManifestSettings(root=CASES / name, **settings))


def _triples(manifest: Manifest) -> list[tuple[str, str, int | None]]:
    return sorted(
        (finding.rule, finding.location.file if finding.location else "", finding.location.line if finding.location else None)
        for finding in manifest.findings
        if finding.rule in PROJECT_RULES
    )


# --- Cases ----------------------------------------------------------------------------------

def test_at_least_ten_cases():
    assert len(CASE_NAMES) >= 10


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_findings(name):
    expected = sorted(tuple(item) for item in _expected(name)["findings"])
    assert _triples(_read_case(name)) == expected


@pytest.mark.parametrize("name", [n for n in CASE_NAMES if "migrations" in _expected(n)])
def test_case_migrations(name):
    manifest = _read_case(name)
    found = [[m.function, m.job_key, m.location.line] for m in manifest.migrations]
    assert found == _expected(name)["migrations"]


@pytest.mark.parametrize("name", [n for n in CASE_NAMES if "migrations_file" in _expected(n)])
def test_case_migrations_file(name):
    assert _read_case(name).migrations_file == _expected(name)["migrations_file"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_severities_are_defaults(name):
    defaults = {"misplaced-crons-file": Severity.ERROR, "hardcoded-webhook": Severity.ERROR,
                "missing-migration": Severity.ERROR, "migration-mismatch": Severity.WARNING}
    for finding in _read_case(name).findings:
        if finding.rule in defaults:
            assert finding.severity is defaults[finding.rule], finding


# --- convex.json and file locations ---------------------------------------------------------

def test_custom_functions_dir_crons_file():
    assert _read_case("02-custom-functions-dir").crons_file == "src/backend/crons.ts"


def test_custom_functions_dir_ignores_default_dir():
    names = [job.name for job in _read_case("02-custom-functions-dir").jobs]
    assert "old-location" not in names


def test_functions_dir_setting_beats_convex_json():
    manifest = read_manifest(ManifestSettings(root=CASES / "02-custom-functions-dir", functions_dir="convex"))
    assert manifest.crons_file == "convex/crons.ts"


def test_convex_json_invalid_names_line(tmp_path):
    (tmp_path / "convex.json").write_text('{\n  "functions": "src/",\n}\n', encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path))
    assert "convex.json:3" in caught.value.message


def test_convex_json_functions_not_string(tmp_path):
    (tmp_path / "convex.json").write_text('{"functions": 3}', encoding="utf-8")
    with pytest.raises(ManifestError, match='"functions"'):
        read_manifest(ManifestSettings(root=tmp_path))


def test_convex_json_not_object(tmp_path):
    (tmp_path / "convex.json").write_text('["convex"]', encoding="utf-8")
    with pytest.raises(ManifestError, match="expected a JSON object"):
        read_manifest(ManifestSettings(root=tmp_path))


def test_missing_crons_names_path(tmp_path):
    (tmp_path / "convex").mkdir()
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path))
    assert "convex/crons.ts" in caught.value.message


def test_missing_crons_hint_names_settings(tmp_path):
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path))
    assert "manifest:" in caught.value.hint
    assert "--manifest" in caught.value.hint


def test_missing_crons_exit_code(tmp_path):
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path))
    assert caught.value.exit_code == 2


def test_configured_crons_file_missing(tmp_path):
    with pytest.raises(ManifestError, match="app/crons.ts"):
        read_manifest(ManifestSettings(root=tmp_path, crons_file="app/crons.ts"))


def test_configured_migrations_file_missing(tmp_path):
    shutil.copytree(CASES / "13-no-migrations-file", tmp_path / "app")
    settings = ManifestSettings(root=tmp_path / "app", migrations_file="convex/jobs.ts")
    with pytest.raises(ManifestError, match="convex/jobs.ts"):
        read_manifest(settings)


def test_migrations_outside_functions_dir(tmp_path):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    shutil.copy(tmp_path / "app" / "convex" / "systemJobs.ts", tmp_path / "app" / "systemJobs.ts")
    settings = ManifestSettings(root=tmp_path / "app", migrations_file="systemJobs.ts")
    with pytest.raises(ManifestError, match="not inside the functions directory"):
        read_manifest(settings)


def test_large_file_skipped_and_logged(tmp_path, monkeypatch, caplog):
    shutil.copytree(CASES / "03-misplaced-cron-ts", tmp_path / "app")
    monkeypatch.setattr(project, "MAX_SCAN_BYTES", 300)
    with caplog.at_level(logging.WARNING, logger="crongate"):
        manifest = read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert not [f for f in manifest.findings if f.rule == "misplaced-crons-file"]
    assert "cron.ts" in caplog.text


def test_scan_survives_garbage_and_nesting(tmp_path):
    shutil.copytree(CASES / "13-no-migrations-file", tmp_path / "app")
    functions = tmp_path / "app" / "convex"
    (functions / "binary.ts").write_bytes(bytes(range(256)) * 4)
    (functions / "deep.ts").write_text("const x = " + "(" * 5000 + '"https://hooks.slack.com/services/T/B/deep"' + ")" * 5000 + ";\n" +
                                       "const y = " + '"a" + ' * 3000 + '"b";\n', encoding="utf-8")
    (functions / "broken.ts").write_text('crons.interval("x", { minutes: ', encoding="utf-8")
    manifest = read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert [f.location.file for f in manifest.findings if f.rule == "hardcoded-webhook"] == ["convex/deep.ts"]


def test_crons_js_accepted(tmp_path):
    (tmp_path / "convex").mkdir()
    (tmp_path / "convex" / "crons.js").write_text(
        'import { cronJobs } from "convex/server";\nconst crons = cronJobs();\n'
        'crons.interval("tick", { minutes: 1 }, "tick:run");\nexport default crons;\n',
        encoding="utf-8",
    )
    assert read_manifest(ManifestSettings(root=tmp_path)).crons_file == "convex/crons.js"


# --- Misplaced registrations ------------------------------------------------------------------

def test_misplaced_message_names_crons_file():
    finding = next(f for f in _read_case("03-misplaced-cron-ts").findings if f.rule == "misplaced-crons-file")
    assert "convex/crons.ts" in finding.message


def test_misplaced_message_names_job():
    finding = next(f for f in _read_case("03-misplaced-cron-ts").findings if f.rule == "misplaced-crons-file")
    assert "'nightly-backup'" in finding.message


def test_misplaced_hint_says_move_or_register():
    finding = next(f for f in _read_case("05-unimported-helper").findings if f.rule == "misplaced-crons-file")
    assert "move the registration" in finding.hint
    assert "register it from there" in finding.hint


def test_imported_helper_not_flagged():
    files = {f.location.file for f in _read_case("06-imported-helper").findings if f.rule == "misplaced-crons-file"}
    assert "convex/lib/registerSyncJobs.ts" not in files


def test_unexported_local_object_flagged():
    findings = [f for f in _read_case("06-imported-helper").findings if f.rule == "misplaced-crons-file"]
    lost = next(f for f in findings if f.location.file == "convex/jobs/maintenance.ts")
    assert "never exported" in lost.message


def test_helper_becomes_misplaced_without_import(tmp_path):
    shutil.copytree(CASES / "06-imported-helper", tmp_path / "app")
    crons = tmp_path / "app" / "convex" / "crons.ts"
    crons.write_text(crons.read_text().replace("registerSyncJobs(crons);\n", ""), encoding="utf-8")
    files = {f.location.file for f in read_manifest(ManifestSettings(root=tmp_path / "app")).findings
             if f.rule == "misplaced-crons-file"}
    assert "convex/lib/registerSyncJobs.ts" in files


def test_component_crons_not_flagged():
    assert not [f for f in _read_case("12-local-component").findings if f.rule == "misplaced-crons-file"]


# --- Migrations ---------------------------------------------------------------------------------

def test_migration_values_are_literals():
    manifest = _read_case("01-clean")
    traffic = next(m for m in manifest.migrations if m.job_key == "traffic-sync")
    assert traffic.values == {
        "jobKey": "traffic-sync", "name": "Traffic Sync", "category": "sync",
        "interval": {"type": "minutes", "value": 15}, "enabled": True, "totalRuns": 0,
    }


def test_migration_values_include_spread():
    migration = _read_case("11-admin-migrations").migrations[0]
    assert migration.values["enabled"] is True


def test_migration_location_is_relative():
    migration = _read_case("11-admin-migrations").migrations[0]
    assert migration.location.file == "convex/admin/systemJobs.ts"


def test_migrations_reading_function_kinds():
    case = CASES / "01-clean"
    reading = read_migrations_file(case / "convex" / "systemJobs.ts", case / "convex", root=case)
    assert reading.functions == _expected("01-clean")["functions"]


def test_migrations_custom_table_and_key():
    source = b"""
    import { internalMutation } from "./_generated/server";
    export const addA = internalMutation({ handler: async (ctx) => {
      await ctx.db.insert("jobs", { key: "a", every: { type: "minutes", value: 1 } });
      await ctx.db.insert("systemJobs", { key: "ignored" });
    } });
    """
    reading = read_migrations_source(source, "admin/jobs", "convex/admin/jobs.ts", "jobs", FieldMap(key="key"))
    assert [(m.function, m.job_key) for m in reading.migrations] == [("admin/jobs:addA", "a")]


def test_migrations_query_is_not_migration():
    source = b"""
    export const sneaky = internalQuery({ handler: async (ctx) => ctx.db.insert("systemJobs", { jobKey: "q" }) });
    """
    reading = read_migrations_source(source, "systemJobs", "convex/systemJobs.ts")
    assert reading.migrations == ()


def test_migrations_dynamic_key_skipped():
    assert "invoice-run" not in {m.job_key for m in _read_case("10-key-map").migrations}


def test_migration_values_redact_webhooks():
    source = b"""
    export const addA = internalMutation({ handler: async (ctx) => {
      await ctx.db.insert("systemJobs", { jobKey: "a", hook: "https://discord.com/api/webhooks/1234/secret-token" });
    } });
    """
    migration = read_migrations_source(source, "systemJobs", "convex/systemJobs.ts").migrations[0]
    assert "secret-token" not in migration.values["hook"]


# --- missing-migration and migration-mismatch -------------------------------------------------------

def test_missing_migration_hint_names_function():
    finding = next(f for f in _read_case("13-no-migrations-file").findings if f.rule == "missing-migration")
    assert "addTrafficSyncJob" in finding.hint
    assert "crongate scaffold" in finding.hint


def test_missing_migration_job_is_cron_name():
    jobs = {f.job for f in _read_case("13-no-migrations-file").findings if f.rule == "missing-migration"}
    assert jobs == {"traffic-sync", "hourly-rollup"}


def test_function_name_keeps_acronyms():
    assert migration_function_name("ai-proxy-orchestrator") == "addAIProxyOrchestratorJob"


def test_function_name_from_spaces():
    assert migration_function_name("nightly cleanup") == "addNightlyCleanupJob"


def test_mismatch_interval_message_shows_both():
    findings = [f for f in _read_case("07-mismatch-interval").findings if f.rule == "migration-mismatch"]
    orchestrator = next(f for f in findings if f.job == "ai-proxy-orchestrator")
    assert "every 10 minutes" in orchestrator.message
    assert "every 5 minutes" in orchestrator.message


def test_mismatch_interval_hint_suggests_value():
    findings = [f for f in _read_case("07-mismatch-interval").findings if f.rule == "migration-mismatch"]
    orchestrator = next(f for f in findings if f.job == "ai-proxy-orchestrator")
    assert '{"type": "minutes", "value": 5}' in orchestrator.hint


def test_mismatch_name_message_shows_both():
    finding = next(f for f in _read_case("08-mismatch-name").findings if f.rule == "migration-mismatch")
    assert "'Traffic Sync'" in finding.message
    assert "'proxy-session-renewal'" in finding.message


def test_equivalent_daily_not_mismatch():
    jobs = {f.job for f in _read_case("07-mismatch-interval").findings if f.rule == "migration-mismatch"}
    assert "daily-report" not in jobs


def test_unreadable_registry_schedule_is_mismatch(tmp_path):
    shutil.copytree(CASES / "13-no-migrations-file", tmp_path / "app")
    (tmp_path / "app" / "convex" / "systemJobs.ts").write_text(
        'export const addTrafficSyncJob = internalMutation({ handler: async (ctx) => {\n'
        '  await ctx.db.insert("systemJobs", { jobKey: "traffic-sync", interval: { type: "fortnights", value: 1 } });\n'
        '} });\n',
        encoding="utf-8",
    )
    findings = [f for f in read_manifest(ManifestSettings(root=tmp_path / "app")).findings
                if f.rule == "migration-mismatch"]
    assert [f.location.line for f in findings] == [2]


# --- Webhooks ---------------------------------------------------------------------------------------

def _field_texts(manifest: Manifest) -> list[str]:
    texts = []
    for finding in manifest.findings:
        texts.extend(str(value) for value in dataclasses.asdict(finding).values())
    for job in manifest.jobs:
        texts.append(repr(job))
    for migration in manifest.migrations:
        texts.append(repr(migration))
    return texts


def test_webhook_secret_never_in_manifest():
    manifest = _read_case("09-webhooks")
    texts = _field_texts(manifest)
    for secret in _expected("09-webhooks")["secrets"]:
        assert not [text for text in texts if secret in text], secret


def test_webhook_message_shows_redacted_prefix():
    findings = [f for f in _read_case("09-webhooks").findings if f.rule == "hardcoded-webhook"]
    alerts = next(f for f in findings if f.location.file == "convex/alerts.ts" and f.location.line == 3)
    assert "https://discord.com/api/webhooks/…(redacted)" in alerts.message


def test_webhook_hint_names_helper():
    finding = next(f for f in _read_case("09-webhooks").findings if f.rule == "hardcoded-webhook")
    assert "getDiscordWebhook()" in finding.hint


def test_webhook_job_args_redacted():
    job = next(j for j in _read_case("09-webhooks").jobs if j.name == "alerts")
    assert job.args["channel"] == "https://discord.com/api/webhooks/…(redacted)"


@pytest.mark.parametrize("text, expected", [
    ("post to https://discord.com/api/webhooks/123/abc-DEF_g now",
     "post to https://discord.com/api/webhooks/…(redacted) now"),
    ("https://discordapp.com/api/webhooks/1/x", "https://discordapp.com/api/webhooks/…(redacted)"),
    ("https://ptb.discord.com/api/v10/webhooks/1/x", "https://ptb.discord.com/api/v10/webhooks/…(redacted)"),
    ("https://canary.discord.com/api/webhooks/1/x?wait=true",
     "https://canary.discord.com/api/webhooks/…(redacted)"),
    ("'https://hooks.slack.com/services/T1/B2/xyz'", "'https://hooks.slack.com/services/…(redacted)'"),
    ("https://hooks.slack.com/workflows/T1/A2/3/xyz", "https://hooks.slack.com/workflows/…(redacted)"),
    ("HTTPS://Discord.com/api/webhooks/1/x", "HTTPS://Discord.com/api/webhooks/…(redacted)"),
    ("https://discord.com/api/webhooks/", "https://discord.com/api/webhooks/"),
    ("https://discord.com/channels/1/2", "https://discord.com/channels/1/2"),
    ("https://hooks.slack.com/commands/T1", "https://hooks.slack.com/commands/T1"),
])
def test_redact_webhooks(text, expected):
    assert redact_webhooks(text) == expected


def test_redact_webhooks_two_urls():
    redacted = redact_webhooks("a https://discord.com/api/webhooks/1/s1 b https://hooks.slack.com/services/T/B/s2")
    assert "s1" not in redacted
    assert "s2" not in redacted


def test_find_webhooks_service_names():
    text = "https://hooks.slack.com/services/T/B/x https://discord.com/api/webhooks/1/y"
    assert [match.service for match in find_webhooks(text)] == ["Slack", "Discord"]


def test_redact_webhooks_idempotent():
    once = redact_webhooks("https://discord.com/api/webhooks/1/secret")
    assert redact_webhooks(once) == once


def test_webhook_message_redacted_once():
    findings = [f for f in _read_case("09-webhooks").findings if f.rule == "hardcoded-webhook"]
    assert not [f for f in findings if "(redacted)(redacted)" in f.message]


def test_missing_migration_hint_default_file():
    finding = next(f for f in _read_case("13-no-migrations-file").findings if f.rule == "missing-migration")
    assert "convex/systemJobs.ts" in finding.hint


# -- files that are not regular files, and paths outside the project --


def test_fifo_in_functions_dir_skipped(tmp_path, caplog):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    os.mkfifo(tmp_path / "app" / "convex" / "pipe.ts")
    with caplog.at_level(logging.WARNING, logger="crongate"):
        manifest = read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert manifest.jobs
    assert "pipe.ts: not a regular file (it is a FIFO)" in caplog.text


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_in_functions_dir_skipped(tmp_path, caplog):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    (tmp_path / "app" / "convex" / "zero.ts").symlink_to("/dev/zero")
    with caplog.at_level(logging.WARNING, logger="crongate"):
        read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert "zero.ts: not a regular file (it is a character device)" in caplog.text


@pytest.mark.parametrize("kind", ("directory", "FIFO"))
def test_crons_file_not_regular(tmp_path, kind):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    crons = tmp_path / "app" / "convex" / "crons.ts"
    crons.unlink()
    if kind == "directory":
        crons.mkdir()
    else:
        os.mkfifo(crons)
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert f"convex/crons.ts is not a regular file (it is a {kind})" in caught.value.message


def test_crons_file_dangling_symlink(tmp_path):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    crons = tmp_path / "app" / "convex" / "crons.ts"
    crons.unlink()
    crons.symlink_to(tmp_path / "absent.ts")
    with pytest.raises(ManifestError, match="symbolic link to a missing file"):
        read_manifest(ManifestSettings(root=tmp_path / "app"))


@pytest.mark.parametrize("setting", ("/", "..", "convex/../.."))
def test_functions_dir_outside_root(tmp_path, setting):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path / "app", functions_dir=setting))
    assert "outside the project root" in caught.value.message
    assert caught.value.exit_code == 2


def test_functions_dir_symlink_outside_root(tmp_path):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    (tmp_path / "app" / "elsewhere").symlink_to(tmp_path)
    with pytest.raises(ManifestError, match="outside the project root"):
        read_manifest(ManifestSettings(root=tmp_path / "app", functions_dir="elsewhere"))


def test_convex_json_functions_outside_root(tmp_path):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    (tmp_path / "app" / "convex.json").write_text('{"functions": "/"}')
    with pytest.raises(ManifestError) as caught:
        read_manifest(ManifestSettings(root=tmp_path / "app"))
    assert "convex.json" in caught.value.message


@pytest.mark.parametrize("field", ("crons_file", "migrations_file"))
def test_configured_file_outside_root(tmp_path, field):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    outside = tmp_path / "outside.ts"
    outside.write_text("export default 1;\n")
    settings = ManifestSettings(root=tmp_path / "app", **{field: str(outside)})
    with pytest.raises(ManifestError, match="outside the project root"):
        read_manifest(settings)


def test_crons_symlink_outside_root(tmp_path):
    shutil.copytree(CASES / "01-clean", tmp_path / "app")
    crons = tmp_path / "app" / "convex" / "crons.ts"
    outside = tmp_path / "crons.ts"
    shutil.move(crons, outside)
    crons.symlink_to(outside)
    with pytest.raises(ManifestError, match="crons file convex/crons.ts resolves to"):
        read_manifest(ManifestSettings(root=tmp_path / "app"))
