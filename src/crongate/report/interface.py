"""The reporter interface: one report format per module, chosen by name.

A reporter turns a ``CheckResult`` into one format and writes it to the stream it is
given. It never prints, never reads the environment and never decides whether colour is
wanted: the CLI puts all of that into a ``ReportContext``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TextIO

from crongate.errors import UsageError
from crongate.model import CheckResult


@dataclass(frozen=True)
class ReportContext:
    """The settings a reporter takes from the CLI and the CI environment.

    ``workdir_prefix`` is the path of the project inside the repository (``"apps/web"``),
    prefixed to file paths in annotations, links, JUnit ``file`` attributes and SARIF.
    ``now`` is the current time in milliseconds since the Unix epoch, for "last run 3 hours
    ago"; None means the clock at the moment of writing.
    """

    color: bool = False  # the CLI decides: a TTY and no NO_COLOR
    junit_strict: bool = False
    commit: str | None = None  # GITHUB_SHA
    repository_url: str | None = None  # GITHUB_SERVER_URL + "/" + GITHUB_REPOSITORY
    workdir_prefix: str = ""
    max_annotations_per_severity: int = 10
    now: float | None = None


class Reporter(abc.ABC):
    """One report format."""

    #: The name that ``--format`` takes.
    name: str

    @abc.abstractmethod
    def write(self, result: CheckResult, stream: TextIO, context: ReportContext) -> None:
        """Write the report for ``result`` to ``stream``."""


def reporter_names() -> tuple[str, ...]:
    """Return the format names that ``get_reporter`` accepts, in the order help text shows them."""
    return tuple(_reporter_classes())


def get_reporter(name: str) -> Reporter:
    """Return a reporter for the format ``name``, or raise UsageError listing the known names."""
    classes = _reporter_classes()
    if name not in classes:
        known = ", ".join(classes)
        raise UsageError(
            f"unknown report format {name!r}",
            hint=f"use one of: {known}",
        )
    return classes[name]()


def _reporter_classes() -> dict[str, type[Reporter]]:
    # Imported here because every format module imports this one for the base class.
    from crongate.report.github import GitHubReporter
    from crongate.report.json import JsonReporter
    from crongate.report.junit import JUnitReporter
    from crongate.report.sarif import SarifReporter
    from crongate.report.summary import SummaryReporter
    from crongate.report.text import TextReporter

    classes: tuple[type[Reporter], ...] = (
        TextReporter,
        JsonReporter,
        JUnitReporter,
        GitHubReporter,
        SummaryReporter,
        SarifReporter,
    )
    return {cls.name: cls for cls in classes}
