"""Adopt an existing schema, or take the adoption back out, in resumable steps.

Each step is made and recorded in one transaction (the record's row first: SQLite's
driver opens a transaction only at a write, and the DDL after it then belongs to it), so
a run stopped half-way is finished by running the command again, and --undo removes what
was recorded. The values the console derives from the host's rows (the canonical
address, role member counts, the has-second-factor flag, the memberships' copy of each
member's creation date) are written in keyset batches, each its own transaction, and only
where they are missing or wrong: a second run finds nothing to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from ..core import factor_flag
from ..core.emails import canonical_email
from ..core.models import Models, models
from ..core.permissions import ADDED_LATER
from ..core.schema import MEMBER_CREATED, membership_columns
from . import database, plan, record
from .record import Step

BATCH = 1000

# `with progress(label, total) as advance: advance(n)`: a CLI shows a progress bar per pass.
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


class AdoptionError(RuntimeError):
    """The database cannot be adopted as it is; the message says what to change."""


@dataclass
class Report:
    """What one run did."""

    added: list[Step] = field(default_factory=list)
    addresses_set: int = 0
    counts_fixed: int = 0
    flags_set: int = 0
    member_dates_set: int = 0
    permissions_granted: int = 0
    removed: list[Step] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the run changed anything at all."""
        derived = (
            self.addresses_set
            + self.counts_fixed
            + self.flags_set
            + self.member_dates_set
            + self.permissions_granted
        )
        return bool(self.added or derived or self.removed)


def _quiet(label: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda n: None)


def configured() -> Models:
    """The host's models, refused for the standalone console and unknown databases."""
    m = models()
    if m.shipped:
        raise AdoptionError(
            "This application uses the console's own models, whose schema its migrations "
            "make: run `flask db upgrade heads` instead."
        )
    dialect = m.db.engine.dialect.name
    if dialect not in database.DIALECTS:
        raise AdoptionError(f"Adoption supports SQLite and PostgreSQL, not {dialect}.")
    return m


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # An index over a million accounts may take longer than a request may.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        yield connection


def pending(m: Models) -> list[Step]:
    """The schema steps an adoption would take now (for --dry-run)."""
    with m.db.engine.connect() as connection:
        steps = [] if record.TABLE in database.table_names(connection) else [record.OWN_TABLE]
        for planner in (plan.table_steps, plan.column_steps, plan.index_steps, plan.trigger_steps):
            steps.extend(item.step for item in planner(connection, m))
    return steps


def adopt(batch: int = BATCH, progress: Progress = _quiet) -> Report:
    """Add what the console needs to the configured database; touch no existing value."""
    m = configured()
    engine = m.db.engine
    report = Report()
    _ensure_record(engine, m, report)
    _apply(engine, m, (plan.table_steps, plan.column_steps), report)
    report.addresses_set = _fill_canonical_addresses(engine, m, batch, progress)
    _refuse_duplicates(engine, m)
    _apply(engine, m, (plan.index_steps, plan.trigger_steps), report)
    report.counts_fixed = _recount_members(engine, m, batch, progress)
    # After the triggers: a membership or factor written meanwhile is kept by them (or by
    # the new code's flushes); these passes fill in what was there before.
    report.flags_set = _fill_second_factor_flags(engine, m, batch, progress)
    report.member_dates_set = _fill_member_dates(engine, m, batch, progress)
    report.permissions_granted = _grant_added_permissions(engine, m)
    return report


def undo(progress: Progress = _quiet) -> Report:
    """Remove everything the adoption record lists, newest first, then the record."""
    m = configured()
    engine = m.db.engine
    report = Report()
    with engine.connect() as connection:
        if record.TABLE not in database.table_names(connection):
            return report
        steps = record.steps(connection)
    added = [step for step in steps if step != record.OWN_TABLE]
    with progress("Removing what the adoption added", len(added)) as advance:
        for step in reversed(added):
            with _transaction(engine) as connection:
                record.remove(connection, step)
                plan.drop(connection, step)
            report.removed.append(step)
            advance(1)
    if record.OWN_TABLE in steps:
        with _transaction(engine) as connection:
            plan.drop(connection, record.OWN_TABLE)
        report.removed.append(record.OWN_TABLE)
    return report


def _ensure_record(engine: Engine, m: Models, report: Report) -> None:
    with _transaction(engine) as connection:
        if record.TABLE in database.table_names(connection):
            return
        # As the application's metadata declares it (its naming convention included).
        record.record_table(m.User.__table__.metadata).create(connection)
        record.add(connection, record.OWN_TABLE)
    report.added.append(record.OWN_TABLE)


def _apply(
    engine: Engine,
    m: Models,
    planners: tuple[Callable[[Connection, Models], list[plan.Planned]], ...],
    report: Report,
) -> None:
    with engine.connect() as connection:
        steps = [item for planner in planners for item in planner(connection, m)]
    for item in steps:
        with _transaction(engine) as connection:
            record.add(connection, item.step)
            item.apply(connection)
        report.added.append(item.step)


def _fill_canonical_addresses(engine: Engine, m: Models, batch: int, progress: Progress) -> int:
    """user.email_canonical, which sign-in looks addresses up by, for every account.

    Every row is read, not only empty ones: an address changed by code without the
    console's hook (the application before it, still serving during the change-over, or a
    fix made in SQL) leaves a stale key. Only a missing or stale key is written.
    """
    users = _bare(m.User.__table__, "id", "email", "email_canonical")
    with engine.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(users)) or 0
    update = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("row_id"))
        .values(email_canonical=sa.bindparam("canonical"))
    )
    written, last = 0, None
    with progress(f"Checking {users.name}.email_canonical", total) as advance:
        while True:
            query = sa.select(users.c.id, users.c.email, users.c.email_canonical).order_by(
                users.c.id
            )
            if last is not None:
                query = query.where(users.c.id > last)
            with _transaction(engine) as connection:
                rows = connection.execute(query.limit(batch)).all()
                if not rows:
                    return written
                stale = [
                    {"row_id": row.id, "canonical": key}
                    for row in rows
                    if (key := canonical_email(row.email) if row.email else None)
                    != row.email_canonical
                ]
                if stale:
                    connection.execute(update, stale)
            written += len(stale)
            last = rows[-1].id
            advance(len(rows))


def _bare(table: sa.Table, *columns: str) -> sa.TableClause:
    # The table without the model's column defaults: its `onupdate` (fsqla's
    # update_datetime) would otherwise rewrite a value of the host's in every row filled.
    return sa.table(table.name, *(sa.column(name) for name in columns))


def _refuse_duplicates(engine: Engine, m: Models) -> None:
    """Stop before a unique index would fail, naming the accounts that share a key."""
    users = m.User.__table__
    keys = [
        (
            "email addresses that differ only by case, Unicode form or look-alike characters",
            users.c.email_canonical,
        ),
        ("email addresses that differ only by case", sa.func.lower(users.c.email)),
    ]
    if "username" in users.c:
        keys.append(("usernames that differ only by case", sa.func.lower(users.c.username)))
    with engine.connect() as connection:
        for what, key in keys:
            shared = (
                sa.select(key.label("key"))
                .where(key.is_not(None))
                .group_by(key)
                .having(sa.func.count() > 1)
                .limit(20)
                .subquery()
            )
            rows = connection.execute(
                sa.select(users.c.id, users.c.email)
                .join(shared, key == shared.c.key)
                .order_by(shared.c.key, users.c.id)
            ).all()
            if rows:
                listed = ", ".join(f"{row.email} (id {row.id})" for row in rows)
                raise AdoptionError(
                    f"These accounts have {what}: {listed}. The console keeps one account "
                    "per address: change all but one of each group, then run "
                    "`flask console adopt` again (it goes on where it stopped)."
                )


def _user_batches(
    engine: Engine, m: Models, batch: int, label: str, progress: Progress
) -> Iterator[tuple[Connection, list[int]]]:
    """Every user id in keyset batches, each with its own transaction, under a progress bar."""
    users = _bare(m.User.__table__, "id")
    with engine.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(users)) or 0
    last = None
    with progress(label, total) as advance:
        while True:
            query = sa.select(users.c.id).order_by(users.c.id).limit(batch)
            if last is not None:
                query = query.where(users.c.id > last)
            with _transaction(engine) as connection:
                ids = list(connection.execute(query).scalars())
                if not ids:
                    return
                yield connection, ids
            last = ids[-1]
            advance(len(ids))


def _fill_second_factor_flags(engine: Engine, m: Models, batch: int, progress: Progress) -> int:
    """user.has_second_factor as the factor registry computes it, where it is wrong.

    Every account is checked, not only new ones: the application before the console (still
    serving during the change-over) sets factors up without keeping the flag.
    """
    label = f"Checking {m.User.__table__.name}.has_second_factor"
    return sum(
        factor_flag.refresh(connection, ids)
        for connection, ids in _user_batches(engine, m, batch, label, progress)
    )


def _fill_member_dates(engine: Engine, m: Models, batch: int, progress: Progress) -> int:
    """The user-role table's copy of each member's create_datetime, where it is missing or
    stale (the triggers keep it from now on)."""
    user_table = m.User.__table__
    user_column, _ = membership_columns(m.roles_users, user_table, m.Role.__table__)
    members = _bare(m.roles_users, user_column.name, MEMBER_CREATED)
    users = _bare(user_table, "id", "create_datetime")
    member, copy = members.c[user_column.name], members.c[MEMBER_CREATED]
    created = sa.select(users.c.create_datetime).where(users.c.id == member).scalar_subquery()
    written = 0
    label = f"Copying creation dates to {m.roles_users.name}"
    for connection, ids in _user_batches(engine, m, batch, label, progress):
        result = connection.execute(
            sa.update(members)
            .where(member.in_(ids), sa.or_(copy.is_(None), copy != created))
            .values({MEMBER_CREATED: created})
        )
        written += result.rowcount or 0
    return written


def _grant_added_permissions(engine: Engine, m: Models) -> int:
    """Grant each permission a console release added to the roles that held everything that
    was full administration before it: an application adopted before that release keeps
    its full administrators. A role that never held the console's permissions is untouched.
    """
    roles = _bare(m.Role.__table__, "id", "permissions")
    granted = 0
    with _transaction(engine) as connection:
        for role_id, text in connection.execute(sa.select(roles.c.id, roles.c.permissions)):
            # Flask-Security's AsaList: the names joined by commas.
            held = [name for name in (text or "").split(",") if name]
            # In release order, each grant counting for the next: a role that was full
            # administration two releases ago gets both newcomers.
            added: list[str] = []
            for name, before in ADDED_LATER.items():
                if before <= {*held, *added} and name not in held and name not in added:
                    added.append(name)
            if added:
                connection.execute(
                    sa.update(roles)
                    .where(roles.c.id == role_id)
                    .values(permissions=",".join([*held, *added]))
                )
                granted += len(added)
    return granted


def _recount_members(engine: Engine, m: Models, batch: int, progress: Progress) -> int:
    """role.member_count equal to each role's rows in the user-role table, batch by batch."""
    roles = _bare(m.Role.__table__, "id", "member_count")
    _, role_column = membership_columns(m.roles_users, m.User.__table__, m.Role.__table__)
    members = _bare(m.roles_users, role_column.name)
    actual = (
        sa.select(sa.func.count())
        .select_from(members)
        .where(members.c[role_column.name] == roles.c.id)
        .scalar_subquery()
    )
    with engine.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(roles)) or 0
    if not total:
        return 0
    fixed, last = 0, None
    with progress(f"Counting the members of each {roles.name}", total) as advance:
        while True:
            query = sa.select(roles.c.id).order_by(roles.c.id).limit(batch)
            if last is not None:
                query = query.where(roles.c.id > last)
            with _transaction(engine) as connection:
                ids = connection.execute(query).scalars().all()
                if not ids:
                    return fixed
                # Only rows whose count is wrong are written: a second run writes nothing.
                result = connection.execute(
                    sa.update(roles)
                    .where(roles.c.id.in_(ids), roles.c.member_count != actual)
                    .values(member_count=actual)
                )
            fixed += result.rowcount or 0
            last = ids[-1]
            advance(len(ids))
