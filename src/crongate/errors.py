"""crongate's exceptions, and the one place that maps them to exit codes.

Every error that the user can cause or fix is a ``CrongateError``. Its message names what
failed, on which file, line or value, and ``hint`` gives the next step. Messages never
contain a secret: deploy keys and webhook URLs are redacted where they enter.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3


class CrongateError(Exception):
    """Base class. ``exit_code`` is the CLI's exit code when this escapes a command."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(CrongateError):
    """Flags or arguments that cannot work together."""


class ConfigError(CrongateError):
    """An invalid ``crongate.yml``: unknown key, wrong type, bad value."""


class ManifestError(CrongateError):
    """An app source file that cannot be read at all (missing, binary, not UTF-8)."""


class SnapshotError(CrongateError):
    """An export snapshot or rows file that cannot be read. It is local input, so exit 2."""


class PlanError(CrongateError):
    """A saved plan that is malformed or no longer matches the registry."""

    exit_code = EXIT_GATE_FAILED


class TargetError(CrongateError):
    """The deployment could not be read: unreachable, timed out, rejected, or a reply that is not Convex's."""

    exit_code = EXIT_TARGET


class TargetUnreachable(TargetError):
    """Connection refused, DNS failure, TLS failure."""


class TargetTimeout(TargetError):
    """A connect or read timeout."""


class AuthRejected(TargetError):
    """HTTP 401: the key is missing or invalid for this deployment."""


class PermissionDenied(TargetError):
    """HTTP 403: the key is valid but may not run this function."""


class FunctionNotFound(TargetError):
    """The deployment has no function at the configured path."""


class FunctionFailed(TargetError):
    """The function ran and threw (``status: "error"``)."""


class ProtocolError(TargetError):
    """A reply that is not what Convex's HTTP API sends: not JSON, wrong shape, too large."""
