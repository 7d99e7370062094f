"""The apply stage: run a plan's actions against a deployment, then re-read and verify them.

This is the only stage that writes. Each action is one mutation through the same
``ConvexClient`` that reads the registry (``POST /api/mutation``). Every action is
idempotent by contract (a migration returns the existing row, enable and upsert set
values, delete removes what is there), so running a plan twice, or four runs at once,
converges on one row per job.

Steps: read the registry, mark actions whose effect is already there, call the rest with
bounded concurrency, read the registry again, and verify each action's effect. Outcomes
are data (done, already in place, failed, skipped); only a registry that cannot be read
before the first call raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from crongate.errors import (
    AuthRejected,
    CrongateError,
    PermissionDenied,
    ProtocolError,
    TargetError,
    TargetTimeout,
    TargetUnreachable,
)
from crongate.model import RegistryRow
from crongate.plan import ACTION_KINDS, Action, Plan, canonical_json, ensure_current
from crongate.registry.interface import FieldMap, RegistrySource

logger = logging.getLogger(__name__)

DONE = "done"
ALREADY_IN_PLACE = "already in place"
FAILED = "failed"
SKIPPED = "skipped"
OUTCOMES = (DONE, ALREADY_IN_PLACE, FAILED, SKIPPED)

# After one of these, every further call would fail the same way, so no new call starts.
_FATAL_ERRORS = (AuthRejected, PermissionDenied, TargetUnreachable)

# The request was sent but no full reply came back, so the mutation may have committed:
# the re-read decides.
_UNKNOWN_ERRORS = (TargetTimeout, ProtocolError)

Progress = Callable[["ActionResult"], None]


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one action. ``message`` is the deployment's error or the reason."""

    action: Action
    outcome: str  # one of OUTCOMES
    message: str = ""
    called: bool = False  # whether a mutation was sent for it

    @property
    def remains(self) -> bool:
        """True when the action's work is still to do after this run."""
        if self.outcome == FAILED:
            return True
        return self.outcome == SKIPPED and self.action.blocking

    def to_json(self) -> dict[str, Any]:
        return {"id": self.action.id, "kind": self.action.kind, "job": self.action.job, "key": self.action.key,
                "function": self.action.function, "outcome": self.outcome, "message": self.message,
                "called": self.called, "blocking": self.action.blocking}


@dataclass(frozen=True)
class ApplyReport:
    """Every action's outcome, in plan order, and whether the re-read could verify them."""

    plan: Plan
    results: tuple[ActionResult, ...]
    verify_error: str | None = None
    target: str | None = None  # the deployment the plan was applied to

    def with_outcome(self, outcome: str) -> tuple[ActionResult, ...]:
        return tuple(result for result in self.results if result.outcome == outcome)

    @property
    def remaining(self) -> tuple[ActionResult, ...]:
        return tuple(result for result in self.results if result.remains)

    @property
    def complete(self) -> bool:
        """True when nothing remains and every call was verified; migrate exits 0 only then."""
        return not self.remaining and self.verify_error is None

    def counts(self) -> dict[str, int]:
        return {outcome: len(self.with_outcome(outcome)) for outcome in OUTCOMES}

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "complete": self.complete,
            "counts": self.counts(),
            "verify_error": self.verify_error,
            "results": [result.to_json() for result in self.results],
            "remaining": [result.action.id for result in self.remaining],
        }


def apply_plan(
    plan: Plan,
    client: Any,
    registry: RegistrySource,
    concurrency: int = 4,
    progress: Progress | None = None,
    *,
    require_current: bool = False,
    fields: FieldMap | None = None,
) -> ApplyReport:
    """Run the plan's actions on the deployment behind ``client`` and verify them.

    ``client`` is a ``ConvexClient``; ``registry`` reads the same deployment. With
    ``require_current`` (a saved plan), the plan is rejected with StalePlan before any
    call when a row it depends on was added, removed or changed since it was made.
    ``progress`` is called once per executable action, from the calling thread.
    """
    fields = fields or getattr(registry, "fields", None) or FieldMap()

    logger.info("reading the registry before applying %d actions", len(plan.executable_actions))
    before = registry.read_rows()
    if require_current:
        ensure_current(plan, before, fields)

    results: dict[str, ActionResult] = {}
    pending: list[Action] = []
    for action in plan.actions:
        if not action.executable:
            results[action.id] = ActionResult(action, SKIPPED, f"needs a manual change: {action.reason}")
        elif effect_in_place(action, before, fields):
            results[action.id] = _report(progress, ActionResult(
                action, ALREADY_IN_PLACE, "the registry already shows this; no call made"))
        else:
            pending.append(action)

    called = _Executor(client, max(1, concurrency), progress).run(pending)
    results.update(called)

    verify_error = None
    if any(result.called for result in called.values()):
        try:
            after = registry.read_rows()
        except TargetError as error:
            # The writes happened and only the check of them failed. Outcomes stay as the
            # calls returned them, and the report marks them unverified.
            logger.warning("could not re-read the registry to verify the actions: %s", error.message)
            verify_error = error.message
        else:
            for action_id, result in called.items():
                if result.called:
                    results[action_id] = _verified(result, after, fields)

    report = ApplyReport(plan, tuple(results[action.id] for action in plan.actions), verify_error,
                         target=registry.label)
    logger.info("applied the plan: %s", ", ".join(f"{count} {name}" for name, count in report.counts().items()))
    return report


def _report(progress: Progress | None, result: ActionResult) -> ActionResult:
    if progress is not None:
        progress(result)
    return result


class _Executor:
    """Calls the actions kind by kind (the plan's order), each kind with bounded concurrency."""

    def __init__(self, client: Any, concurrency: int, progress: Progress | None) -> None:
        self.client = client
        self.concurrency = concurrency
        self.progress = progress
        self.stop = threading.Event()
        self.fatal: str | None = None

    def run(self, actions: Sequence[Action]) -> dict[str, ActionResult]:
        results: dict[str, ActionResult] = {}
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="crongate-apply") as pool:
            for kind in ACTION_KINDS:
                batch = [action for action in actions if action.kind == kind]
                if not batch:
                    continue
                futures = [(action, pool.submit(self.call, action)) for action in batch]
                for action, future in futures:
                    results[action.id] = _report(self.progress, future.result())
        return results

    def call(self, action: Action) -> ActionResult:
        if self.stop.is_set():
            return ActionResult(action, SKIPPED, f"not attempted, because an earlier call failed: {self.fatal}")

        logger.info("calling %s for %s (%s)", action.function, action.job, action.id)
        try:
            # Every action is idempotent, so the client may repeat a call that never reached
            # the function (connect errors, 503, 429). A read timeout is not repeated.
            self.client.mutation(action.function, dict(action.args), retry=True)
        except _FATAL_ERRORS as error:
            self.fatal = error.message
            self.stop.set()
            logger.error("%s failed for %s: %s; no further calls", action.function, action.id, error.message)
            return ActionResult(action, FAILED, error.message, called=True)
        except _UNKNOWN_ERRORS as error:
            logger.warning("%s for %s may or may not have run: %s", action.function, action.id, error.message)
            return ActionResult(action, FAILED, f"outcome unknown: {error.message}", called=True)
        except CrongateError as error:
            logger.warning("%s failed for %s: %s", action.function, action.id, error.message)
            return ActionResult(action, FAILED, error.message, called=True)
        return ActionResult(action, DONE, "", called=True)


def _verified(result: ActionResult, rows: Sequence[RegistryRow], fields: FieldMap) -> ActionResult:
    """Settle a called action's outcome from the registry as re-read after all calls."""
    action = result.action
    in_place = effect_in_place(action, rows, fields)
    duplicates = _rows_with_key(rows, action.key)

    if action.kind == "call-migration" and len(duplicates) > 1:
        return ActionResult(action, FAILED, f"the registry now has {len(duplicates)} rows with key {action.key!r}; "
                            "delete the duplicates by hand", called=True)
    if result.outcome == DONE:
        if in_place:
            return result
        return ActionResult(action, FAILED, f"the call returned, but the re-read shows {describe_effect(action)} "
                            "is not in place", called=True)
    if in_place:
        # A lost reply whose mutation committed, or a concurrent run that did the same work.
        return ActionResult(action, DONE, f"the re-read shows the effect in place ({result.message})", called=True)
    return result


def effect_in_place(action: Action, rows: Sequence[RegistryRow], fields: FieldMap = FieldMap()) -> bool:
    """Return True when ``rows`` already show what ``action`` is meant to achieve."""
    matching = _rows_with_key(rows, action.key)
    if action.kind == "call-migration":
        return bool(matching)
    if action.kind == "enable":
        return bool(matching) and all(row.enabled is True for row in matching)
    if action.kind == "upsert":
        expected = action.args.get(fields.schedule)
        return bool(matching) and all(_same_schedule(row.schedule, expected) for row in matching)
    if action.kind == "delete":
        return not matching
    return False


def describe_effect(action: Action) -> str:
    """Return the effect of an action in words, for messages."""
    return {
        "call-migration": f"a row with key {action.key!r}",
        "enable": f"row {action.key!r} enabled",
        "upsert": f"row {action.key!r} with the planned schedule",
        "delete": f"no row with key {action.key!r}",
    }.get(action.kind, action.reason)


def _rows_with_key(rows: Sequence[RegistryRow], key: str | None) -> list[RegistryRow]:
    return [row for row in rows if key is not None and row.key == key]


def _same_schedule(stored: Any, expected: Any) -> bool:
    if canonical_json(stored) == canonical_json(expected):
        return True
    from crongate import schedule as schedules

    try:
        return schedules.schedule_from_registry(stored).same_times(schedules.schedule_from_registry(expected))
    except schedules.InvalidSchedule:
        return False
