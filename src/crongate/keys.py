"""Job keys: how a cron name and a registry row's key or name are tied together.

A cron job matches a row when the row's key equals the cron name, or equals the cron
name slugified, or the row's name equals the cron name, or the config maps one to the
other. The manifest stage (migrations) and the compare stage use the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def slugify(name: str) -> str:
    """Return the kebab-case key for a cron name: ``"AI Proxy Orchestrator"`` -> ``"ai-proxy-orchestrator"``.

    camelCase boundaries split words too (``"trafficSync"`` -> ``"traffic-sync"``), and
    accents are dropped, so the result is plain ASCII.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = _CAMEL_BOUNDARY.sub("-", ascii_name)
    return _NOT_SLUG.sub("-", spaced.lower()).strip("-")


def keys_for_cron_name(name: str, key_map: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the row keys that would tie a row to the cron job ``name``, most specific first."""
    candidates = []
    if key_map and name in key_map:
        candidates.append(key_map[name])
    candidates.append(name)
    candidates.append(slugify(name))
    return tuple(dict.fromkeys(candidates))


def new_row_key(name: str, key_map: Mapping[str, str] | None = None) -> str:
    """Return the job key that a new row for cron job ``name`` gets: the mapped key, else the slug, else the name."""
    return (key_map or {}).get(name) or slugify(name) or name
