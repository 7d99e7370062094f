"""The plan stage: the findings of a check become an ordered list of idempotent actions.

A plan is data. ``crongate migrate`` prints it (a dry run) or hands it to the apply stage,
and ``crongate check --plan-out`` saves it as JSON so that a reviewed plan can be applied
later. A saved plan carries a digest of every registry row it depends on. The apply stage
rejects the plan when one of those rows was added, removed or changed since.

The plan covers registry drift only (missing-job, job-disabled, schedule-mismatch,
orphaned-job, ambiguous-match). Findings about the code or about a job's health (stale,
failing, never-run) are reported by ``check`` and left out, since no registry write can
fix them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crongate.compare import migration_for
from crongate.errors import EXIT_USAGE, PlanError
from crongate.model import CheckResult, CronJob, Finding, JobStatus, RegistryRow
from crongate.registry.interface import FieldMap
from crongate.secrets import redact
from crongate.source_file import read_source_file

logger = logging.getLogger(__name__)

PLAN_VERSION = 1

# Execution order: rows are created before anything patches them, and deletes come last
# so that a plan never removes a row that an earlier step reads.
ACTION_KINDS = ("call-migration", "enable", "upsert", "delete", "manual")

DRIFT_RULES = frozenset({"missing-job", "job-disabled", "schedule-mismatch", "orphaned-job", "ambiguous-match"})

# Seconds per registry interval unit, largest first, for writing a schedule in the
# registry's {type, value} shape.
_REGISTRY_UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))

MAX_PLAN_BYTES = 16 * 1024 * 1024


class InvalidPlanFile(PlanError):
    """A plan file that cannot be read or is not a crongate plan. Local input, so exit 2."""

    exit_code = EXIT_USAGE


class StalePlan(PlanError):
    """A saved plan whose rows changed in the registry since it was made (exit 1)."""


@dataclass(frozen=True)
class Action:
    """One step of a plan.

    ``job`` is the cron name, or the row's key for an orphaned row. ``key`` is the registry
    key of the row the action creates or changes. ``blocking`` is True when leaving the
    action undone fails ``migrate``. A manual item for a finding below ``--fail-on`` (an
    orphaned row, by default) is listed but does not block.
    """

    id: str
    kind: str  # one of ACTION_KINDS
    job: str
    function: str | None
    args: Mapping[str, Any]
    reason: str
    finding_rule: str | None
    key: str | None = None
    blocking: bool = True

    @property
    def executable(self) -> bool:
        return self.kind != "manual"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "job": self.job,
            "key": self.key,
            "function": self.function,
            "args": dict(self.args),
            "reason": self.reason,
            "finding_rule": self.finding_rule,
            "blocking": self.blocking,
        }


@dataclass(frozen=True)
class Plan:
    """An ordered list of actions and the registry state they were planned against.

    ``depends_on`` maps each row key the plan touches to the digest of its row as it was
    read (see ``row_digests``), or None when the plan expects no row with that key.
    ``fingerprint`` is the sha256 of ``depends_on`` in canonical JSON.
    """

    target: str | None
    created_at: str  # ISO 8601, UTC
    actions: tuple[Action, ...]
    fingerprint: str
    depends_on: Mapping[str, str | None] = field(default_factory=dict)
    version: int = PLAN_VERSION

    @property
    def executable_actions(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.executable)

    @property
    def manual_actions(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if not action.executable)

    @property
    def blocked(self) -> bool:
        """True when the plan contains manual items that migrate cannot do and that fail the gate."""
        return any(action.blocking for action in self.manual_actions)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "target": self.target,
            "created_at": self.created_at,
            "fingerprint": self.fingerprint,
            "depends_on": dict(self.depends_on),
            "actions": [action.to_json() for action in self.actions],
        }


# -- fingerprints ---------------------------------------------------------------------------


def volatile_fields(fields: FieldMap) -> frozenset[str]:
    """Return the row fields that the digest leaves out.

    A job's run counters, its last run and ``updatedAt`` change each time the job runs (the
    app's ``recordRun`` writes them), so a plan for a job that runs every 30 seconds would
    be stale before anyone could review it. No action reads or writes them, and every
    action's effect (a row added, ``enabled``, the schedule, ``_id``) lies outside them.
    """
    return frozenset({
        fields.total_runs, fields.success_count, fields.error_count,
        fields.last_run_at, fields.last_status, fields.updated_at,
    })


def row_document(row: RegistryRow, fields: FieldMap) -> dict[str, Any]:
    """Return the row's document without the volatile fields, the form that is digested."""
    if row.raw:
        document = dict(row.raw)
    else:
        # Rows built by hand (in tests, or by a source without documents) have no raw form.
        document = {
            fields.key: row.key, fields.name: row.name, fields.description: row.description,
            fields.category: row.category, fields.schedule: row.schedule, fields.enabled: row.enabled,
            fields.created_at: row.created_at, "_id": row.doc_id,
        }
        document = {name: value for name, value in document.items() if value is not None}
    dropped = volatile_fields(fields)
    return {name: value for name, value in document.items() if name not in dropped}


def canonical_json(value: Any) -> str:
    """Return ``value`` as canonical JSON: sorted keys, no spaces, integral floats as ints.

    An export snapshot writes a Float64 as ``5.0`` and the HTTP API as ``5``. Both are the
    same Convex value, so both must digest the same.
    """
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(name): _canonical(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_digests(rows: Sequence[RegistryRow], keys: Iterable[str], fields: FieldMap = FieldMap()) -> dict[str, str | None]:
    """Return, per key, the digest of the rows with that key, or None when there is none.

    Two rows with one key (an ambiguous registry) digest together, sorted, so that the
    digest does not depend on the order the deployment returned them in.
    """
    by_key: dict[str, list[str]] = {}
    for row in rows:
        if row.key is not None:
            by_key.setdefault(row.key, []).append(canonical_json(row_document(row, fields)))

    digests: dict[str, str | None] = {}
    for key in sorted(set(keys)):
        documents = by_key.get(key)
        digests[key] = None if not documents else _sha256("\n".join(sorted(documents)))
    return digests


def fingerprint_digests(digests: Mapping[str, str | None]) -> str:
    """Return the sha256 of a ``row_digests`` mapping in canonical JSON."""
    return _sha256(canonical_json(dict(digests)))


def fingerprint_rows(rows: Sequence[RegistryRow], keys: Iterable[str], fields: FieldMap = FieldMap()) -> str:
    """Return the sha256 of the rows with the given keys (see ``row_digests``)."""
    return fingerprint_digests(row_digests(rows, keys, fields))


@dataclass(frozen=True)
class RegistryChanges:
    """The row keys that were added, removed or changed since a plan was made."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = []
        for label, keys in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if keys:
                parts.append(f"{label}: {', '.join(keys)}")
        return "; ".join(parts)


def registry_changes(plan: Plan, rows: Sequence[RegistryRow], fields: FieldMap = FieldMap()) -> RegistryChanges:
    """Compare the rows a plan depends on with ``rows`` as read now."""
    current = row_digests(rows, plan.depends_on.keys(), fields)
    added, removed, changed = [], [], []
    for key, before in sorted(plan.depends_on.items()):
        after = current.get(key)
        if before == after:
            continue
        if before is None:
            added.append(key)
        elif after is None:
            removed.append(key)
        else:
            changed.append(key)
    return RegistryChanges(tuple(added), tuple(removed), tuple(changed))


def ensure_current(plan: Plan, rows: Sequence[RegistryRow], fields: FieldMap = FieldMap(),
                   source: str = "the plan file") -> None:
    """Raise StalePlan, naming the changed rows, when the registry moved since the plan was made."""
    changes = registry_changes(plan, rows, fields)
    if changes:
        raise StalePlan(
            f"the registry changed since {source} was made ({plan.created_at}); rows {changes.describe()}",
            hint="make a new plan (`crongate check --plan-out` or `crongate migrate --plan-out`), "
                 "review it, and apply that one",
        )


# -- building a plan ------------------------------------------------------------------------


def build_plan(result: CheckResult, config: Any, target_label: str | None = None, prune: bool = False,
               *, now: datetime | None = None) -> Plan:
    """Turn a check's findings into a plan: migrations, enables, upserts, deletes, then manual items.

    ``config`` is a ``crongate.config.Config``. Orphaned rows are deleted only with
    ``prune`` and a configured ``registry.delete_function``. Otherwise they stay listed as
    manual items.
    """
    registry = config.registry
    fields: FieldMap = registry.fields
    builder = _PlanBuilder(result, config, fields)

    for status in result.jobs:
        builder.add_job(status)
    for row in result.orphans:
        builder.add_orphan(row, prune=prune, delete_function=getattr(registry, "delete_function", None))
    builder.add_unclaimed_findings()

    actions = builder.ordered_actions()
    depends_on = row_digests(builder.depended_rows, builder.depended_keys, fields)
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    plan = Plan(
        target=target_label,
        created_at=created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        actions=actions,
        fingerprint=fingerprint_digests(depends_on),
        depends_on=depends_on,
    )
    logger.info("planned %d actions (%d manual) for %s", len(plan.executable_actions),
                len(plan.manual_actions), target_label or "no target")
    return plan


class _PlanBuilder:
    """Collects actions per kind while walking the check result."""

    def __init__(self, result: CheckResult, config: Any, fields: FieldMap) -> None:
        self.result = result
        self.config = config
        self.fields = fields
        self.by_kind: dict[str, list[Action]] = {kind: [] for kind in ACTION_KINDS}
        self.ids: set[str] = set()
        self.claimed: set[int] = set()  # id() of findings an action accounts for
        self.depended_rows: list[RegistryRow] = []
        self.depended_keys: list[str] = []

    def add(self, kind: str, job: str, *, key: str | None, function: str | None = None,
            args: Mapping[str, Any] | None = None, reason: str, finding: Finding | None,
            row: RegistryRow | None = None, blocking: bool = True) -> None:
        base = f"{kind}:{key or job}" if kind != "manual" else f"manual:{finding.rule if finding else 'drift'}:{key or job}"
        action_id, suffix = base, 2
        while action_id in self.ids:
            action_id, suffix = f"{base}#{suffix}", suffix + 1
        self.ids.add(action_id)

        if finding is not None:
            self.claimed.add(id(finding))
        if kind != "manual" and key is not None:
            self.depended_keys.append(key)
            if row is not None:
                self.depended_rows.append(row)

        self.by_kind[kind].append(Action(
            id=action_id, kind=kind, job=job, function=function, args=dict(args or {}), reason=reason,
            finding_rule=finding.rule if finding else None, key=key, blocking=blocking,
        ))

    def manual(self, job: str, key: str | None, finding: Finding, reason: str) -> None:
        self.add("manual", job, key=key, reason=reason, finding=finding, blocking=self.blocks(finding))

    def blocks(self, finding: Finding) -> bool:
        fail_on = self.result.fail_on
        return fail_on is not None and finding.severity.rank >= fail_on.rank

    def drift(self, findings: Iterable[Finding], rule: str) -> list[Finding]:
        return [f for f in findings if f.rule == rule]

    def add_job(self, status: JobStatus) -> None:
        job, row = status.job, status.row
        findings = [f for f in self.result.findings if f.job == job.name] or list(status.findings)

        for finding in self.drift(findings, "ambiguous-match"):
            self.manual(job.name, None, finding,
                        "the cron job matches more than one row, and crongate never guesses which one to keep: "
                        "delete the duplicate row or map the job to one key under match.keys")

        for finding in self.drift(findings, "missing-job"):
            self.add_missing(job, finding)

        if row is None:
            return
        for finding in self.drift(findings, "job-disabled"):
            self.add_enable(job, row, finding)
        for finding in self.drift(findings, "schedule-mismatch"):
            self.add_upsert(job, row, finding)

    def add_missing(self, job: CronJob, finding: Finding) -> None:
        migration = migration_for(job, self.result.manifest.migrations, self.config.key_map)
        if migration is None:
            self.manual(job.name, None, finding,
                        "no migration in the migrations file creates this job's row: add one "
                        "(`crongate scaffold --write`), deploy, and run migrate again")
            return
        self.add("call-migration", job.name, key=migration.job_key, function=migration.function, args={},
                 reason=f"create the missing row {migration.job_key!r} ({migration.location})", finding=finding)

    def add_enable(self, job: CronJob, row: RegistryRow, finding: Finding) -> None:
        kept = self.config.keep_disabled.get(job.name) or (row.key and self.config.keep_disabled.get(row.key))
        if kept:
            # compare already skips these; a finding that reaches here came from elsewhere.
            logger.info("not enabling %s, because keep_disabled in crongate.yml lists it: %s", job.name, kept)
            self.claimed.add(id(finding))
            return
        function = self.config.registry.enable_function
        if not function:
            self.manual(job.name, row.key, finding,
                        "the row is disabled and no enable function is configured: set registry.enable_function "
                        "in crongate.yml, or enable the row by hand")
            return
        if row.key is None:
            self.manual(job.name, None, finding, "the disabled row has no job key, so the enable function cannot name it")
            return
        self.add("enable", job.name, key=row.key, function=function, args={self.fields.key: row.key},
                 reason=f"enable the disabled row {row.key!r}", finding=finding, row=row)

    def add_upsert(self, job: CronJob, row: RegistryRow, finding: Finding) -> None:
        function = self.config.registry.upsert_function
        if not function:
            self.manual(job.name, row.key, finding,
                        "the row's schedule differs from crons.ts and no upsert function is configured: "
                        "set registry.upsert_function in crongate.yml, or fix the row (or crons.ts) by hand")
            return
        schedule = registry_schedule(job, self.result.manifest.migrations, self.config.key_map, self.fields)
        if schedule is None:
            self.manual(job.name, row.key, finding,
                        f"the schedule of {job.name!r} has no fixed period, so it cannot be written in the "
                        "registry's interval shape: fix the row by hand")
            return
        if row.key is None:
            self.manual(job.name, None, finding, "the row has no job key, so the upsert function cannot name it")
            return
        args = {self.fields.key: row.key, self.fields.name: row.name or job.name, self.fields.schedule: schedule}
        self.add("upsert", job.name, key=row.key, function=function, args=args,
                 reason=f"set the schedule of row {row.key!r} to {canonical_json(schedule)}", finding=finding, row=row)

    def add_orphan(self, row: RegistryRow, *, prune: bool, delete_function: str | None) -> None:
        label = row.key or row.name or row.doc_id or "(no key)"
        findings = [f for f in self.result.findings if f.rule == "orphaned-job" and f.job in (row.key, row.name)]
        finding = findings[0] if findings else None
        if finding is None:
            return  # ignored by config: nothing to plan
        for other in findings:
            self.claimed.add(id(other))

        if not prune:
            self.manual(label, row.key, finding,
                        "the row matches no cron job; it is kept because orphaned rows are deleted only with --prune")
            return
        if not delete_function:
            self.manual(label, row.key, finding,
                        "--prune was given, but no delete function is configured: set registry.delete_function "
                        "in crongate.yml, or delete the row by hand")
            return
        if row.key is None:
            self.manual(label, None, finding, "the orphaned row has no job key, so the delete function cannot name it")
            return
        self.add("delete", label, key=row.key, function=delete_function, args={self.fields.key: row.key},
                 reason=f"delete the orphaned row {row.key!r} (--prune)", finding=finding, row=row)

    def add_unclaimed_findings(self) -> None:
        """List drift findings that no job or orphan accounted for, so none is silently dropped."""
        for finding in self.result.findings:
            if finding.rule in DRIFT_RULES and id(finding) not in self.claimed and not finding.pending:
                if finding.rule == "orphaned-job":
                    continue  # an orphan whose row the result no longer lists
                self.manual(finding.job or "(registry)", None, finding, f"fix by hand: {finding.message}")

    def ordered_actions(self) -> tuple[Action, ...]:
        return tuple(action for kind in ACTION_KINDS for action in self.by_kind[kind])


def registry_schedule(job: CronJob, migrations: Sequence[Any], key_map: Mapping[str, str],
                      fields: FieldMap) -> Any | None:
    """Return the cron job's schedule in the registry's shape, or None if it has no fixed period.

    The job's migration states how this app writes the schedule, so its literal is used when
    it fires at the same times as crons.ts. Otherwise the period is written as
    ``{type, value}`` in the largest whole unit (``{"type": "hours", "value": 24}`` for a
    daily job), the shape of the common systemJobs table.
    """
    from crongate import schedule as schedules

    try:
        declared = schedules.schedule_from_job(job.kind, job.schedule)
    except schedules.InvalidSchedule:
        return None

    migration = migration_for(job, migrations, key_map)
    if migration is not None and fields.schedule in migration.values:
        literal = migration.values[fields.schedule]
        try:
            if schedules.schedule_from_registry(literal).same_times(declared):
                return _canonical(literal)
        except schedules.InvalidSchedule:
            pass

    period = declared.period_seconds
    if not period:
        return None
    for unit, size in _REGISTRY_UNITS:
        if period % size == 0:
            return {"type": unit, "value": period // size}
    return None  # pragma: no cover - seconds divide every whole period


# -- saving and loading ---------------------------------------------------------------------


def save_plan(plan: Plan, path: Path) -> None:
    """Write the plan as JSON. Raises InvalidPlanFile when the file cannot be written."""
    text = redact(json.dumps(plan.to_json(), indent=2, ensure_ascii=False, sort_keys=False)) + "\n"
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidPlanFile(f"cannot write the plan to {path}: {error.strerror}",
                              hint="check that the folder exists and is writable") from None
    logger.info("saved a plan of %d actions to %s", len(plan.actions), path)


def load_plan(path: Path) -> Plan:
    """Read and validate a plan written by ``save_plan``. InvalidPlanFile names what is wrong."""
    try:
        data = read_source_file(path, MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise InvalidPlanFile(f"plan file {path} does not exist",
                              hint="make one with `crongate check --plan-out PATH` or `crongate migrate --plan-out PATH`") from None
    except OSError as error:
        raise InvalidPlanFile(f"cannot read plan file {path}: {error.strerror}", hint="check the path given to --plan") from None
    if len(data) > MAX_PLAN_BYTES:
        raise InvalidPlanFile(f"plan file {path} is over the limit of {MAX_PLAN_BYTES} bytes",
                              hint="check that --plan names a plan written by crongate")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise InvalidPlanFile(f"plan file {path} is not valid JSON{where}",
                              hint="make a new plan; a plan file is not meant to be edited by hand") from None
    return _PlanReader(path).read(document)


class _PlanReader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> InvalidPlanFile:
        return InvalidPlanFile(f"plan file {self.path}: {problem}",
                               hint="make a new plan with `crongate check --plan-out`; plan files are not meant to be edited")

    def field(self, document: Mapping[str, Any], name: str, types: tuple[type, ...], where: str) -> Any:
        if name not in document:
            raise self.fail(f"{where} has no {name!r}")
        value = document[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise self.fail(f"{where} has {name!r} = {value!r}, of the wrong type")
        return value

    def read(self, document: Any) -> Plan:
        if not isinstance(document, dict):
            raise self.fail("the top level is not a JSON object")
        version = self.field(document, "version", (int,), "the plan")
        if version != PLAN_VERSION:
            raise self.fail(f"version {version} is not supported; this crongate reads version {PLAN_VERSION}")
        target = document.get("target")
        if target is not None and not isinstance(target, str):
            raise self.fail(f"'target' is {target!r}, expected a string or null")
        created_at = self.field(document, "created_at", (str,), "the plan")
        fingerprint = self.field(document, "fingerprint", (str,), "the plan")
        depends_on = self.field(document, "depends_on", (dict,), "the plan")
        for key, digest in depends_on.items():
            if digest is not None and not (isinstance(digest, str) and digest.startswith("sha256:")):
                raise self.fail(f"depends_on[{key!r}] is {digest!r}, expected a sha256 digest or null")
        if fingerprint_digests(depends_on) != fingerprint:
            raise self.fail("the fingerprint does not match depends_on, so the file was changed after it was saved")

        raw_actions = self.field(document, "actions", (list,), "the plan")
        actions = tuple(self.action(raw, index) for index, raw in enumerate(raw_actions))
        ids = [action.id for action in actions]
        duplicates = sorted({action_id for action_id in ids if ids.count(action_id) > 1})
        if duplicates:
            raise self.fail(f"action ids appear more than once: {', '.join(duplicates)}")
        for action in actions:
            if action.executable and action.key is not None and action.key not in depends_on:
                raise self.fail(f"action {action.id!r} changes row {action.key!r}, which depends_on does not list")
        return Plan(target=target, created_at=created_at, actions=actions, fingerprint=fingerprint,
                    depends_on=dict(depends_on), version=version)

    def action(self, raw: Any, index: int) -> Action:
        where = f"action {index}"
        if not isinstance(raw, dict):
            raise self.fail(f"{where} is not a JSON object")
        kind = self.field(raw, "kind", (str,), where)
        if kind not in ACTION_KINDS:
            raise self.fail(f"{where} has kind {kind!r}; expected one of {', '.join(ACTION_KINDS)}")
        function = raw.get("function")
        if kind != "manual" and not (isinstance(function, str) and function):
            raise self.fail(f"{where} ({kind}) has no function to call")
        key = raw.get("key")
        if key is not None and not isinstance(key, str):
            raise self.fail(f"{where} has key {key!r}, expected a string or null")
        if kind != "manual" and key is None:
            raise self.fail(f"{where} ({kind}) names no row key")
        finding_rule = raw.get("finding_rule")
        if finding_rule is not None and not isinstance(finding_rule, str):
            raise self.fail(f"{where} has finding_rule {finding_rule!r}, expected a string or null")
        return Action(
            id=self.field(raw, "id", (str,), where),
            kind=kind,
            job=self.field(raw, "job", (str,), where),
            function=function,
            args=self.field(raw, "args", (dict,), where),
            reason=self.field(raw, "reason", (str,), where),
            finding_rule=finding_rule,
            key=key,
            blocking=self.field(raw, "blocking", (bool,), where) if "blocking" in raw else True,
        )


def plan_summary(plan: Plan) -> dict[str, int]:
    """Return how many actions the plan has of each kind."""
    return {kind: sum(1 for action in plan.actions if action.kind == kind) for kind in ACTION_KINDS}
