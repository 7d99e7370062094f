"""Reports for ``crongate migrate``: the plan (a dry run) and the outcome of applying it.

The check reporters render a ``CheckResult`` and have no place for a plan, except the
Markdown summary's ``plan_section``, which ``plan_markdown`` fills. So the plan's text and
JSON forms live here. Text that can come from the deployment (error messages, row keys)
goes through ``clean_line``, as in the other reports.
"""

from __future__ import annotations

import json
from typing import Any

from crongate.apply import ApplyReport
from crongate.plan import Action, Plan, canonical_json
from crongate.report.common import clean_line, plural
from crongate.report.summary import escape_cell


def _call_text(action: Action) -> str:
    if action.function is None:
        return ""
    return f"{action.function} {canonical_json(action.args)}"


def _manual_note(action: Action) -> str:
    rule = f"{action.finding_rule}, " if action.finding_rule else ""
    return f"({rule}{'blocking' if action.blocking else 'not blocking'})"


def render_plan_text(plan: Plan, *, dry_run: bool = True) -> str:
    """Return the plan as numbered lines, each with its call and its reason."""
    target = clean_line(plan.target or "no target")
    mode = " (dry run: nothing is written)" if dry_run else ""
    lines = [f"crongate migrate: plan for {target}{mode}",
             f"made {plan.created_at}, fingerprint {plan.fingerprint[:19]}…"]

    if not plan.actions:
        lines += ["", "Nothing to do: the registry matches crons.ts."]
        return "\n".join(lines) + "\n"

    lines.append("")
    kind_width = max(len(action.kind) for action in plan.actions)
    for number, action in enumerate(plan.actions, start=1):
        detail = _call_text(action) if action.executable else _manual_note(action)
        lines.append(f"  {number}. {action.kind.ljust(kind_width)}  {clean_line(action.job)}  {clean_line(detail)}")
        lines.append(f"       {clean_line(action.reason)}")

    executable = len(plan.executable_actions)
    manual = plan.manual_actions
    blocking = sum(1 for action in manual if action.blocking)
    lines.append("")
    summary = f"{plural(executable, 'action')} to apply, {plural(len(manual), 'manual item')} ({blocking} blocking)."
    if dry_run and executable:
        summary += " Run `crongate migrate --apply` to apply them."
    lines.append(summary)
    return "\n".join(lines) + "\n"


def render_apply_text(report: ApplyReport) -> str:
    """Return each action's outcome, the totals, and what remains to be done."""
    plan = report.plan
    target = report.target or plan.target or "no target"
    header = f"crongate migrate --apply: {clean_line(target)}"
    if plan.target and plan.target != target:
        header += f" (plan made from {clean_line(plan.target)})"
    lines = [header, ""]

    if report.results:
        outcome_width = max(len(result.outcome) for result in report.results)
        kind_width = max(len(result.action.kind) for result in report.results)
        job_width = max(len(clean_line(result.action.job)) for result in report.results)
        for result in report.results:
            action = result.action
            columns = [result.outcome.ljust(outcome_width), action.kind.ljust(kind_width),
                       clean_line(action.job).ljust(job_width)]
            if action.function:
                columns.append(clean_line(action.function))
            line = "  " + "  ".join(columns).rstrip()
            if result.message:
                line += f" — {clean_line(result.message)}"
            lines.append(line)
    else:
        lines.append("  Nothing to do: the registry matches crons.ts.")

    counts = report.counts()
    lines += ["", ", ".join(f"{name}: {count}" for name, count in counts.items())]
    if report.verify_error:
        lines.append(f"NOT VERIFIED: the registry could not be re-read: {clean_line(report.verify_error)}")

    remaining = report.remaining
    if remaining:
        lines.append(f"Remaining ({len(remaining)}):")
        for result in remaining:
            lines.append(f"  {clean_line(result.action.id)}: {result.outcome}, {clean_line(result.message or result.action.reason)}")
        lines.append("Run `crongate migrate --apply` again after fixing these; actions already done are not repeated.")
    else:
        lines.append("Remaining: none")
    return "\n".join(lines) + "\n"


def migrate_json(plan: Plan, report: ApplyReport | None) -> str:
    """Return the plan, and the apply outcome when there is one, as one JSON document."""
    document: dict[str, Any] = {
        "mode": "dry-run" if report is None else "apply",
        "plan": plan.to_json(),
        "apply": None if report is None else report.to_json(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def plan_markdown(plan: Plan, report: ApplyReport | None = None) -> str:
    """Return the plan (and outcomes) as a Markdown table, for the summary's plan section."""
    if not plan.actions:
        return "Nothing to do: the registry matches crons.ts.\n"

    outcomes = {result.action.id: result for result in report.results} if report else {}
    header = "| # | action | job | call | reason |" if report is None else "| # | action | job | outcome | reason |"
    lines = [header, "|---|---|---|---|---|"]
    for number, action in enumerate(plan.actions, start=1):
        if report is None:
            middle = _call_text(action) if action.executable else _manual_note(action)
        else:
            result = outcomes.get(action.id)
            middle = result.outcome if result else "not run"
            if result and result.message and result.outcome == "failed":
                middle += f": {result.message}"
        lines.append(f"| {number} | {action.kind} | {escape_cell(action.job)} | {escape_cell(middle)} | "
                     f"{escape_cell(action.reason)} |")
    return "\n".join(lines) + "\n"
