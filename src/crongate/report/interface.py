"""The reporter interface: one report format per module, chosen by name.

A reporter turns a ``CheckResult`` into one format and writes it to the stream it is
given. It never prints, never reads the environment and never decides whether colour is
wanted: the CLI puts all of that into a ``ReportContext``.
"""

from __future__ import annotations

import abc
import importlib
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


# Format name -> (module, class), in the order help text shows them. Only the chosen
# format's module is imported, so a text report does not load the XML libraries that the
# JUnit format needs, and a static check starts sooner.
_REPORTERS: dict[str, tuple[str, str]] = {
    "text": ("crongate.report.text", "TextReporter"),
    "json": ("crongate.report.json", "JsonReporter"),
    "junit": ("crongate.report.junit", "JUnitReporter"),
    "github": ("crongate.report.github", "GitHubReporter"),
    "summary": ("crongate.report.summary", "SummaryReporter"),
    "sarif": ("crongate.report.sarif", "SarifReporter"),
}


def reporter_names() -> tuple[str, ...]:
    """Return the format names that ``get_reporter`` accepts, in the order help text shows them."""
    return tuple(_REPORTERS)


def get_reporter(name: str) -> Reporter:
    """Return a reporter for the format ``name``, or raise UsageError listing the known names."""
    if name not in _REPORTERS:
        known = ", ".join(_REPORTERS)
        raise UsageError(
            f"unknown report format {name!r}",
            hint=f"use one of: {known}",
        )

    # Imported here because every format module imports this one for the base class.
    module_name, class_name = _REPORTERS[name]
    reporter_class: type[Reporter] = getattr(importlib.import_module(module_name), class_name)
    return reporter_class()
