"""The kept `has_second_factor` flag of every account, recomputed from the factor registry.

The user list filters on the flag through an index ordered like the list; the registry's
own condition (an OR of columns and an EXISTS over keys) can use no such index. The flag is
derived, never set by hand: a flush that changes what a second factor reads (a column of
the account, or a row of a table keyed by its user id, as each factor's `watches()`
declares) recomputes it for those accounts in the same transaction, from
`factors.has_second_factor_condition()`. SQL that changes a factor outside the unit of work
calls `refresh()` for the accounts it touched; the console's migration and `flask console
adopt` fill it for existing accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, case, event, false, inspect, select, true, update
from sqlalchemy.orm import Session

from . import factors
from .models import Models, models

# session.info keys: accounts seen before a flush, then recomputed by it.
_SEEN = "console_factor_flag_seen"
_DONE = "console_factor_flag_done"
# Ids per UPDATE: well under every database's limit on bound parameters.
CHUNK = 500


def refresh(connection: Connection, user_ids: Iterable[int | None]) -> int:
    """Recompute the flag of `user_ids` where it is wrong; how many accounts changed."""
    table = models().User.__table__
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    actual = case((factors.has_second_factor_condition(), true()), else_=false())
    # Derived, not an edit: a column with an onupdate (fsqla's update_datetime) keeps its value.
    kept = {column.name: column for column in table.c if column.onupdate is not None}
    changed = 0
    for start in range(0, len(ids), CHUNK):
        result = connection.execute(
            update(table)
            .where(table.c.id.in_(ids[start : start + CHUNK]), table.c.has_second_factor != actual)
            .values(has_second_factor=actual, **kept)
        )
        changed += result.rowcount or 0
    return changed


def _watched(m: Models) -> tuple[set[str], dict[type, str]]:
    """The user columns, and the keyed models with their user-id attribute, that second
    factors read."""
    columns: set[str] = set()
    keyed: dict[type, str] = {}
    for factor in factors.second_factors():
        for attribute in factor.watches():
            owner = attribute.class_
            if issubclass(m.User, owner) or issubclass(owner, m.User):
                columns.add(attribute.key)
            else:
                keyed[owner] = attribute.key
    return columns, keyed


def _changed(obj: Any, columns: set[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in columns)


def _key_of(obj: Any, keyed: dict[type, str]) -> str | None:
    return next((key for model, key in keyed.items() if isinstance(obj, model)), None)


def _previous_owner(session: Session, obj: Any, key: str) -> int | None:
    """The user id a changed row had before this flush."""
    state = inspect(obj)
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if not history.added:
        return None
    # Set while expired (after a commit), so the session never loaded the old value: read
    # it from the row, which the flush has not written yet.
    column = state.mapper.attrs[key].columns[0]
    match = [
        pk == value for pk, value in zip(state.mapper.primary_key, state.identity, strict=True)
    ]
    return session.execute(select(column).where(*match)).scalar()


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if not has_app_context() or "console" not in current_app.extensions:
        return
    m = models()
    columns, keyed = _watched(m)
    if not columns and not keyed:
        return
    ids: set[int] = set()
    # New rows get their ids (and a key its user id) only as the flush writes them.
    later: list[tuple[Any, str]] = []
    for obj in session.new:
        if isinstance(obj, m.User):
            if _changed(obj, columns):
                later.append((obj, "id"))
        elif (key := _key_of(obj, keyed)) is not None:
            later.append((obj, key))
    for obj in session.dirty:
        if isinstance(obj, m.User):
            if _changed(obj, columns):
                ids.add(obj.id)
        elif (key := _key_of(obj, keyed)) is not None and session.is_modified(obj):
            # A key moved to another account changes both accounts.
            ids.add(_previous_owner(session, obj, key))
            later.append((obj, key))
    for obj in session.deleted:
        if (key := _key_of(obj, keyed)) is not None:
            # Read now: the row is still there to load an expired attribute from.
            ids.add(getattr(obj, key))
    if ids or later:
        session.info[_SEEN] = (ids, later)


def _after_flush(session: Session, flush_context: Any) -> None:
    seen = session.info.pop(_SEEN, None)
    if seen is None:
        return
    ids, later = seen
    ids.update(getattr(obj, key) for obj, key in later)
    refresh(session.connection(), ids)
    session.info[_DONE] = ids


def _after_flush_postexec(session: Session, flush_context: Any) -> None:
    ids = session.info.pop(_DONE, None)
    if not ids:
        return
    User = models().User
    for user_id in ids:
        user = session.identity_map.get(inspect(User).identity_key_from_primary_key([user_id]))
        if user is not None:
            # Read again when next used: the UPDATE above went around the object.
            session.expire(user, ["has_second_factor"])


def install() -> None:
    """Keep the flag in every session of the process (once)."""
    # Every Session class: a worker or a script with a session of its own keeps it too.
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_flush_postexec", _after_flush_postexec)
