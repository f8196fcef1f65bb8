"""Reading the trail: filters parsed from a query string, keyset pages, batched scans."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select, union_all

from ..core import dates
from ..core.search import like_prefix, starts_with
from ..extensions import db
from .models import AuditDailyCount, AuditEvent

ERRORS = {
    "since": dates.BAD_DAY,
    "until": dates.BAD_DAY,
    "ip": _l("Enter an IPv4 or IPv6 address."),
    "subject": _l("Enter an email address (or its beginning) or a user id."),
    "range": _l("The start of the time range must come before its end."),
}


def _moment(value: str, end: bool) -> datetime:
    value = value.strip()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        day = date.fromisoformat(value)
    # A bare date is the operator's day; as an end it means "through that whole day".
    return dates.day_start(day + timedelta(days=1) if end else day)


@dataclass
class EventFilter:
    """What an operator asked for; `errors` names the fields that could not be read."""

    actor: str = ""
    subject: str = ""
    subject_id: int | None = None
    action: str = ""
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Any) -> EventFilter:
        """Parse request arguments; bad values become errors, never exceptions."""
        raw = {
            key: (args.get(key) or "").strip()[:320]
            for key in ("actor", "subject", "action", "ip", "since", "until")
        }
        result = cls(raw=raw, actor=raw["actor"].lower(), action=raw["action"])
        subject = raw["subject"]
        if subject.isdigit():
            result.subject_id = int(subject)
        else:
            result.subject = subject.lower()
        if raw["ip"]:
            try:
                result.ip = str(ipaddress.ip_address(raw["ip"]))
            except ValueError:
                result.errors["ip"] = ERRORS["ip"]
        for name, end in (("since", False), ("until", True)):
            if raw[name]:
                try:
                    setattr(result, name, _moment(raw[name], end))
                except ValueError:
                    result.errors[name] = ERRORS[name]
        if result.since and result.until and result.since >= result.until:
            result.errors["until"] = ERRORS["range"]
        return result

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for links and the export)."""
        return {key: value for key, value in self.raw.items() if value}

    def apply(self, stmt: Select) -> Select:
        """Add this filter's conditions to `stmt`."""
        if self.actor:
            stmt = stmt.where(starts_with(AuditEvent.actor_email, self.actor))
        if self.subject_id is not None:
            stmt = stmt.where(AuditEvent.subject_id == self.subject_id)
        elif self.subject:
            stmt = stmt.where(starts_with(AuditEvent.subject_email, self.subject))
        if self.action:
            stmt = stmt.where(starts_with(AuditEvent.action, self.action))
        if self.ip:
            stmt = stmt.where(AuditEvent.ip == self.ip)
        if self.since:
            stmt = stmt.where(AuditEvent.created_at >= self.since)
        if self.until:
            stmt = stmt.where(AuditEvent.created_at < self.until)
        return stmt


@dataclass(frozen=True)
class Page:
    """One page of events, newest first, and the id to continue before."""

    events: list[AuditEvent]
    next_before: int | None


def _actions_starting(prefix: str) -> list[str]:
    """Every action ever recorded that starts with `prefix`, from the daily counters."""
    stmt = (
        select(AuditDailyCount.action).distinct().where(like_prefix(AuditDailyCount.action, prefix))
    )
    return list(db.session.scalars(stmt))


def _newest_ids_by_action(event_filter: EventFilter, before: int | None, limit: int) -> Select:
    """The ids of the newest `limit` matching events, as one walk per matching action.

    A prefix such as "user." matches most of the trail: filtering a walk of the whole trail
    reads every event when few match, and sorting the matches reads every match when many
    do. A walk per action, newest first on its index (SQLite's ends in the rowid), reads at
    most `limit` rows of each; the actions come from the small daily-counter table.
    """
    others = replace(event_filter, action="")
    walks = []
    for action in _actions_starting(event_filter.action):
        walk = others.apply(select(AuditEvent.id)).where(AuditEvent.action == action)
        if before:
            walk = walk.where(AuditEvent.id < before)
        walks.append(walk.order_by(AuditEvent.id.desc()).limit(limit).subquery().select())
    if not walks:
        return select(AuditEvent.id).where(false())
    merged = union_all(*walks).subquery()
    return select(merged.c.id).order_by(merged.c.id.desc()).limit(limit)


def page(event_filter: EventFilter, before: int | None, size: int) -> Page:
    """Up to `size` matching events older than id `before` (keyset: no COUNT, no OFFSET)."""
    if event_filter.action:
        ids = _newest_ids_by_action(event_filter, before, size + 1)
        stmt = select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id.desc())
    else:
        stmt = event_filter.apply(select(AuditEvent)).order_by(AuditEvent.id.desc())
        stmt = stmt.limit(size + 1)
        if before:
            stmt = stmt.where(AuditEvent.id < before)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].id if more and rows else None)


def iterate(event_filter: EventFilter, batch: int = 1000) -> Iterator[list[Any]]:
    """Every matching event as plain rows, newest first, in batches (for exports)."""
    before: int | None = None
    while True:
        stmt = (
            event_filter.apply(select(*AuditEvent.__table__.columns))
            .order_by(AuditEvent.id.desc())
            .limit(batch)
        )
        if before is not None:
            stmt = stmt.where(AuditEvent.id < before)
        rows = db.session.execute(stmt).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        before = rows[-1].id


def for_subject(user_id: int, limit: int = 10, before: int | None = None) -> Page:
    """A user's own events (the activity section and page)."""
    return page(EventFilter(subject_id=user_id), before, limit)


def recent(limit: int = 10) -> list[AuditEvent]:
    """The newest events."""
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
