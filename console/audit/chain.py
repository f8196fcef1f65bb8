"""The hash chain: canonical content, serialized appends, verification and purging."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import AuditChainHead, AuditDailyCount, AuditEvent

GENESIS = "0" * 64
HEAD_ID = 1
# Any constant shared by every writer; "audit" in ASCII.
PG_LOCK_KEY = 0x6175646974
# The columns whose values the hash covers, in a fixed order (the id is assigned by the
# database; order is covered by prev_hash instead).
HASHED = (
    "created_at",
    "actor_id",
    "actor_email",
    "subject_id",
    "subject_email",
    "action",
    "ip",
    "user_agent",
    "request_id",
    "details",
)


def canonical_json(value: Any) -> str:
    """One spelling for a JSON value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _stamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def content_of(row: Any) -> dict[str, Any]:
    """The hashed content of an event (an AuditEvent, a Row or a dict of its columns)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    content = {name: get(name) for name in HASHED}
    content["created_at"] = _stamp(content["created_at"])
    return content


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """sha256(prev_hash + canonical JSON of the event's own content), hex."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def _upsert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def lock_head(session: Session) -> AuditChainHead:
    """Take the chain lock for the rest of the transaction and return the head row.

    PostgreSQL: a transaction-scoped advisory lock, so concurrent writers queue and never
    read the same head. SQLite: the first write of the transaction takes the database's
    write lock, which already admits one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    session.execute(
        _upsert(session, AuditChainHead.__table__)
        .values(id=HEAD_ID, last_hash=None)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    assert head is not None
    return head


def append(session: Session, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert `events` (column dicts without hashes) at the end of the chain, in order;
    returns the rows as written (with their hashes)."""
    if not events:
        return []
    head = lock_head(session)
    prev = head.last_hash or head.anchor_hash or GENESIS
    per_day: dict[tuple[Any, str], int] = {}
    written = []
    for event in events:
        digest = event_hash(prev, content_of(event))
        session.execute(insert(AuditEvent).values(**event, prev_hash=prev, hash=digest))
        written.append({**event, "prev_hash": prev, "hash": digest})
        prev = digest
        key = (event["created_at"].date(), event["action"])
        per_day[key] = per_day.get(key, 0) + 1
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=prev)
    )
    for (day, action), count in per_day.items():
        stmt = _upsert(session, AuditDailyCount.__table__).values(
            day=day, action=action, count=count
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "action"],
                set_={"count": AuditDailyCount.__table__.c.count + stmt.excluded.count},
            )
        )
    session.expire(head)
    return written


@dataclass(frozen=True)
class Break:
    """The first broken link: which event and why."""

    event_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    """How many events were checked and the first break, if any."""

    checked: int
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _events(session: Session, batch: int) -> Iterator[Any]:
    columns = [AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash]
    columns += [getattr(AuditEvent, name) for name in HASHED]
    after = None
    while True:
        stmt = select(*columns).order_by(AuditEvent.id).limit(batch)
        if after is not None:
            stmt = stmt.where(AuditEvent.id > after)
        rows = session.execute(stmt).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def verify(session: Session, batch: int = 1000) -> VerifyResult:
    """Walk the chain from its anchor (or the beginning) to the head; stop at a break."""
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    expected = (head.anchor_hash if head else None) or GENESIS
    anchor_id = head.anchor_event_id if head else None
    checked = 0
    last_hash: str | None = head.anchor_hash if head else None
    for row in _events(session, batch):
        if anchor_id is not None and row.id <= anchor_id:
            return VerifyResult(checked, Break(row.id, "event is older than the purge anchor"))
        if row.prev_hash != expected:
            return VerifyResult(
                checked, Break(row.id, "its previous hash does not match the event before it")
            )
        if event_hash(row.prev_hash, content_of(row)) != row.hash:
            return VerifyResult(checked, Break(row.id, "its content does not match its hash"))
        expected = last_hash = row.hash
        checked += 1
    head_hash = head.last_hash if head else None
    if head_hash is not None and head_hash != last_hash:
        return VerifyResult(
            checked, Break(None, "the newest events are missing: the chain head does not match")
        )
    return VerifyResult(checked, None)


def purge_batch(session: Session, cutoff: datetime, batch: int) -> int:
    """Delete up to `batch` of the oldest events created before `cutoff`, keeping the rest
    verifiable: the hash of the last deleted event becomes the chain's anchor.

    Only a prefix of the chain is ever deleted, so an event that is younger than the cutoff
    but has a smaller id stops the batch. The caller commits; returns how many were deleted.
    """
    head = lock_head(session)
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.created_at, AuditEvent.hash)
        .order_by(AuditEvent.id)
        .limit(batch)
    ).all()
    prefix = []
    for row in rows:
        if row.created_at >= cutoff:
            break
        prefix.append(row)
    if not prefix:
        return 0
    last = prefix[-1]
    session.execute(delete(AuditEvent).where(AuditEvent.id <= last.id))
    head.anchor_event_id = last.id
    head.anchor_hash = last.hash
    return len(prefix)


def count_before(session: Session, cutoff: datetime) -> int:
    """How many events were created before `cutoff` (an indexed range count)."""
    return int(session.scalar(select(func.count()).where(AuditEvent.created_at < cutoff)) or 0)
