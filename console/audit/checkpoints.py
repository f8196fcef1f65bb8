"""Signed checkpoints of the chain, kept outside the database, and the check against one.

A checkpoint says where the chain stood at a moment: its newest event (id and hash), how
many events it had counted (event_count: every event appended since the chain was keyed,
purged ones included), where it started (the purge anchor), its switch point to keyed
links, when, and under which audit key it is signed. A database writer can rewrite the
tail of the chain and its head consistently, but not the checkpoints already written
elsewhere; so a later check finds a truncated or rolled-back tail:

- the checkpoint's last event must still be there with the same hash, unless a purge has
  since moved the (sealed) anchor to it or past it; an anchor exactly at that event must
  carry the same hash;
- the anchor never moves backwards, and the switch point never moves forwards;
- the head must count at least as many events as the checkpoint did (purges lower the
  events present, never the count).

Events written after the newest checkpoint are protected by their keyed links only: the
tail since then can be cut off unnoticed until the next checkpoint is compared.
"""

from __future__ import annotations

import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .chain import HEAD_ID, Break, canonical_json, lock_head
from .models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from .keys import Keyring

VERSION = 1
SIGNED = (
    "version",
    "created_at",
    "last_event_id",
    "head_hash",
    "event_count",
    "anchor_event_id",
    "plain_until_event_id",
    "key_id",
)


class CheckpointError(Exception):
    """No checkpoint can be made or read (an unreadable file, a chain whose head does not
    match its newest event)."""


def _message(checkpoint: dict[str, Any]) -> str:
    return "checkpoint:" + canonical_json({name: checkpoint.get(name) for name in SIGNED})


def make(session: Session, keys: Keyring, now: datetime) -> dict[str, Any]:
    """A signed checkpoint of the chain as committed now (the caller ends the transaction).

    The chain lock makes the head and the newest event one consistent reading.
    """
    head = lock_head(session)
    newest = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    last_id, last_hash = (newest.id, newest.hash) if newest else (None, None)
    consistent = (
        head.last_hash == last_hash if newest else head.last_hash in (None, head.anchor_hash)
    )
    if not consistent:
        raise CheckpointError(
            "the chain head does not match the newest event; run `flask console audit verify`"
        )
    checkpoint: dict[str, Any] = {
        "version": VERSION,
        "created_at": now.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        "last_event_id": last_id,
        "head_hash": last_hash,
        "event_count": head.event_count,
        "anchor_event_id": head.anchor_event_id,
        "plain_until_event_id": head.plain_until_event_id,
        "key_id": keys.current_id,
    }
    checkpoint["signature"] = keys.mac(keys.current_id, _message(checkpoint))
    return checkpoint


def line(checkpoint: dict[str, Any]) -> str:
    """The checkpoint as one JSON line (with its newline)."""
    return json.dumps(checkpoint, sort_keys=True, separators=(",", ":")) + "\n"


def append_to(path: str | Path, checkpoint: dict[str, Any]) -> None:
    """Append the checkpoint to a JSON Lines file and make it durable before returning."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(line(checkpoint))
        file.flush()
        os.fsync(file.fileno())


def newest_in(path: str | Path) -> dict[str, Any] | None:
    """The last checkpoint of a JSON Lines file (None when it has none)."""
    last = None
    try:
        with open(path, encoding="utf-8") as file:
            for text in file:
                if text.strip():
                    last = text
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from None
    if last is None:
        return None
    try:
        checkpoint = json.loads(last)
    except ValueError:
        raise CheckpointError(f"the last line of {path} is not a checkpoint") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("version") != VERSION:
        raise CheckpointError(f"the last line of {path} is not a checkpoint")
    return checkpoint


def check(session: Session, keys: Keyring, checkpoint: dict[str, Any]) -> Break | None:
    """The first way the chain in the database contradicts `checkpoint`, or None.

    Run it after chain.verify() found the chain itself intact: this only compares the
    chain's position with the one the checkpoint recorded.
    """
    key_id = checkpoint.get("key_id")
    expected = keys.mac(key_id, _message(checkpoint)) if isinstance(key_id, str) else None
    if expected is None:
        return Break(
            None,
            f"the checkpoint is signed with key id {key_id!r}, which is not configured "
            "(CONSOLE_AUDIT_KEYS)",
            unknown_key_id=str(key_id or ""),
        )
    if not hmac.compare_digest(expected, str(checkpoint.get("signature") or "")):
        return Break(None, "the checkpoint's signature does not match it")
    head = session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    taken = checkpoint["created_at"]
    last_id = checkpoint["last_event_id"]
    count = checkpoint["event_count"] or 0
    anchor_id = head.anchor_event_id if head else None
    if (checkpoint["anchor_event_id"] or 0) > (anchor_id or 0):
        return Break(None, f"the purge anchor moved back since the checkpoint of {taken}")
    plain_then = checkpoint["plain_until_event_id"]
    plain_now = head.plain_until_event_id if head else None
    if plain_now is not None and (plain_then is None or plain_now > plain_then):
        return Break(None, f"the switch to keyed links moved since the checkpoint of {taken}")
    if (head.event_count if head else 0) < count:
        return Break(
            None,
            f"the chain counts fewer events than the checkpoint of {taken} ({count}): "
            "its newest events were removed",
        )
    if last_id is None:
        return None
    if anchor_id is not None and anchor_id >= last_id:
        # Purged since: the sealed anchor (checked by verify) stands for the events up to it.
        if (
            anchor_id == last_id
            and head is not None
            and head.anchor_hash != checkpoint["head_hash"]
        ):
            return Break(last_id, f"the purge anchor is not the event of the checkpoint of {taken}")
        return None
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == last_id))
    if stored is None:
        return Break(
            last_id,
            f"the newest event of the checkpoint of {taken} is missing: the chain was cut back",
        )
    if stored != checkpoint["head_hash"]:
        return Break(
            last_id,
            f"the event differs from the one the checkpoint of {taken} recorded: "
            "the chain was rewritten",
        )
    return None
