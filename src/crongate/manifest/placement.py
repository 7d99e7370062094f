"""The ``misplaced-crons-file`` rule: cron registrations that Convex never loads.

Convex reads cron jobs from one module only, the default export of
``<functionsDir>/crons.ts``. A registration elsewhere counts only when crons.ts reaches
it: crons.ts imports the module (directly or through other modules) and uses what it
imports, and the registration is made on an object that ends up in crons.ts's default
export. That is the case for a helper that takes the crons object as a ``Crons``
parameter, for a module that registers on the object imported from crons.ts, and for a
module that exports its own ``cronJobs()`` object to crons.ts.

"Uses what it imports" means that crons.ts references an imported name, not that the
crons object flows into it. A helper parameter counts as a crons object only with a
``Crons`` type annotation.

NOTE: a module that crons.ts imports and that registers at its top level on the object
imported from crons.ts is accepted, although the import cycle runs it before crons.ts has
created that object, so the push may fail instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from crongate.manifest.scan import ModuleFacts, Registration, resolve_specifier
from crongate.model import Finding, Location
from crongate.rules import RULES


def reachable_modules(crons_file: Path, facts: Mapping[Path, ModuleFacts]) -> set[Path]:
    """Return the modules whose code runs, and whose imports are used, when crons.ts is loaded."""
    reached = {crons_file}
    queue = [crons_file]
    while queue:
        module = queue.pop()
        module_facts = facts.get(module)
        if module_facts is None:
            continue
        for edge in module_facts.imports:
            if not edge.used:
                continue
            target = resolve_specifier(module, edge.specifier)
            if target is not None and target in facts and target not in reached:
                reached.add(target)
                queue.append(target)
    return reached


def misplaced_findings(
    crons_file: Path, facts: Mapping[Path, ModuleFacts], root: Path, crons_label: str
) -> list[Finding]:
    """Return a ``misplaced-crons-file`` finding per registration that crons.ts does not reach.

    ``crons_label`` is crons.ts's path as the user should read it (relative to the root).
    """
    reached = reachable_modules(crons_file, facts)
    findings = []
    for module in sorted(facts):
        if module == crons_file:
            continue
        for registration in facts[module].registrations:
            reason = _why_lost(registration, module in reached, crons_label)
            if reason is None:
                continue
            findings.append(_finding(registration, _relative(module, root), crons_label, reason))
    return findings


def _why_lost(registration: Registration, reached: bool, crons_label: str) -> str | None:
    """Return why Convex would never see ``registration``, or None when it would."""
    if not reached:
        return f"{crons_label} does not import and use this module"
    if registration.receiver == "local" and not registration.receiver_exported:
        # crons.ts runs this module, but the cronJobs() object made here never leaves it.
        return "the cronJobs() object it is registered on is never exported"
    return None


def _finding(registration: Registration, file: str, crons_label: str, reason: str) -> Finding:
    what = f"cron job {registration.name!r}" if registration.name is not None else "a cron job"
    message = (
        f"{what} is registered with crons.{registration.method}() in {file}, but Convex loads "
        f"cron jobs only from the default export of {crons_label} ({reason})"
    )
    hint = (
        f"move the registration to {crons_label}, or register it from there: export a function "
        f"that takes the crons object (`(crons: Crons) => ...`) and call it in {crons_label}"
    )
    return Finding(
        rule="misplaced-crons-file",
        severity=RULES["misplaced-crons-file"].severity,
        message=message,
        job=None,
        location=Location(file, registration.line),
        hint=hint,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
