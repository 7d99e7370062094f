"""The check pipeline: manifest and registry in, a ``CheckResult`` out.

This module wires the stages together and is what the CLI calls. It never prints and
never imports click. The HTTP client is imported only when a deployment is the target,
so a static check stays quick to start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from crongate.compare import CompareOptions, apply_policy, compare
from crongate.config import Config
from crongate.errors import UsageError
from crongate.model import CheckResult, Finding, JobStatus, Manifest, RegistryRow
from crongate.registry.interface import RegistrySource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """The registry to read: a deployment URL with its key, or a snapshot file."""

    kind: str  # "url" or "snapshot"
    location: str
    key: str | None = None

    @property
    def label(self) -> str:
        return self.location


def build_manifest(root: Path, config: Config) -> Manifest:
    """Read the app's code: crons.ts, systemJobs.ts and the functions directory."""
    from crongate.manifest.project import ManifestSettings, read_manifest

    settings = ManifestSettings(
        root=root,
        functions_dir=config.functions_dir,
        crons_file=config.manifest,
        migrations_file=config.migrations,
        table=config.registry.table,
        fields=config.registry.fields,
        key_map=dict(config.key_map),
    )
    return read_manifest(settings)


def build_registry(target: Target, config: Config, root: Path) -> RegistrySource:
    """Return the registry source for ``target``."""
    if target.kind == "snapshot":
        from crongate.registry.snapshot import SnapshotRegistry

        path = Path(target.location)
        if not path.is_absolute():
            path = root / path
        return SnapshotRegistry(path, table=config.registry.table, fields=config.registry.fields)

    if target.kind == "url":
        from crongate.registry.convex_http import ConnectionSettings, ConvexClient, ConvexHttpRegistry

        client = ConvexClient(ConnectionSettings(url=target.location, key=target.key, timeout=config.registry.timeout))
        return ConvexHttpRegistry(
            client,
            list_function=config.registry.list_function,
            fields=config.registry.fields,
            page_function=config.registry.page_function,
            page_size=config.registry.page_size,
        )
    raise UsageError(f"unknown target kind {target.kind!r}")


def read_registry(source: RegistrySource) -> list[RegistryRow]:
    logger.info("reading the registry from %s", source.label)
    rows = source.read_rows()
    logger.info("read %d registry rows from %s", len(rows), source.label)
    return rows


def run_check(
    root: Path,
    config: Config,
    target: Target | None,
    *,
    pre_deploy: bool = False,
    manifest: Manifest | None = None,
    now: datetime | None = None,
) -> CheckResult:
    """Run the static pass, read the registry if there is a target, and compare."""
    if manifest is None:
        manifest = build_manifest(root, config)
    logger.info("read %d cron jobs from %s", len(manifest.jobs), manifest.crons_file)

    rows: list[RegistryRow] | None = None
    source_label: str | None = None
    judged_at = now
    if target is not None:
        source = build_registry(target, config, root)
        try:
            rows = read_registry(source)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        source_label = source.label
        if judged_at is None and getattr(source, "taken_at", None) is not None:
            # A snapshot is a view of the past: judge stale and never-run at the time it was taken.
            judged_at = source.taken_at
    if judged_at is None:
        judged_at = datetime.now(timezone.utc)

    options = CompareOptions(
        now=judged_at,
        key_map=config.key_map,
        keep_disabled=config.keep_disabled,
        stale_periods=config.stale_periods,
        never_run_periods=config.never_run_periods,
        failing_error_rate=config.failing_error_rate,
        failing_min_runs=config.failing_min_runs,
        pre_deploy=pre_deploy,
        enable_function=config.registry.enable_function,
        upsert_function=config.registry.upsert_function,
    )
    comparison = compare(manifest, rows, options)
    findings, ignored = apply_policy(comparison.findings, config.severities, config.ignore)
    if ignored:
        logger.info("%d findings ignored by crongate.yml", ignored)
    _warn_unknown_jobs(config, manifest, rows)

    # apply_policy may drop findings or replace them with a new severity, so the per-job
    # lists are rebuilt from what it kept.
    by_job: dict[str, list[Finding]] = {}
    for finding in findings:
        by_job.setdefault(finding.job or "", []).append(finding)
    statuses = tuple(
        JobStatus(job=status.job, row=status.row, findings=tuple(by_job.get(status.job.name, ())))
        for status in comparison.jobs
    )
    return CheckResult(
        manifest=manifest,
        findings=tuple(findings),
        jobs=statuses,
        orphans=comparison.orphans,
        registry_source=source_label,
        rows_read=None if rows is None else len(rows),
        fail_on=config.fail_on,
        pre_deploy=pre_deploy,
        judged_at=judged_at,
        ignored=ignored,
    )


def _warn_unknown_jobs(config: Config, manifest: Manifest, rows: list[RegistryRow] | None) -> None:
    """Log config entries that name no cron job and no row: usually a typo that silently does nothing."""
    names = {job.name for job in manifest.jobs}
    if rows is not None:
        names |= {row.key for row in rows if row.key} | {row.name for row in rows if row.name}
    entries = [("ignore", entry.job) for entry in config.ignore if entry.job is not None]
    entries += [("keep_disabled", job) for job in config.keep_disabled]
    entries += [("match.keys", job) for job in config.key_map]
    for section, job in entries:
        if job not in names:
            logger.warning("%s in %s names %r, which is neither a cron job nor a registry row",
                           section, config.path or "crongate.yml", job)
