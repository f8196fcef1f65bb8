"""The audit trail's actions: record an event, verify the chain, checkpoint it, purge, export."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_security import naive_utcnow

from ..core import actions, dates, policy, signals
from ..core.spreadsheet import neutralize
from ..extensions import db
from ..settings import setting
from . import chain, checkpoints, keys, recorder
from .query import EventFilter, iterate

# Every checkpoint is logged here at INFO, as one JSON object: route it to a log store the
# database's writers cannot change.
checkpoint_log = logging.getLogger("console.audit.checkpoint")


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
    # The request's context (an impersonating operator, a provisioning client) goes with
    # every event, whichever signal reported it.
    details = {**signals.context(), **(details or {})}
    values = recorder.build(
        action, actor=actor, subject=subject, details=details, created_at=created_at
    )
    recorder.queue(db.session(), values)


class UndeclaredActionWarning(UserWarning):
    """An event was recorded under an action no feature declared in core.actions."""


def verify(checkpoint_file: str | Path | None = None) -> chain.VerifyResult:
    """Check the whole chain, oldest first, then its position against the newest checkpoint
    of `checkpoint_file` (default CONSOLE_AUDIT_CHECKPOINT_FILE, when it exists).

    A CheckpointError says the file could not be read.
    """
    if checkpoint_file is None:
        configured = setting("CONSOLE_AUDIT_CHECKPOINT_FILE")
        checkpoint_file = configured if configured and Path(configured).exists() else None
    ring = keys.keyring()
    session = db.session()
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        # One snapshot for the head and every event, while writers go on appending.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        result = chain.verify(session, ring)
        newest = checkpoints.newest_in(checkpoint_file) if checkpoint_file else None
        if result.ok and newest is not None:
            broken = checkpoints.check(session, ring, newest)
            result = dataclasses.replace(result, broken=broken, checkpoint=newest)
    finally:
        session.rollback()
    return result


def checkpoint(now: datetime | None = None) -> dict[str, Any]:
    """Write a signed checkpoint of the chain now: to the logger console.audit.checkpoint
    and, when set, appended to CONSOLE_AUDIT_CHECKPOINT_FILE; returns it."""
    session = db.session()
    try:
        made = checkpoints.make(session, keys.keyring(), now or naive_utcnow())
    finally:
        # Only a reading: the chain lock taken for it ends here.
        session.rollback()
    path = setting("CONSOLE_AUDIT_CHECKPOINT_FILE")
    if path:
        checkpoints.append_to(path, made)
    checkpoint_log.info(checkpoints.line(made).rstrip("\n"))
    return made


def checkpoint_periodically() -> None:
    """The workers' checkpoint every 15 minutes; a chain that cannot be checkpointed is
    logged as an error (and `audit verify` says why)."""
    try:
        checkpoint()
    except checkpoints.CheckpointError as error:
        checkpoint_log.error("no audit checkpoint written: %s", error)


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
        deleted = chain.purge_batch(db.session(), cutoff, batch, keys.keyring())
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


def purge_expired() -> int:
    """The workers' nightly purge: events older than CONSOLE_AUDIT_RETENTION."""
    return purge()


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
