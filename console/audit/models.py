"""The audit trail's tables: the chained events, the chain head and daily counters."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, String, Text

from ..core.schema import ConsoleModel


class AuditEvent(ConsoleModel):
    """One security event; rows are only ever inserted (and purged oldest first).

    Actor and subject keep their id and email as plain values, not foreign keys, so that
    deleting an account never erases or rewrites its history.
    """

    __tablename__ = "audit_event"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False)
    actor_id = Column(Integer, nullable=True)
    actor_email = Column(String(320), nullable=True)
    subject_id = Column(Integer, nullable=True)
    subject_email = Column(String(320), nullable=True)
    action = Column(String(80), nullable=False)
    ip = Column(String(45), nullable=True)
    user_agent = Column(String(255), nullable=True)
    request_id = Column(String(64), nullable=True)
    # Canonical JSON, hashed exactly as stored.
    details = Column(Text, nullable=False, default="{}")
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False)
    # The audit key the link is an HMAC under; NULL: a plain SHA-256 link, allowed only up
    # to the head's plain_until_event_id (events written before the chain was keyed).
    key_id = Column(String(32), nullable=True)

    __table_args__ = (
        Index("ix_audit_event_created_at", "created_at"),
        # Prefix filters (LIKE 'x%') need pattern operators on PostgreSQL.
        Index(
            "ix_audit_event_action",
            "action",
            postgresql_ops={"action": "varchar_pattern_ops"},
        ),
        Index(
            "ix_audit_event_actor_email",
            "actor_email",
            postgresql_ops={"actor_email": "varchar_pattern_ops"},
        ),
        Index(
            "ix_audit_event_subject_email",
            "subject_email",
            postgresql_ops={"subject_email": "varchar_pattern_ops"},
        ),
        Index("ix_audit_event_subject_id_id", "subject_id", "id"),
        Index("ix_audit_event_actor_id_id", "actor_id", "id"),
        Index("ix_audit_event_ip", "ip"),
    )


class AuditChainHead(ConsoleModel):
    """The single row every append locks: the newest hash, the counters, the switch point
    to keyed links and the anchor left by a purge (sealed with the audit key)."""

    __tablename__ = "audit_chain_head"

    id = Column(Integer, primary_key=True, autoincrement=False)
    last_hash = Column(String(64), nullable=True)
    anchor_event_id = Column(Integer, nullable=True)
    anchor_hash = Column(String(64), nullable=True)
    # Events appended since the chain was keyed (with those present then), and how many of
    # them purges deleted: the events in the table are always the difference.
    event_count = Column(Integer, nullable=False, default=0, server_default="0")
    purged_count = Column(Integer, nullable=False, default=0, server_default="0")
    # The newest event written before the chain was keyed; later events must be keyed.
    plain_until_event_id = Column(Integer, nullable=True)
    # HMAC of the anchor and purged_count, so that only a purge holding the key moves it.
    anchor_key_id = Column(String(32), nullable=True)
    anchor_seal = Column(String(64), nullable=True)


class AuditDailyCount(ConsoleModel):
    """Events per UTC day and action, so the dashboard never scans the event table."""

    __tablename__ = "audit_daily_count"

    day = Column(Date, primary_key=True)
    action = Column(String(80), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
