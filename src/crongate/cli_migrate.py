"""``crongate migrate``: print the plan that brings the registry in line, or apply it.

A dry run (the default) reads the registry, prints the plan and writes nothing. ``--apply``
runs it against a deployment and reports each action's outcome. ``--plan PATH`` applies a
plan saved earlier by ``check --plan-out`` or ``migrate --plan-out``, exactly as saved, and
is rejected when a registry row it depends on changed since.

Exit codes: 0 when nothing remains, 1 when work remains (a failed action, a blocking manual
item, a stale plan), 2 for usage and configuration errors, 3 when the deployment could not
be read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from crongate.cli import EXIT_CODES_HELP, _write_file, load_project_config, project_options, resolve_target
from crongate.errors import EXIT_GATE_FAILED, EXIT_OK, UsageError
from crongate.secrets import redact, redact_value

logger = logging.getLogger("crongate.migrate")


@click.command(epilog=EXIT_CODES_HELP)
@project_options
@click.option("--apply", "apply_plan_", is_flag=True,
              help="Run the plan against the deployment given by --url. Without it, nothing is written.")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Apply this saved plan as it is, instead of planning from the current findings.")
@click.option("--plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan as JSON, for review and a later `migrate --plan PATH --apply`.")
@click.option("--prune", is_flag=True,
              help="Plan deletes for orphaned rows (rows no cron job declares), through registry.delete_function.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Maximum number of mutations in flight at once.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]),
              help="Lowest severity of a manual item that makes migrate exit 1 (default: error).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Format of the report on stdout.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.option("--summary", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a Markdown summary here (default on GitHub Actions: $GITHUB_STEP_SUMMARY).")
def migrate(project: Path, config_path: Path | None, url: str | None, snapshot: str | None, offline: bool,
            apply_plan_: bool, plan_path: Path | None, plan_out: Path | None, prune: bool, concurrency: int,
            output_format: str, output: Path | None, summary: Path | None, **flags: Any) -> int:
    """Bring the job registry in line with crons.ts: plan (dry run), or apply with --apply."""
    from crongate.plan import load_plan, save_plan

    if plan_path is not None and prune:
        raise UsageError("--prune changes what is planned, but --plan applies a saved plan as it is",
                         hint="make the plan with `crongate migrate --prune --plan-out PATH`, review it, then apply it")
    if plan_path is not None and plan_out is not None:
        raise UsageError("--plan and --plan-out both name a plan file; give one",
                         hint="--plan applies a saved plan, --plan-out saves a new one")

    config = load_project_config(project, config_path, **flags)
    target = resolve_target(config, url, snapshot, offline)
    if target is None:
        raise UsageError("migrate needs a registry to plan against",
                         hint="give --url (with CONVEX_DEPLOY_KEY set) or, for a dry run, --snapshot")
    if apply_plan_ and target.kind != "url":
        raise UsageError("migrate --apply writes to a deployment; give --url",
                         hint=f"the registry is a snapshot ({target.label}), which migrate only plans against")

    result = None
    if plan_path is not None:
        plan = load_plan(plan_path)
        _check_plan_target(plan, target, plan_path)
        _check_plan_functions(plan, plan_path, config, project)
    else:
        from crongate.check import run_check
        from crongate.plan import build_plan

        result = run_check(project, config, target)
        plan = build_plan(result, config, target_label=target.label, prune=prune)
    if plan_out is not None:
        save_plan(plan, plan_out)
        logger.info("saved the plan to %s", plan_out)

    if not apply_plan_:
        if plan_path is not None:
            _ensure_saved_plan_current(plan, plan_path, target, config, project)
        _emit(_render(plan, None, output_format), output)
        _write_summary(summary, plan, None, result, project)
        if plan.blocked:
            logger.warning("the plan has manual items that migrate cannot do; see the report")
        return EXIT_GATE_FAILED if plan.blocked else EXIT_OK

    report = _apply(plan, target, config, project, concurrency, require_current=plan_path is not None)
    _emit(_render(plan, report, output_format), output)
    _write_summary(summary, plan, report, result, project)
    if not report.complete:
        logger.error("%d of %d actions remain on %s; run migrate --apply again after fixing them",
                     len(report.remaining), len(plan.actions), target.label)
        return EXIT_GATE_FAILED
    return EXIT_OK


def _check_plan_target(plan: Any, target: Any, plan_path: Path) -> None:
    """Reject a plan made for another deployment; a plan made from a snapshot may go anywhere."""
    planned = (plan.target or "").rstrip("/")
    if planned.startswith(("http://", "https://")) and target.kind == "url" and planned != target.location:
        raise UsageError(f"plan file {plan_path} was made for {planned}, but this run targets {target.location}",
                         hint=f"pass --url {planned}, or make a new plan for this deployment")
    if not planned.startswith(("http://", "https://")):
        logger.info("plan %s was made from %s; its row digests are checked against %s",
                    plan_path, plan.target or "no registry", target.label)


def _check_plan_functions(plan: Any, plan_path: Path, config: Any, project: Path) -> None:
    """Reject a saved plan that calls a function this app and config would never plan.

    A plan file is plain JSON that anyone with write access to CI artifacts can edit, and
    the row fingerprint does not cover the actions. So each action must call the migration
    that the app's systemJobs.ts has for its key, or one of the functions crongate.yml names.
    """
    from crongate.check import build_manifest
    from crongate.plan import InvalidPlanFile

    manifest = build_manifest(project, config)
    migrations = {migration.function: migration.job_key for migration in manifest.migrations}
    key_field = config.registry.fields.key
    allowed = {
        "enable": config.registry.enable_function,
        "upsert": config.registry.upsert_function,
        "delete": config.registry.delete_function,
    }
    for action in plan.executable_actions:
        if action.kind == "call-migration":
            valid = migrations.get(action.function) == action.key and not action.args
        elif action.kind in ("enable", "delete"):
            valid = action.function == allowed[action.kind] and dict(action.args) == {key_field: action.key}
        else:
            valid = action.function is not None and action.function == allowed.get(action.kind)
        if not valid:
            raise InvalidPlanFile(
                f"plan file {plan_path}: action {action.id} ({action.kind} {action.function} with {dict(action.args)}) "
                "is not one that crongate would plan for this app",
                hint="the plan was edited or made for another app; make a new one with `crongate migrate --plan-out PATH`",
            )


def _ensure_saved_plan_current(plan: Any, plan_path: Path, target: Any, config: Any, project: Path) -> None:
    from crongate.check import build_registry
    from crongate.plan import ensure_current

    source = build_registry(target, config, project)
    try:
        rows = source.read_rows()
    finally:
        _close(source)
    ensure_current(plan, rows, config.registry.fields, source=f"plan file {plan_path}")


def _apply(plan: Any, target: Any, config: Any, project: Path, concurrency: int, *, require_current: bool) -> Any:
    from crongate.apply import apply_plan
    from crongate.check import build_registry

    source = build_registry(target, config, project)
    try:
        with _progress_bar(len(plan.executable_actions)) as progress:
            return apply_plan(plan, source.client, source, concurrency=concurrency, progress=progress,
                              require_current=require_current, fields=config.registry.fields)
    finally:
        _close(source)


def _close(source: Any) -> None:
    client = getattr(source, "client", None)
    if client is not None:
        client.close()


@contextlib.contextmanager
def _progress_bar(length: int) -> Iterator[Any]:
    """Yield a progress callback: a bar on stderr when it is a terminal, else None."""
    if length == 0 or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=length, label="applying", file=sys.stderr) as bar:
        yield lambda _result: bar.update(1)


def _render(plan: Any, report: Any, output_format: str) -> str:
    from crongate.report.plan_text import migrate_json, render_apply_text, render_plan_text

    if output_format == "json":
        return redact(migrate_json(plan, report))
    if report is None:
        return redact(render_plan_text(plan, dry_run=True))
    return redact(render_apply_text(report))


def _emit(text: str, output: Path | None) -> None:
    if output is not None:
        _write_file(output, text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _write_summary(path: Path | None, plan: Any, report: Any, result: Any, project: Path) -> None:
    """Append the Markdown summary: the check's summary with a plan section, or the plan alone."""
    from crongate.report.interface import ReportContext
    from crongate.report.plan_text import plan_markdown
    from crongate.report.summary import SummaryReporter

    if path is None and os.environ.get("GITHUB_ACTIONS") == "true" and os.environ.get("GITHUB_STEP_SUMMARY"):
        path = Path(os.environ["GITHUB_STEP_SUMMARY"])
    if path is None:
        return

    # Markdown escaping can hide a secret from the patterns, so the data is redacted first.
    section = plan_markdown(redact_value(plan), redact_value(report))
    if result is not None:
        text = SummaryReporter(plan_section=section).render(redact_value(result), ReportContext())
    else:
        text = f"## crongate migrate\n\n{section}"
    _write_file(path, redact(text if text.endswith("\n") else text + "\n"), append=True)
