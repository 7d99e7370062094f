"""The static rules that compare crons.ts with the migrations of ``systemJobs.ts``.

``missing-migration``: no migration creates the row of a cron job. ``migration-mismatch``:
a migration would insert a schedule that fires at other times than crons.ts's schedule,
or a name that belongs to another job (usually a copy-paste error).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from crongate import schedule as schedules
from crongate.config import ScaffoldSettings
from crongate.keys import keys_for_cron_name, new_row_key, slugify
from crongate.model import CronJob, Finding, Location, Migration
from crongate.registry.interface import FieldMap
from crongate.rules import RULES

# The same acronyms that `crongate scaffold` keeps upper case by default, so the hint names
# the function that scaffold would write.
_ACRONYMS = {acronym.lower(): acronym for acronym in ScaffoldSettings().acronyms}

_INTERVAL_UNITS = ("seconds", "minutes", "hours")


def migration_function_name(cron_name: str) -> str:
    """Return the conventional migration name for a cron job: ``"traffic-sync"`` -> ``"addTrafficSyncJob"``."""
    words = [word for word in slugify(cron_name).split("-") if word]
    pascal = "".join(_ACRONYMS.get(word, word.capitalize()) for word in words)
    return f"add{pascal}Job"


def expected_key(cron_name: str, key_map: Mapping[str, str]) -> str:
    """Return the job key a new row should get (see ``crongate.keys.new_row_key``)."""
    return new_row_key(cron_name, key_map)


def migration_findings(
    jobs: Sequence[CronJob],
    migrations: Sequence[Migration],
    key_map: Mapping[str, str],
    fields: FieldMap,
    migrations_file: str,
    field_locations: Mapping[tuple[str, str], Mapping[str, Location]],
) -> list[Finding]:
    """Return ``missing-migration`` and ``migration-mismatch`` findings for ``jobs``.

    ``migrations_file`` is the file that the hint of ``missing-migration`` names: the
    migrations file, or the path where one would be when the app has none.
    """
    findings: list[Finding] = []
    for job in jobs:
        keys = keys_for_cron_name(job.name, dict(key_map))
        creating = [migration for migration in migrations if migration.job_key in keys]
        if not creating:
            findings.append(_missing(job, key_map, migrations_file))
            continue
        for migration in creating:
            locations = field_locations.get((migration.function, migration.job_key), {})
            findings.extend(_schedule_mismatch(job, migration, fields, locations))
            findings.extend(_name_mismatch(job, migration, fields, locations))
    return findings


def _missing(job: CronJob, key_map: Mapping[str, str], migrations_file: str) -> Finding:
    key = expected_key(job.name, key_map)
    return Finding(
        rule="missing-migration",
        severity=RULES["missing-migration"].severity,
        message=f"no migration creates the registry row of cron job {job.name!r}",
        job=job.name,
        location=job.location,
        hint=(
            f"add an exported mutation {migration_function_name(job.name)} to {migrations_file} that inserts "
            f"the row with jobKey {key!r}, or run `crongate scaffold` to generate it"
        ),
    )


def _schedule_mismatch(
    job: CronJob, migration: Migration, fields: FieldMap, locations: Mapping[str, Location]
) -> list[Finding]:
    if fields.schedule not in migration.values:
        return []
    inserted = migration.values[fields.schedule]

    try:
        declared = schedules.schedule_from_job(job.kind, job.schedule)
    except schedules.InvalidSchedule:
        # invalid-schedule already reports this job, so there is nothing valid to compare with.
        return []

    try:
        would_insert = schedules.schedule_from_registry(inserted)
    except schedules.InvalidSchedule as error:
        message = (
            f"migration {migration.function} would insert {fields.schedule} {_compact(inserted)} for "
            f"{job.name!r}, which is not a schedule crongate can read ({error.message}); "
            f"crons.ts runs it {declared.describe()}"
        )
    else:
        if would_insert.same_times(declared):
            return []
        message = (
            f"migration {migration.function} would insert {fields.schedule} {_compact(inserted)} "
            f"({would_insert.describe()}), but crons.ts runs {job.name!r} {declared.describe()}"
        )

    return [Finding(
        rule="migration-mismatch",
        severity=RULES["migration-mismatch"].severity,
        message=message,
        job=job.name,
        location=locations.get(fields.schedule, migration.location),
        hint=_schedule_hint(job, migration, fields),
    )]


def _schedule_hint(job: CronJob, migration: Migration, fields: FieldMap) -> str:
    suggestion = _registry_interval(job)
    if suggestion is not None:
        return f"change {fields.schedule} in {migration.function} to {_compact(suggestion)}, as in crons.ts"
    return f"change {fields.schedule} in {migration.function} to the schedule that crons.ts declares"


def _registry_interval(job: CronJob) -> dict[str, Any] | None:
    """Return the registry's ``{type, value}`` form of an interval job, when it has one unit."""
    if job.kind != "interval" or not isinstance(job.schedule, Mapping):
        return None
    units = [unit for unit in _INTERVAL_UNITS if unit in job.schedule]
    if len(units) != 1:
        return None
    return {"type": units[0], "value": job.schedule[units[0]]}


def _name_mismatch(
    job: CronJob, migration: Migration, fields: FieldMap, locations: Mapping[str, Location]
) -> list[Finding]:
    name = migration.values.get(fields.name)
    if not isinstance(name, str):
        return []
    # A mapped key may differ from the cron name, so a name that fits either one is fine.
    accepted = {slugify(migration.job_key), slugify(job.name)}
    if slugify(name) in accepted:
        return []

    suggested = " ".join(word.capitalize() for word in slugify(job.name).split("-") if word)
    return [Finding(
        rule="migration-mismatch",
        severity=RULES["migration-mismatch"].severity,
        message=(
            f"migration {migration.function} would insert {fields.name} {name!r} for jobKey "
            f"{migration.job_key!r}, but that name does not fit the job key (cron job {job.name!r})"
        ),
        job=job.name,
        location=locations.get(fields.name, migration.location),
        hint=f"set {fields.name} in {migration.function} to the name of this job, such as {suggested!r}",
    )]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)
