"""The command line: flags and config become options, the stages run, the outcome becomes an exit code.

Exit codes (also in ``crongate --help`` and the README):

  0  in sync, or only findings below --fail-on
  1  findings at or above --fail-on (the gate failed), or a migrate that left work undone
  2  usage, configuration or manifest error: the gate could not judge
  3  target error: unreachable, timed out, auth rejected, protocol error, function not found
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from crongate import __version__
from crongate.errors import EXIT_GATE_FAILED, EXIT_OK, EXIT_USAGE, ConfigError, CrongateError, UsageError
from crongate.secrets import RedactingFilter, RedactingFormatter, redact, redact_value, register_secret

logger = logging.getLogger("crongate")

EXIT_CODES_HELP = """\b
Exit codes:
  0  in sync, or only findings below --fail-on
  1  findings at or above --fail-on (the gate failed), or a migrate that left work undone
  2  usage, configuration or manifest error: the gate could not judge
  3  target error: unreachable, timed out, auth rejected, protocol error, function not found
"""

EXIT_INTERRUPTED = 130  # the shell's code for a process ended by SIGINT
KEY_VARIABLES = ("CONVEX_DEPLOY_KEY", "CONVEX_DEPLOYMENT_TOKEN", "CONVEX_SELF_HOSTED_ADMIN_KEY")
URL_VARIABLES = ("CONVEX_URL", "CONVEX_SELF_HOSTED_URL")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with crongate's exit code; the console script's entry point."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code instead of exiting. This is the one place errors become codes."""
    try:
        result = cli.main(args=argv, prog_name="crongate", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        # click turns Ctrl-C into Abort. Every write crongate makes is idempotent, so a rerun is safe.
        click.echo("crongate: interrupted; nothing more was sent. A `migrate --apply` that was running may have "
                   "applied some actions: run it again, or run `crongate check`, to see where the registry stands",
                   err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except CrongateError as error:
        logger.debug("command failed", exc_info=True)
        click.echo(_without_commands(redact(f"crongate: error: {error}")), err=True)
        return error.exit_code
    except KeyboardInterrupt:
        click.echo("crongate: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
        logger.debug("internal error", exc_info=True)
        click.echo(
            _without_commands(redact(f"crongate: internal error: {type(error).__name__}: {error}\n"
                                     "  hint: run again with -vv for details, and report it with the output")),
            err=True,
        )
        return EXIT_USAGE
    return result if isinstance(result, int) else EXIT_OK


def _without_commands(text: str) -> str:
    """Return stderr text that the GitHub runner cannot read as a workflow command.

    The runner reads commands from every line of stderr as well as stdout, and an error
    or log message can quote a deployment's error text, line breaks included. On GitHub
    Actions, text of more than one line therefore goes inside a stop-commands block. One
    line needs none, because every message starts with "crongate:".
    """
    if os.environ.get("GITHUB_ACTIONS") != "true" or "\n" not in text.strip("\n"):
        return text

    from crongate.report.github import stop_commands

    return stop_commands(text).rstrip("\n")


class _LogFormatter(RedactingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return _without_commands(super().format(record))


def _configure_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter("crongate: %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.handlers[:] = [handler]
    logger.setLevel(max(logging.DEBUG, min(level, logging.CRITICAL)))
    logger.propagate = False


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crongate")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less log output on stderr.")
def cli(verbose: int, quiet: int) -> None:
    """Keep Convex cron jobs (convex/crons.ts) and their job registry in sync, in CI."""
    _configure_logging(verbose, quiet)


# -- shared options -------------------------------------------------------------------------


def project_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``function`` with the options that locate the app and its registry."""
    options = [
        click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".", required=False),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="crongate.yml to read (default: PROJECT/crongate.yml if present)."),
        click.option("--manifest", help="Path of crons.ts relative to PROJECT (default: <functions dir>/crons.ts)."),
        click.option("--functions-dir", help="Convex functions directory (default: from convex.json, else convex)."),
        click.option("--migrations", help="Path of systemJobs.ts relative to PROJECT."),
        click.option("--url", help="Deployment URL to read the registry from (default: registry.url or registry.snapshot in "
                                   "crongate.yml, else $CONVEX_URL or $CONVEX_SELF_HOSTED_URL). "
                                   "The key comes from $CONVEX_DEPLOY_KEY or $CONVEX_SELF_HOSTED_ADMIN_KEY."),
        click.option("--snapshot", help="Read the registry from an export ZIP, or a JSON or JSONL file of rows."),
        click.option("--offline", is_flag=True, help="Read no registry: run the static checks only."),
        click.option("--list-function", help="Registry query to call (default: systemJobs:listAll)."),
        click.option("--page-function", help="Paginated registry query to call instead (paginationOpts in, pages out)."),
        click.option("--table", help="Registry table name in a snapshot (default: systemJobs)."),
        click.option("--timeout", type=click.FloatRange(min=0.1, max=600), help="Seconds to wait for each HTTP call (default: 10)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def report_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--fail-on", type=click.Choice(["error", "warning", "never"]),
                     help="Lowest severity that fails the gate (default: error)."),
        click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="Format of the report on stdout."),
        click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the --format report to this file instead of stdout."),
        click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Also write a JUnit XML report here."),
        click.option("--junit-strict", is_flag=True, help="Leave out JUnit attributes outside the Jenkins schema (file, line)."),
        click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here."),
        click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path), help="Also write a SARIF 2.1.0 report here."),
        click.option("--summary", type=click.Path(dir_okay=False, path_type=Path),
                     help="Append a Markdown summary here (default on GitHub Actions: $GITHUB_STEP_SUMMARY)."),
        click.option("--annotations/--no-annotations", default=None,
                     help="Print GitHub workflow annotations (default: on when $GITHUB_ACTIONS is true)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@dataclass(frozen=True)
class ReportOptions:
    output_format: str
    output: Path | None
    junit: Path | None
    junit_strict: bool
    json_path: Path | None
    sarif: Path | None
    summary: Path | None
    annotations: bool | None


def load_project_config(project: Path, config_path: Path | None, **flags: Any) -> Any:
    """Read crongate.yml (if any) and lay the CLI flags over it."""
    from dataclasses import replace

    from crongate.config import FAIL_ON_VALUES, Config, find_config, load_config

    if not project.is_dir():
        raise UsageError(f"project directory {project} does not exist",
                         hint="pass the folder that holds convex/ (or crongate.yml) as PROJECT")
    path = config_path or find_config(project)
    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist", hint="check the path given to --config")
    config = load_config(path) if path else Config()
    if path:
        logger.info("read config from %s", path)

    registry_changes = {
        key: value for key, value in (
            ("list_function", flags.get("list_function")),
            ("page_function", flags.get("page_function")),
            ("table", flags.get("table")),
            ("timeout", flags.get("timeout")),
        ) if value is not None
    }
    if registry_changes:
        config = replace(config, registry=replace(config.registry, **registry_changes))
    config = config.with_overrides(
        manifest=flags.get("manifest"),
        functions_dir=flags.get("functions_dir"),
        migrations=flags.get("migrations"),
    )
    if flags.get("fail_on") is not None:
        config = replace(config, fail_on=FAIL_ON_VALUES[flags["fail_on"]])
    return config


def resolve_target(config: Any, url: str | None, snapshot: str | None, offline: bool) -> Any:
    """Pick the registry to read: flags first, then crongate.yml, then the environment.

    The committed config beats ambient environment variables, so a project that names a
    snapshot is not switched to a live deployment by a CONVEX_URL set for its frontend.
    """
    from crongate.check import Target

    if sum(x is not None and x is not False for x in (url, snapshot, offline or None)) > 1:
        raise UsageError("--url, --snapshot and --offline choose the registry to read; give at most one")
    for flag, value in (("--url", url), ("--snapshot", snapshot)):
        if value is not None and not value.strip():
            # Usually `--url "$CONVEX_URL"` with the variable unset: passing would skip the registry silently.
            raise UsageError(f"{flag} is empty", hint=f"check the variable that fills {flag}, or leave the flag out")
    key = read_deploy_key()
    if offline:
        return None
    if snapshot:
        # A path on the command line is relative to the current directory, like every other path flag.
        return Target("snapshot", str(Path(snapshot).resolve()))
    if url:
        return Target("url", _checked_url(url, "--url"), key)
    if config.registry.url:
        return Target("url", _checked_url(config.registry.url, "registry.url in crongate.yml"), key)
    if config.registry.snapshot:
        return Target("snapshot", config.registry.snapshot)
    for name in URL_VARIABLES:
        if os.environ.get(name):
            return Target("url", _checked_url(os.environ[name], f"${name}"), key)
    if key:
        raise UsageError(
            "a deploy key is set but no deployment URL",
            hint="set --url or CONVEX_URL to the deployment's URL (https://<name>.convex.cloud); "
                 "crongate does not guess it from the key, because EU and custom domains differ",
        )
    return None


def read_deploy_key() -> str | None:
    """Return the deploy key from the environment, registered as a secret before anything can print it.

    Surrounding whitespace is dropped, because a secret pasted into a CI store often ends in a
    newline. A key with control or non-ASCII characters inside is rejected without echoing it.
    """
    for name in KEY_VARIABLES:
        raw = os.environ.get(name)
        if not raw:
            continue
        register_secret(raw)
        key = raw.strip()
        register_secret(key)
        if not key:
            continue
        if not key.isascii() or not key.isprintable():
            raise UsageError(f"${name} contains control or non-ASCII characters, so it cannot be a Convex key",
                             hint=f"copy the key again into {name}; the value is not shown here")
        return key
    return None


def _checked_url(url: str, origin: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{origin} is {url!r}, which is not an http(s) URL",
                         hint="use the deployment URL, e.g. https://happy-animal-123.convex.cloud")
    if url.rstrip("/").endswith(".convex.site"):
        raise UsageError(f"{origin} is {url!r}, which serves HTTP actions, not the functions API",
                         hint="use the .convex.cloud URL of the same deployment")
    return url.rstrip("/")


def write_reports(result: Any, options: ReportOptions, root: Path) -> None:
    """Write every requested report; each is rendered whole, redacted, then written."""
    from crongate.report.interface import ReportContext, get_reporter

    # Redacted before rendering as well as after: escaping can hide a secret from the patterns.
    result = redact_value(result)

    on_github = os.environ.get("GITHUB_ACTIONS") == "true"
    stdout_is_tty = options.output is None and sys.stdout.isatty()
    context = ReportContext(
        color=stdout_is_tty and options.output_format == "text" and "NO_COLOR" not in os.environ,
        junit_strict=options.junit_strict,
        commit=os.environ.get("GITHUB_SHA"),
        repository_url=_repository_url(),
        workdir_prefix=_workdir_prefix(root),
        now=None if result.judged_at is None else result.judged_at.timestamp() * 1000,
    )

    def render(name: str) -> str:
        buffer = io.StringIO()
        get_reporter(name).write(result, buffer, context)
        return redact(buffer.getvalue())

    main_report = render(options.output_format)
    if options.output is not None:
        _write_file(options.output, main_report)
    elif on_github and options.output_format == "text":
        # The runner would run a workflow command hidden in a cron name or a row's text.
        # JSON needs no block, because it escapes line breaks and so no line starts with "::".
        from crongate.report.github import stop_commands

        sys.stdout.write(stop_commands(main_report))
    else:
        sys.stdout.write(main_report)
    for path, name in ((options.junit, "junit"), (options.json_path, "json"), (options.sarif, "sarif")):
        if path is not None:
            _write_file(path, render(name))
            logger.info("wrote the %s report to %s", name, path)

    summary_path = options.summary
    if summary_path is None and on_github and os.environ.get("GITHUB_STEP_SUMMARY"):
        summary_path = Path(os.environ["GITHUB_STEP_SUMMARY"])
    if summary_path is not None:
        _write_file(summary_path, render("summary"), append=True)

    if options.annotations or (options.annotations is None and on_github):
        sys.stdout.write(render("github"))
    sys.stdout.flush()


def _write_file(path: Path, text: str, *, append: bool = False) -> None:
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a" if append else "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(f"cannot write report file {path}: {error.strerror}",
                         hint="check that the folder exists and is writable") from None


def _repository_url() -> str | None:
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and repository:
        return f"{server.rstrip('/')}/{repository}"
    return None


def _workdir_prefix(root: Path) -> str:
    """Return the project's path inside the GitHub workspace ("" at its top), for annotation paths."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        relative = root.resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if str(relative) == "." else relative.as_posix() + "/"


# -- commands ------------------------------------------------------------------------------


@cli.command(epilog=EXIT_CODES_HELP)
@project_options
@report_options
@click.option("--pre-deploy", is_flag=True,
              help="Report drift that `migrate` fixes after the deploy (a missing row whose migration exists, a "
                   "disabled row that the enable function turns on) as pending, and do not fail on it.")
@click.option("--plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan that would fix the drift, for `crongate migrate --plan`.")
def check(project: Path, config_path: Path | None, url: str | None, snapshot: str | None, offline: bool,
          pre_deploy: bool, plan_out: Path | None, **flags: Any) -> int:
    """Compare crons.ts with the job registry and fail on drift.

    With no registry configured, only the static checks run.
    """
    from crongate.check import run_check

    report = _report_options(flags)
    config = load_project_config(project, config_path, **flags)
    target = resolve_target(config, url, snapshot, offline)

    result = run_check(project, config, target, pre_deploy=pre_deploy)
    if target is None:
        logger.warning("no registry read: static checks only (set --url, CONVEX_URL or --snapshot to compare with one)")
    if plan_out is not None:
        _save_plan(result, config, plan_out, target)
    write_reports(result, report, project)
    return EXIT_GATE_FAILED if result.failed else EXIT_OK


def _save_plan(result: Any, config: Any, path: Path, target: Any) -> None:
    from crongate.plan import build_plan, save_plan

    plan = build_plan(result, config, target_label=None if target is None else target.label)
    save_plan(plan, path)


def _report_options(flags: dict[str, Any]) -> ReportOptions:
    return ReportOptions(
        output_format=flags.pop("output_format"),
        output=flags.pop("output"),
        junit=flags.pop("junit"),
        junit_strict=flags.pop("junit_strict"),
        json_path=flags.pop("json_path"),
        sarif=flags.pop("sarif"),
        summary=flags.pop("summary"),
        annotations=flags.pop("annotations"),
    )


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=Path("convex/crons.ts"), required=False)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def manifest(path: Path, output_format: str) -> int:
    """Print what the reader finds in one crons.ts: jobs and static findings.

    The JSON form has the shape of the manifest test cases, so any file can be checked
    against an expected reading. Exits 0 whatever it finds, 2 if the file cannot be read.
    """
    from crongate.manifest.crons import read_crons_file

    root = Path.cwd()
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        root = path.resolve().parent
    reading = read_crons_file(path, root)
    if output_format == "json":
        document = {
            "jobs": [job.to_case() for job in reading.jobs],
            "findings": [
                {"rule": f.rule, "line": f.location.line if f.location else None, "severity": f.severity.value,
                 "job": f.job, "message": f.message, "hint": f.hint}
                for f in reading.findings
            ],
        }
        click.echo(redact(json.dumps(document, indent=2, ensure_ascii=False)))
        return EXIT_OK

    lines = [f"{path}: {len(reading.jobs)} cron jobs"]
    for job in reading.jobs:
        condition = f"  (if {job.condition})" if job.condition else ""
        lines.append(f"  line {job.location.line}: {job.kind} {job.name!r} -> {job.function}{condition}")
    for finding in reading.findings:
        where = f"line {finding.location.line}" if finding.location and finding.location.line else "file"
        lines.append(f"  {where}: {finding.severity.value} {finding.rule}: {finding.message}")
    click.echo(redact("\n".join(lines)))
    return EXIT_OK


# Commands defined in their own modules. They import helpers from this module, so they are
# registered after everything above exists.
from crongate.cli_migrate import migrate  # noqa: E402
from crongate.cli_scaffold import init_command, scaffold_command  # noqa: E402

cli.add_command(migrate)
cli.add_command(scaffold_command)
cli.add_command(init_command)
