"""The audit trail's actions: record an event, verify the chain, purge, export."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_security import naive_utcnow

from ..core import actions, dates, policy
from ..core.spreadsheet import neutralize
from ..extensions import db
from ..settings import setting
from . import chain, recorder
from .query import EventFilter, iterate


def record(
    action: str,
    *,
    actor: Any = None,
    subject: Any = None,
    details: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> None:
    """Record an event; it commits with the current transaction (or at the request's end)."""
    if actions.find(action) is None:
        # Still recorded: losing a security event is worse than an unlabelled one.
        warnings.warn(f"audit action {action!r} is not declared", UndeclaredActionWarning, 2)
    values = recorder.build(
        action, actor=actor, subject=subject, details=details, created_at=created_at
    )
    recorder.queue(db.session(), values)


class UndeclaredActionWarning(UserWarning):
    """An event was recorded under an action no feature declared in core.actions."""


def verify() -> chain.VerifyResult:
    """Check the whole chain, oldest first."""
    result = chain.verify(db.session())
    db.session.rollback()
    return result


def purge(
    retention: Any = None,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
    actor: Any = None,
) -> int:
    """Delete events older than the retention (CONSOLE_AUDIT_RETENTION) in batches.

    Each batch commits with its new anchor, so an interrupted purge can simply run again.
    Returns how many events were deleted; the purge itself is recorded.
    """
    if retention is None:
        retention = setting("CONSOLE_AUDIT_RETENTION")
    cutoff = naive_utcnow() - retention
    total = 0
    while True:
        deleted = chain.purge_batch(db.session(), cutoff, batch)
        db.session.commit()
        if not deleted:
            break
        total += deleted
        if progress:
            progress(deleted)
    if total:
        record(
            "audit.purged", actor=actor, details={"deleted": total, "before": cutoff.isoformat()}
        )
        db.session.commit()
    return total


def purge_candidates(retention: Any = None) -> int:
    """How many events a purge would delete now (for a progress bar)."""
    if retention is None:
        retention = setting("CONSOLE_AUDIT_RETENTION")
    cutoff = naive_utcnow() - retention
    return chain.count_before(db.session(), cutoff)


def record_export(actor: Any, kind: str, event_filter: EventFilter) -> None:
    """An export is itself an event; it commits before the first row is sent."""
    record("audit.exported", actor=actor, details={"format": kind, **event_filter.as_args()})
    db.session.commit()


EXPORT_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor_id",
    "actor_email",
    "subject_id",
    "subject_email",
    "ip",
    "user_agent",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


def _row(event: Any) -> dict[str, Any]:
    return {
        name: (
            dates.iso_utc(event.created_at, precise=True)
            if name == "created_at"
            else getattr(event, name)
        )
        for name in EXPORT_COLUMNS
    }


# Events read per keyset query of an export: one chunk of output each, so an export of the
# whole trail holds one batch in memory at a time.
EXPORT_BATCH = 1000


def export_csv(event_filter: EventFilter) -> Iterator[str]:
    """The matching events as CSV, newest first, a chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for batch in iterate(event_filter, EXPORT_BATCH):
        for event in batch:
            writer.writerow([neutralize(v) for v in _row(event).values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_jsonl(event_filter: EventFilter) -> Iterator[str]:
    """The matching events as JSON Lines, newest first; details stay structured."""
    for batch in iterate(event_filter, EXPORT_BATCH):
        lines = []
        for event in batch:
            row = _row(event)
            row["details"] = json.loads(row["details"] or "{}")
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        yield "".join(lines)


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its media types (the first is the usual one, the others names
    clients also ask for), its file name and the producer of its text."""

    media_types: tuple[str, ...]
    filename: str
    produce: Callable[[EventFilter], Iterator[str]]


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat(("text/csv",), "audit.csv", export_csv),
    "jsonl": ExportFormat(
        ("application/jsonl", "application/x-ndjson"), "audit.jsonl", export_jsonl
    ),
}


def export(actor: Any, kind: str, event_filter: EventFilter) -> Iterator[str]:
    """The events `event_filter` matches as `kind` (a key of EXPORT_FORMATS), for an actor
    who may read the trail; the export is recorded and committed before the first row."""
    policy.require(actor, "audit:read")
    record_export(actor, kind, event_filter)
    return EXPORT_FORMATS[kind].produce(event_filter)
