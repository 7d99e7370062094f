"""The project-level static pass: everything crongate reads from the app's code.

Convex deploys the functions directory (``convex/`` unless ``convex.json`` sets
``functions``) and loads cron jobs only from the default export of
``<functionsDir>/crons.ts``. ``read_manifest`` reads that file through the crons reader,
the migrations of ``systemJobs.ts`` through the migrations reader, and scans every source
file of the functions directory for registrations Convex would never load and for
hard-coded webhook URLs. The result is a ``Manifest`` with the cron jobs, the migrations
and the static findings.

Secrets stop here: every webhook URL in a finding, a cron job's args or a migration's
values is redacted before the ``Manifest`` is built.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crongate.errors import ManifestError
from crongate.manifest.crons import read_crons_file
from crongate.manifest.migration_rules import migration_findings
from crongate.manifest.migrations import MigrationsReading, read_migrations_file
from crongate.manifest.placement import misplaced_findings
from crongate.manifest.scan import MODULE_SUFFIXES, ModuleFacts, module_facts, resolve_specifier
from crongate.source_file import file_kind, read_source_file
from crongate.manifest.webhooks import redact_webhooks
from crongate.model import CronJob, Finding, Location, Manifest
from crongate.registry.interface import FieldMap
from crongate.rules import RULES

logger = logging.getLogger(__name__)

DEFAULT_FUNCTIONS_DIR = "convex"

# Larger files are not scanned, because they are usually bundles or generated data rather than
# hand-written functions.
MAX_SCAN_BYTES = 5 * 1024 * 1024

# convex.json contains a few settings, so a larger file is not the project's convex.json.
MAX_CONVEX_JSON_BYTES = 1024 * 1024

# Directories whose files are not the app's own source.
SKIPPED_DIRS = frozenset({"_generated", "node_modules"})


@dataclass(frozen=True)
class ManifestSettings:
    """The location of the app's code and the shape of its registry table.

    Paths are relative to ``root`` unless absolute.
    """

    root: Path
    functions_dir: str | None = None  # None: from convex.json "functions", else "convex"
    crons_file: str | None = None  # None: <functions_dir>/crons.ts
    migrations_file: str | None = None  # None: <functions_dir>/systemJobs.ts if it exists
    table: str = "systemJobs"
    fields: FieldMap = FieldMap()
    key_map: Mapping[str, str] = field(default_factory=dict)  # cron name -> row key, from config


def read_manifest(settings: ManifestSettings) -> Manifest:
    """Read crons.ts, the migrations and the functions directory, and run the static rules.

    Raises ManifestError when convex.json is invalid, crons.ts is missing or unreadable, or a
    configured migrations file is missing.
    """
    root = Path(os.path.normpath(settings.root.absolute()))
    functions_dir = functions_dir_path(root, settings.functions_dir)
    crons_path = _crons_path(root, functions_dir, settings.crons_file)
    crons_label = _relative(crons_path, root)
    logger.info("reading cron jobs from %s", crons_label)

    crons = read_crons_file(crons_path, root)
    findings: list[Finding] = list(crons.findings)

    migrations_path = _migrations_path(root, functions_dir, settings.migrations_file)
    migrations = MigrationsReading(migrations=(), functions={})
    migrations_label = None
    if migrations_path is not None:
        migrations_label = _relative(migrations_path, root)
        logger.info("reading migrations from %s", migrations_label)
        migrations = read_migrations_file(migrations_path, functions_dir, settings.table, settings.fields, root=root)
        findings.extend(migrations.findings)
    else:
        logger.info("no migrations file at %s", _relative(functions_dir / "systemJobs.ts", root))

    facts = scan_functions_dir(functions_dir, crons_path)
    findings.extend(misplaced_findings(crons_path, facts, root, crons_label))
    findings.extend(webhook_findings(facts, root))
    findings.extend(migration_findings(
        crons.jobs,
        migrations.migrations,
        settings.key_map,
        settings.fields,
        migrations_label or _relative(functions_dir / "systemJobs.ts", root),
        migrations.field_locations,
    ))

    return Manifest(
        root=str(settings.root),
        crons_file=crons_label,
        jobs=tuple(_redacted_job(job) for job in crons.jobs),
        findings=tuple(_redacted_finding(finding) for finding in findings),
        migrations=migrations.migrations,
        migrations_file=migrations_label,
    )


# --- Where the files are ------------------------------------------------------------------

def read_convex_json(root: Path) -> str | None:
    """Return the ``functions`` setting of ``<root>/convex.json``, or None when it has none."""
    path = root / "convex.json"
    if not os.path.lexists(path):
        return None
    try:
        data = read_source_file(path, MAX_CONVEX_JSON_BYTES)
        if len(data) > MAX_CONVEX_JSON_BYTES:
            raise ManifestError(
                f"{_relative(path, root)} is over the {MAX_CONVEX_JSON_BYTES} byte limit",
                hint="convex.json is a few lines of settings; check that the file is the project's convex.json",
            )
        text = data.decode("utf-8-sig")
    except OSError as error:
        raise ManifestError(
            f"failed to read {_relative(path, root)}: {error.strerror}",
            hint="fix or remove convex.json, or set functions_dir in crongate.yml",
        ) from None
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"failed to read {_relative(path, root)}: not UTF-8 text (byte {error.start})",
            hint="save convex.json as UTF-8",
        ) from None

    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"{_relative(path, root)}:{error.lineno}: invalid JSON at column {error.colno}: {error.msg}",
            hint="fix the JSON syntax; Convex's CLI reads the same file",
        ) from None

    if not isinstance(config, dict):
        raise ManifestError(
            f"{_relative(path, root)}: expected a JSON object, found {type(config).__name__}",
            hint='write convex.json as an object, e.g. {"functions": "convex/"}',
        )
    functions = config.get("functions")
    if functions is None:
        return None
    if not isinstance(functions, str) or not functions.strip():
        raise ManifestError(
            f'{_relative(path, root)}: "functions" must be a non-empty string path, found {functions!r}',
            hint='set "functions" to the functions directory relative to the project root, e.g. "src/convex/"',
        )
    return functions


def functions_dir_path(root: Path, configured: str | None) -> Path:
    """Return the functions directory: ``configured``, else convex.json's ``functions``, else ``convex``.

    Raises ManifestError when convex.json is invalid or the directory resolves outside ``root``,
    because crongate would then scan files that are not the app's (``--functions-dir /`` walks
    the whole file system).
    """
    if configured is not None:
        setting, origin = configured, "set by `functions_dir:` in crongate.yml or --functions-dir"
    else:
        setting, origin = read_convex_json(root), 'set by "functions" in convex.json'
    if setting is None:
        setting, origin = DEFAULT_FUNCTIONS_DIR, "the default"
    path = Path(os.path.normpath(root / setting))
    _require_inside_root(path, root, f"functions directory {setting!r} ({origin})",
                         "set the functions directory relative to the project root, e.g. convex")
    return path


def _require_inside_root(path: Path, root: Path, subject: str, hint: str) -> None:
    """Raise ManifestError when ``path``, after following symlinks, is outside ``root``."""
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved == resolved_root or resolved.is_relative_to(resolved_root):
        return
    raise ManifestError(
        f"the {subject} resolves to {resolved}, outside the project root {resolved_root}",
        hint=f"{hint}, or run crongate on the project that contains it",
    )


def _not_regular(path: Path, root: Path, subject: str, hint: str) -> ManifestError | None:
    """Return an error when ``path`` exists (or is a dangling symlink) but is not a regular file."""
    if not os.path.lexists(path):
        return None
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return ManifestError(f"{subject} {_relative(path, root)} is a symbolic link to a missing file", hint=hint)
    except OSError as error:
        return ManifestError(f"{subject} {_relative(path, root)} cannot be read: {error.strerror}", hint=hint)
    if stat.S_ISREG(mode):
        return None
    return ManifestError(
        f"{subject} {_relative(path, root)} is not a regular file (it is {file_kind(mode)})", hint=hint,
    )


def _crons_path(root: Path, functions_dir: Path, configured: str | None) -> Path:
    if configured is not None:
        path = Path(os.path.normpath(root / configured))
        hint = "point `manifest:` or --manifest at the app's crons.ts, relative to the project root"
        _require_inside_root(path, root, f"crons file {configured!r} (set by `manifest:` in crongate.yml "
                             "or --manifest)", hint)
        error = _not_regular(path, root, "crons file", hint)
        if error is not None:
            raise error
        if not path.is_file():
            raise ManifestError(
                f"crons file {_relative(path, root)} not found (set by `manifest:` in crongate.yml or --manifest)",
                hint=hint,
            )
        return path

    # Convex also loads crons.js, which a JavaScript app has in place of crons.ts.
    hint = "replace it with the app's crons.ts, or point `manifest:` in crongate.yml or --manifest at it"
    for name in ("crons.ts", "crons.js"):
        path = functions_dir / name
        error = _not_regular(path, root, "crons file", hint)
        if error is not None:
            raise error
        if path.is_file():
            _require_inside_root(path, root, f"crons file {_relative(path, root)}", hint)
            return path
    raise ManifestError(
        f"crons file {_relative(functions_dir / 'crons.ts', root)} not found",
        hint=(
            "run crongate from the project root (the directory with convex.json), set `functions` in "
            "convex.json, or point `manifest:` in crongate.yml or --manifest at the app's crons.ts"
        ),
    )


def _migrations_path(root: Path, functions_dir: Path, configured: str | None) -> Path | None:
    if configured is not None:
        # read_migrations_file raises ManifestError when a configured file is missing.
        path = Path(os.path.normpath(root / configured))
        hint = "point `migrations:` in crongate.yml at the app's systemJobs.ts, relative to the project root"
        _require_inside_root(path, root, f"migrations file {configured!r} (set by `migrations:` in crongate.yml)",
                             hint)
        error = _not_regular(path, root, "migrations file", hint)
        if error is not None:
            raise error
        return path
    path = functions_dir / "systemJobs.ts"
    hint = "replace it with the app's systemJobs.ts, or remove it"
    error = _not_regular(path, root, "migrations file", hint)
    if error is not None:
        raise error
    if not path.is_file():
        return None
    _require_inside_root(path, root, f"migrations file {_relative(path, root)}", hint)
    return path


# --- The functions directory --------------------------------------------------------------

def scan_functions_dir(functions_dir: Path, crons_path: Path) -> dict[Path, ModuleFacts]:
    """Read the facts of every source file of the functions directory (and of crons.ts).

    Skips ``_generated/``, ``node_modules/``, hidden directories and files over
    MAX_SCAN_BYTES. Registrations inside a local component (a subdirectory with its own
    ``convex.config.ts``) are dropped, because Convex loads that component's crons.ts.
    """
    facts: dict[Path, ModuleFacts] = {}
    for path, in_component in _source_files(functions_dir):
        module = _scan_file(path, crons_path)
        if module is None:
            continue
        if in_component:
            module = replace(module, registrations=())
        facts[path] = module

    if crons_path not in facts and crons_path.is_file():
        module = _scan_file(crons_path, crons_path)
        if module is not None:
            facts[crons_path] = module
    return facts


def _source_files(functions_dir: Path) -> list[tuple[Path, bool]]:
    """Return (path, inside a local component) for each source file, in sorted order."""
    files: list[tuple[Path, bool]] = []
    component_roots: list[str] = []
    for directory, subdirs, names in os.walk(functions_dir):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS and not d.startswith("."))
        if directory != str(functions_dir) and "convex.config.ts" in names:
            component_roots.append(directory + os.sep)
        in_component = any((directory + os.sep).startswith(prefix) for prefix in component_roots)
        for name in sorted(names):
            if name.endswith(MODULE_SUFFIXES):
                files.append((Path(directory) / name, in_component))
    return files


def _scan_file(path: Path, crons_path: Path) -> ModuleFacts | None:
    try:
        source = read_source_file(path, MAX_SCAN_BYTES)
    except OSError as error:
        # A FIFO or device named like a module (convex/pipe.ts) is skipped here, never read.
        logger.warning("not scanning %s: %s", path, error.strerror)
        return None
    if len(source) > MAX_SCAN_BYTES:
        logger.warning("not scanning %s: over the %d byte limit", path, MAX_SCAN_BYTES)
        return None

    def imports_crons_file(specifier: str) -> bool:
        return resolve_specifier(path, specifier) == crons_path

    return module_facts(source, path.suffix, imports_crons_file)


def webhook_findings(facts: Mapping[Path, ModuleFacts], root: Path) -> list[Finding]:
    """Return a ``hardcoded-webhook`` finding for each webhook literal, with the URL redacted."""
    findings = []
    for path in sorted(facts):
        file = _relative(path, root)
        for webhook in facts[path].webhooks:
            findings.append(Finding(
                rule="hardcoded-webhook",
                severity=RULES["hardcoded-webhook"].severity,
                message=f"{webhook.service} webhook URL {webhook.redacted} is written as a literal in {file}",
                location=Location(file, webhook.line),
                hint=(
                    "a webhook URL is a credential: read it from settings through a helper, for example "
                    "a getDiscordWebhook() that reads a settings table or an environment variable "
                    "(`npx convex env set`), and rotate the webhook that was committed"
                ),
            ))
    return findings


# --- Redaction ----------------------------------------------------------------------------

def _redacted_finding(finding: Finding) -> Finding:
    return replace(
        finding,
        message=redact_webhooks(finding.message),
        hint=redact_webhooks(finding.hint) if finding.hint is not None else None,
        job=redact_webhooks(finding.job) if finding.job is not None else None,
    )


def _redacted_job(job: CronJob) -> CronJob:
    """Redact webhook URLs in a cron job's args, description and condition.

    A target may take a webhook as an argument, and the comment above a registration (its
    description) or an ``if`` around it may quote one.
    """
    args = _redacted_value(dict(job.args))
    description = redact_webhooks(job.description) if job.description is not None else None
    condition = redact_webhooks(job.condition) if job.condition is not None else None
    if args == dict(job.args) and description == job.description and condition == job.condition:
        return job
    return replace(job, args=args, description=description, condition=condition)


def _redacted_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_webhooks(value)
    if isinstance(value, dict):
        return {key: _redacted_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted_value(item) for item in value]
    return value


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
