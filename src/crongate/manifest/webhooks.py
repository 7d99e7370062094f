"""Webhook URLs: recognise Discord and Slack webhooks, and redact them from any text.

A webhook URL is a credential, because anyone who has it can post to the channel. crongate reports a
webhook written as a literal in the functions directory (``hardcoded-webhook``) and shows
only the URL's public prefix, so the secret part never reaches a finding, log or report.

Recognised forms (the id and token after the prefix are the secret part):

- Discord: ``https://discord.com/api/webhooks/<id>/<token>``, also on ``discordapp.com``,
  the ``ptb.`` and ``canary.`` hosts, and versioned paths (``/api/v10/webhooks/``).
- Slack: ``https://hooks.slack.com/services/...``, ``/workflows/...`` and ``/triggers/...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REDACTED_TAIL = "…(redacted)"

_DISCORD_PREFIX = r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/"
_SLACK_PREFIX = r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/"

# The secret part runs to the end of the URL: anything but whitespace, quotes, brackets and
# the NUL that stands for a template substitution (see ``find_webhooks``). It cannot start
# with "…", so redacting a text twice leaves it as it was.
_TAIL = r"(?!…)[^\s\"'`<>()\[\]{}\\\x00]+"

_WEBHOOK = re.compile(
    rf"(?P<prefix>(?P<discord>{_DISCORD_PREFIX})|(?P<slack>{_SLACK_PREFIX})){_TAIL}",
    re.IGNORECASE,
)

# Stands for a `${...}` substitution in a template literal. It is not part of ``_TAIL``,
# so a URL whose id is only interpolated (`.../webhooks/${id}/${token}`) is not a match:
# the secret is not written in the code.
SUBSTITUTION = "\x00"


@dataclass(frozen=True)
class WebhookMatch:
    """One webhook URL found in a text, described without its secret part."""

    service: str  # "Discord" or "Slack"
    redacted: str  # the public prefix followed by REDACTED_TAIL
    offset: int  # index of the URL's first character in the scanned text


def find_webhooks(text: str) -> list[WebhookMatch]:
    """Return the webhook URLs in ``text``, each with at least one literal character after its prefix."""
    matches = []
    for match in _WEBHOOK.finditer(text):
        service = "Discord" if match.group("discord") else "Slack"
        matches.append(WebhookMatch(service, match.group("prefix") + REDACTED_TAIL, match.start()))
    return matches


def redact_webhooks(text: str) -> str:
    """Return ``text`` with the secret part of every webhook URL replaced by ``…(redacted)``."""
    return _WEBHOOK.sub(lambda match: match.group("prefix") + REDACTED_TAIL, text)
