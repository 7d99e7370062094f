"""The catalogue of rules: stable ids, kinds and default severities.

Static rules need only the app's code; live rules need a registry. Config may change a
rule's severity or turn it off, but never its id.
"""

from __future__ import annotations

from dataclasses import dataclass

from crongate.model import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # "static" or "live"
    severity: Severity
    summary: str


_ERROR = Severity.ERROR
_WARNING = Severity.WARNING

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("invalid-schedule", "static", _ERROR, "Convex would reject the schedule at push"),
        Rule("invalid-name", "static", _ERROR, "Convex would reject the cron name"),
        Rule("invalid-target", "static", _ERROR,
             "the target is not a mutation or action that the functions directory exports"),
        Rule("duplicate-name", "static", _ERROR, "a cron name is registered twice"),
        Rule("missing-default-export", "static", _ERROR,
             "crons.ts does not default-export the crons object"),
        Rule("misplaced-crons-file", "static", _ERROR,
             "registrations in a file that Convex never loads"),
        Rule("hardcoded-webhook", "static", _ERROR,
             "a webhook URL written as a literal in the functions directory"),
        Rule("missing-migration", "static", _ERROR,
             "no migration creates the job's row (a warning when a registry was read)"),
        Rule("migration-mismatch", "static", _WARNING,
             "a migration would insert values that differ from crons.ts"),
        Rule("dynamic-registration", "static", _WARNING,
             "a registration that cannot be known without running the code"),
        Rule("schedule-skips-months", "static", _WARNING,
             "a monthly day above 28, which does not fire in every month"),
        Rule("missing-job", "live", _ERROR, "a cron job with no registry row"),
        Rule("orphaned-job", "live", _WARNING, "a registry row with no cron job"),
        Rule("ambiguous-match", "live", _ERROR, "a cron job matches more than one row"),
        Rule("schedule-mismatch", "live", _ERROR, "the row's schedule differs from the cron job's"),
        Rule("job-disabled", "live", _ERROR, "a declared job's row is disabled"),
        Rule("never-run", "live", _WARNING,
             "enabled, created more than two periods ago, and no run recorded"),
        Rule("stale", "live", _ERROR, "the last run is older than the allowed number of periods"),
        Rule("failing", "live", _WARNING,
             "the last run failed, or the error rate is over the threshold"),
    )
}
