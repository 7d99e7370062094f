"""Redaction of secrets in text, log records and report data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crongate.model import Finding, Location, Severity
from crongate.secrets import forget_secrets, redact, redact_value, register_secret

KEY = "prod:happy-animal-123|c2VjcmV0LXRva2VuLWZvci10ZXN0cw"
WEBHOOK = "https://discord.com/api/webhooks/123456/TOKEN_with_underscores"


@pytest.fixture(autouse=True)
def registered_key() -> Iterator[None]:
    register_secret(KEY)
    yield
    forget_secrets()


def test_key_and_secret_part_redacted() -> None:
    assert redact(f"sent {KEY}") == "sent ***"
    assert "c2VjcmV0" not in redact("token c2VjcmV0LXRva2VuLWZvci10ZXN0cw only")


def test_webhook_redacted_in_text() -> None:
    assert "TOKEN_with" not in redact(f"posting to {WEBHOOK}")


def test_value_without_secret_is_same_object() -> None:
    finding = Finding("stale", Severity.ERROR, "stale job", job="sync", location=Location("convex/crons.ts", 3))
    assert redact_value(finding) is finding


def test_nested_finding_redacted() -> None:
    finding = Finding("missing-job", Severity.ERROR, f"job {WEBHOOK} has no row", job=WEBHOOK)
    cleaned = redact_value((finding,))[0]
    assert "TOKEN_with" not in cleaned.message
    assert "TOKEN_with" not in cleaned.job
    assert cleaned.severity is Severity.ERROR


def test_mapping_keys_and_values_redacted() -> None:
    cleaned = redact_value({WEBHOOK: [KEY]})
    assert list(cleaned) == [redact(WEBHOOK)]
    assert cleaned[redact(WEBHOOK)] == ["***"]
