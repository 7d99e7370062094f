"""The ``crongate scaffold`` and ``crongate init`` commands.

Register them on the main group with ``cli.add_command(scaffold_command)`` and
``cli.add_command(init_command)``; their command names are ``scaffold`` and ``init``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from crongate.cli import load_project_config
from crongate.errors import EXIT_OK, UsageError
from crongate.manifest.webhooks import redact_webhooks
from crongate.secrets import redact

SCAFFOLD_EXIT_CODES = """\b
Exit codes:
  0  done (or nothing to add)
  2  usage, configuration or manifest error
"""

logger = logging.getLogger("crongate")


@click.command("scaffold", epilog=SCAFFOLD_EXIT_CODES)
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".", required=False)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="crongate.yml to read (default: PROJECT/crongate.yml if present).")
@click.option("--manifest", help="Path of crons.ts relative to PROJECT (default: <functions dir>/crons.ts).")
@click.option("--functions-dir", help="Convex functions directory (default: from convex.json, else convex).")
@click.option("--migrations", help="Path of systemJobs.ts relative to PROJECT (default: <functions dir>/systemJobs.ts).")
@click.option("--write", is_flag=True,
              help="Insert the new functions into the migrations file. Without it, only the diff is printed.")
def scaffold_command(project: Path, config_path: Path | None, manifest: str | None, functions_dir: str | None,
                     migrations: str | None, write: bool) -> int:
    """Generate an add<Name>Job migration for every cron job that has none.

    Prints the change to systemJobs.ts as a unified diff. The functions follow the
    pattern of the migrations already in the file and are added at its end, so no existing
    line changes. Exits 0 whether or not anything was missing.
    """
    from crongate.scaffold import scaffold_project, write_scaffold

    config = load_project_config(project, config_path, manifest=manifest, functions_dir=functions_dir,
                                 migrations=migrations)
    result = scaffold_project(project, config)
    for warning in result.warnings:
        logger.warning("%s", warning)

    if not result.added:
        click.echo(f"crongate: every cron job has a migration in {result.label}; nothing to add", err=True)
        return EXIT_OK

    # A description comes from a comment in crons.ts, which may hold a webhook URL.
    click.echo(redact(redact_webhooks(result.diff)), nl=False)
    names = ", ".join(migration.function for migration in result.added)
    noun = "migration" if len(result.added) == 1 else "migrations"
    if write:
        write_scaffold(result)
        click.echo(f"crongate: added {len(result.added)} {noun} to {result.label}: {names}", err=True)
    else:
        click.echo(f"crongate: {len(result.added)} {noun} to add to {result.label}: {names} "
                   "(run again with --write to add them)", err=True)
    return EXIT_OK


@click.command("init", epilog=SCAFFOLD_EXIT_CODES)
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".", required=False)
@click.option("--force", is_flag=True, help="Replace an existing crongate.yml.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the config instead of writing crongate.yml.")
def init_command(project: Path, force: bool, to_stdout: bool) -> int:
    """Inspect a Convex project and write a commented crongate.yml for it.

    Records the functions directory, crons.ts, the registry file and its list, enable
    and upsert functions, the registry table, and field names that differ from the
    defaults. An existing crongate.yml is kept unless --force is given.
    """
    from crongate.init import inspect_project, render_config, write_config

    if not project.is_dir():
        raise UsageError(f"project directory {project} does not exist",
                         hint="pass the folder that holds convex/ (or convex.json) as PROJECT")
    facts = inspect_project(project)
    for note in facts.notes:
        logger.warning("%s", note)
    text = render_config(facts)

    if to_stdout:
        click.echo(text, nl=False)
        return EXIT_OK
    path = write_config(project, text, force=force)
    click.echo(f"crongate: wrote {path}; review it, then run `crongate check`", err=True)
    return EXIT_OK
