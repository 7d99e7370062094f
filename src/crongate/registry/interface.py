"""The registry interface: one source of registry rows, and the mapping of field names."""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from crongate.model import RegistryRow


@dataclass(frozen=True)
class FieldMap:
    """The registry table's field names, per ``RegistryRow`` attribute.

    The defaults follow the common ``systemJobs`` shape; ``crongate.yml`` may rename any of them.
    """

    key: str = "jobKey"
    name: str = "name"
    description: str = "description"
    category: str = "category"
    schedule: str = "interval"
    enabled: str = "enabled"
    total_runs: str = "totalRuns"
    success_count: str = "successCount"
    error_count: str = "errorCount"
    last_run_at: str = "lastRunAt"
    last_status: str = "lastStatus"
    created_at: str = "createdAt"
    updated_at: str = "updatedAt"

    @classmethod
    def attribute_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


class RegistrySource(abc.ABC):
    """A source of registry rows: a live deployment or an export snapshot."""

    #: The source as shown to the user: a deployment URL or a file path, never a secret.
    label: str

    #: The time the rows describe, in UTC. It is None for a live deployment, which is
    #: judged now. For a snapshot it is the time the snapshot was taken, because stale
    #: and never-run must be judged at that time, not at the time crongate runs.
    taken_at: datetime | None = None

    @abc.abstractmethod
    def read_rows(self) -> list[RegistryRow]:
        """Read every row of the registry.

        Raises ``TargetError`` subclasses for a deployment that cannot be asked, and
        ``SnapshotError`` for a local file that cannot be read.
        """


def row_from_document(document: Mapping[str, Any], field_map: FieldMap) -> RegistryRow:
    """Map one registry document to a ``RegistryRow``, leaving absent or mistyped fields None.

    Raises ValueError, naming the field, when a field has a type no registry would store.
    """
    # NOTE: the caller turns the ValueError into a SnapshotError or ProtocolError that names
    # the source and the document, since only the caller has that context.
    def text(attribute: str) -> str | None:
        value = document.get(getattr(field_map, attribute))
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"field {getattr(field_map, attribute)!r} is {value!r}, expected a string")
        return value

    def number(attribute: str) -> float | None:
        value = document.get(getattr(field_map, attribute))
        if value is None:
            return None
        # Clean JSON sends int64 as a decimal string; accept it.
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"field {getattr(field_map, attribute)!r} is {value!r}, expected a number")
        return value

    def finite(attribute: str, expected: str) -> float | None:
        # NaN and infinities (Convex stores them as {"$float": ...}) are neither counts nor times.
        value = number(attribute)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"field {getattr(field_map, attribute)!r} is {value!r}, expected {expected}")
        return value

    def count(attribute: str) -> int | None:
        value = finite(attribute, "a whole number")
        return None if value is None else int(value)

    def time(attribute: str) -> float | None:
        return finite(attribute, "a time in milliseconds")

    enabled = document.get(field_map.enabled)
    if enabled is not None and not isinstance(enabled, bool):
        raise ValueError(f"field {field_map.enabled!r} is {enabled!r}, expected true or false")

    doc_id = document.get("_id")
    return RegistryRow(
        key=text("key"),
        name=text("name"),
        description=text("description"),
        category=text("category"),
        schedule=document.get(field_map.schedule),
        enabled=enabled,
        total_runs=count("total_runs"),
        success_count=count("success_count"),
        error_count=count("error_count"),
        last_run_at=time("last_run_at"),
        last_status=text("last_status"),
        created_at=time("created_at"),
        updated_at=time("updated_at"),
        doc_id=doc_id if isinstance(doc_id, str) else None,
        raw=dict(document),
    )
