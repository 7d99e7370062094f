"""Keeping secrets out of every output.

A deploy key enters crongate in one place (the CLI reads it from the environment) and is
registered here at once. The logging filter and the reporters' last step pass text through
``redact``, so a key that a server echoes back, or that an exception carries, is replaced
before it can be written anywhere.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from collections.abc import Mapping
from typing import Any

from crongate.manifest.webhooks import redact_webhooks

REDACTED = "***"
_MIN_SECRET_LENGTH = 6  # shorter strings would redact ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret, and the parts of a Convex key that are secret on their own."""
    if not value:
        return
    parts = {value}
    # "prod:name|token", "preview:team:project|token": the token after "|" is the secret
    # part, and a key may also be sent as "token:base64(identity)".
    if "|" in value:
        parts.add(value.split("|", 1)[1])
    with _lock:
        _secrets.update(part for part in parts if len(part) >= _MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***`` and webhook URLs cut short.

    Webhook URLs are not registered, because they can come from anywhere: an app's source,
    or an error message that a deployment sends back. Each is recognised by its form.
    """
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return redact_webhooks(text)


def forget_secrets() -> None:
    """Drop every registered secret (tests run many commands in one process)."""
    with _lock:
        _secrets.clear()


class RedactingFilter(logging.Filter):
    """A logging filter that redacts registered secrets from each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.exc_info:
            record.msg = cleaned
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter that redacts registered secrets from the whole formatted record.

    The filter above cleans the message only. At debug level a record also carries a
    traceback, whose exception text may quote a value a server sent, so the final text is
    redacted as well.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))



def redact_value(value: Any) -> Any:
    """Return ``value`` with ``redact`` applied to every string inside it, at any depth.

    Reporters escape text for their format (``:`` becomes ``%3A`` in a GitHub annotation,
    ``_`` becomes ``\\_`` in Markdown), and an escaped secret no longer matches the patterns
    that find it. So the data is redacted before any reporter renders it. Frozen dataclasses
    are rebuilt with ``dataclasses.replace``; other objects are returned as they are. A value
    with nothing to redact is returned itself, so the common case copies nothing.
    """
    if isinstance(value, enum.Enum):
        return value  # a str-valued enum such as Severity must stay an enum
    if isinstance(value, str):
        cleaned = redact(value)
        return value if cleaned == value else cleaned
    if isinstance(value, (list, tuple)):
        items = [redact_value(item) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return type(value)(items) if isinstance(value, list) or type(value) is tuple else value
    if isinstance(value, Mapping):
        pairs = [(redact_value(key), redact_value(item), key, item) for key, item in value.items()]
        if all(new_key is key and new_item is item for new_key, new_item, key, item in pairs):
            return value
        return {new_key: new_item for new_key, new_item, _, _ in pairs}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            current = getattr(value, field.name)
            cleaned = redact_value(current)
            if cleaned is not current:
                changes[field.name] = cleaned
        return dataclasses.replace(value, **changes) if changes else value
    return value
