"""The keyed chain: canonical content, serialized appends, verification and purging.

Each event's `hash` is HMAC-SHA256, under the audit key its `key_id` names, of the previous
event's hash followed by the event's canonical content; events written before the chain
was keyed (up to the head's plain_until_event_id) keep their plain SHA-256 link. The keys
live in the configuration (console.audit.keys), so a database writer can change rows but
cannot recompute links that verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import AuditChainHead, AuditDailyCount, AuditEvent

if TYPE_CHECKING:
    from .keys import Keyring

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
    """sha256(prev_hash + canonical JSON of the event's own content), hex: the plain link of
    events written before the chain was keyed."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def keyed_hash(keys: Keyring, key_id: str, prev_hash: str, content: dict[str, Any]) -> str | None:
    """HMAC-SHA256 under key `key_id` of what event_hash() hashes, hex; None when the key id
    is not configured."""
    return keys.mac(key_id, prev_hash + canonical_json(content))


def anchor_message(event_id: int | None, anchor_hash: str | None, purged: int) -> str:
    """What a purge seals: where the chain now starts and how many events purges removed."""
    return "anchor:" + canonical_json({"event_id": event_id, "hash": anchor_hash, "purged": purged})


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


def _next_id(session: Session, head: AuditChainHead) -> int | None:
    """The id the next event must take, when the database would pick a smaller one.

    SQLite gives a row max(id) + 1, so once a purge has emptied the table it would count
    from 1 again, behind the anchor; ids must keep rising for anchors and checkpoints.
    """
    if head.anchor_event_id is None or session.get_bind().dialect.name != "sqlite":
        return None
    newest = session.scalar(select(func.max(AuditEvent.id)))
    if newest is not None and newest > head.anchor_event_id:
        return None
    return head.anchor_event_id + 1


def append(session: Session, events: list[dict[str, Any]], keys: Keyring) -> list[dict[str, Any]]:
    """Insert `events` (column dicts without hashes) at the end of the chain, in order,
    linked under the current audit key; returns the rows as written (with their hashes)."""
    if not events:
        return []
    head = lock_head(session)
    prev = head.last_hash or head.anchor_hash or GENESIS
    next_id = _next_id(session, head)
    key_id = keys.current_id
    per_day: dict[tuple[Any, str], int] = {}
    written = []
    for event in events:
        digest = keyed_hash(keys, key_id, prev, content_of(event))
        row = {**event, "prev_hash": prev, "hash": digest, "key_id": key_id}
        if next_id is not None:
            row["id"] = next_id
            next_id += 1
        session.execute(insert(AuditEvent).values(**row))
        written.append({**event, "prev_hash": prev, "hash": digest})
        prev = digest
        key = (event["created_at"].date(), event["action"])
        per_day[key] = per_day.get(key, 0) + 1
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_hash=prev, event_count=AuditChainHead.event_count + len(events))
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
    """The first broken link: which event (None: the head or the anchor) and why;
    `unknown_key_id` when the link cannot be checked because its key is not configured."""

    event_id: int | None
    reason: str
    unknown_key_id: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    """How many events were checked (how many of them with a plain link) and the first
    break, if any."""

    checked: int
    broken: Break | None
    plain: int = 0
    # The checkpoint the chain's position was compared with, if any.
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _events(session: Session, batch: int) -> Iterator[Any]:
    columns = [AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.key_id]
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


def _unknown_key(event_id: int | None, what: str, key_id: str | None) -> Break:
    return Break(
        event_id,
        f"{what} key id {key_id!r}, which is not configured (CONSOLE_AUDIT_KEYS)",
        unknown_key_id=key_id or "",
    )


def _anchor_break(head: AuditChainHead, keys: Keyring) -> Break | None:
    """A purge anchor is trusted only when a purge holding the key sealed it (or when it
    predates the keyed chain)."""
    if head.anchor_event_id is None and not head.purged_count:
        return None
    plain_until = head.plain_until_event_id
    if (
        head.anchor_event_id is not None
        and plain_until is not None
        and head.anchor_event_id <= plain_until
        and not head.purged_count
        and head.anchor_seal is None
    ):
        return None
    if not head.anchor_key_id or not head.anchor_seal:
        return Break(None, "the purge anchor is not sealed with an audit key")
    expected = keys.mac(
        head.anchor_key_id,
        anchor_message(head.anchor_event_id, head.anchor_hash, head.purged_count),
    )
    if expected is None:
        return _unknown_key(None, "the purge anchor is sealed with", head.anchor_key_id)
    if not hmac.compare_digest(expected, head.anchor_seal):
        return Break(None, "the purge anchor does not match its seal")
    return None


def _link_break(row: Any, plain_until: int | None, keys: Keyring) -> Break | None:
    content = content_of(row)
    if row.key_id is None:
        if plain_until is None or row.id > plain_until:
            return Break(row.id, "its link is not keyed, but the chain is keyed at that point")
        digest: str | None = event_hash(row.prev_hash, content)
    else:
        digest = keyed_hash(keys, row.key_id, row.prev_hash, content)
        if digest is None:
            return _unknown_key(row.id, "its link uses", row.key_id)
    if not hmac.compare_digest(digest, row.hash):
        return Break(row.id, "its content does not match its hash")
    return None


def verify(session: Session, keys: Keyring, batch: int = 1000) -> VerifyResult:
    """Walk the chain from its anchor (or the beginning) to the head; stop at a break."""
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    if head is not None and (broken := _anchor_break(head, keys)):
        return VerifyResult(0, broken)
    expected = (head.anchor_hash if head else None) or GENESIS
    anchor_id = head.anchor_event_id if head else None
    plain_until = head.plain_until_event_id if head else None
    checked = plain = 0
    last_hash: str | None = head.anchor_hash if head else None
    for row in _events(session, batch):
        if anchor_id is not None and row.id <= anchor_id:
            return VerifyResult(
                checked, Break(row.id, "event is older than the purge anchor"), plain
            )
        if row.prev_hash != expected:
            return VerifyResult(
                checked,
                Break(row.id, "its previous hash does not match the event before it"),
                plain,
            )
        if broken := _link_break(row, plain_until, keys):
            return VerifyResult(checked, broken, plain)
        expected = last_hash = row.hash
        checked += 1
        plain += row.key_id is None
    head_hash = head.last_hash if head else None
    if head_hash is not None and head_hash != last_hash:
        return VerifyResult(
            checked,
            Break(None, "the newest events are missing: the chain head does not match"),
            plain,
        )
    if head is not None and head.event_count - head.purged_count != checked:
        return VerifyResult(
            checked,
            Break(
                None,
                f"the chain head counts {head.event_count - head.purged_count} events "
                f"but {checked} were found",
            ),
            plain,
        )
    return VerifyResult(checked, None, plain)


def purge_batch(session: Session, cutoff: datetime, batch: int, keys: Keyring) -> int:
    """Delete up to `batch` of the oldest events created before `cutoff`, keeping the rest
    verifiable: the hash of the last deleted event becomes the chain's anchor, sealed with
    the current audit key together with the number of events purged so far.

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
    head.purged_count = (head.purged_count or 0) + len(prefix)
    head.anchor_key_id = keys.current_id
    head.anchor_seal = keys.mac(
        keys.current_id, anchor_message(last.id, last.hash, head.purged_count)
    )
    return len(prefix)


def count_before(session: Session, cutoff: datetime) -> int:
    """How many events were created before `cutoff` (an indexed range count)."""
    return int(session.scalar(select(func.count()).where(AuditEvent.created_at < cutoff)) or 0)
