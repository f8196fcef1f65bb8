"""What the console needs that the database lacks, as steps read from the configured models.

Nothing here writes. The target is the configured metadata itself, so table names, the
host's user-role table and every index are the ones `db.create_all()` would make: the
console's own tables (console.core.schema), the columns the console's mixins put on the
host's user, role and WebAuthn models and the one it puts on the user-role table, the
indexes the models declare on those tables and on the user-role table, and the triggers
that keep `member_count` and the memberships' copy of each member's creation date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, Connection, Index, Table
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.elements import UnaryExpression

from ..core.models import Models
from ..core.schema import (
    COPY,
    MEMBER_COUNT,
    MEMBER_CREATED,
    MEMBER_CREATED_FROM,
    member_count_triggers,
    member_created_triggers,
)
from ..mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin
from . import database
from .record import Step

# A trigger's name and the table it is on (the first ON after the name).
_TRIGGER = re.compile(r'CREATE TRIGGER\s+"?(\w+)"?.*?\bON\s+"?(\w+)"?', re.IGNORECASE | re.DOTALL)
_FUNCTION = re.compile(r'CREATE (?:OR REPLACE )?FUNCTION\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Planned:
    """A step and the DDL that makes it."""

    step: Step
    apply: Callable[[Connection], None]


def host_tables(m: Models) -> list[Table]:
    """The host's account tables the console extends: user, role, WebAuthn, user-role."""
    return [m.User.__table__, m.Role.__table__, m.WebAuthn.__table__, m.roles_users]


def console_tables(m: Models) -> list[Table]:
    """The console's own tables in the configured metadata, in dependency order."""
    return [table for table in m.User.__table__.metadata.sorted_tables if table.info.get(COPY)]


def mixin_columns(m: Models) -> list[Column[Any]]:
    """The columns the console's mixins put on the host's models, model by model, and the
    one console.core.schema puts on the user-role table."""
    found = []
    for model, mixin in (
        (m.User, ConsoleUserMixin),
        (m.Role, ConsoleRoleMixin),
        (m.WebAuthn, ConsoleWebAuthnMixin),
    ):
        names = [name for name, value in vars(mixin).items() if isinstance(value, Column)]
        found.extend(model.__table__.c[name] for name in names)
    found.append(m.roles_users.c[MEMBER_CREATED])
    return found


def table_steps(connection: Connection, m: Models) -> list[Planned]:
    """The console's tables the database lacks (with their own indexes and keys)."""
    existing = database.table_names(connection)
    return [
        Planned(Step("table", table.name, table.name), table.create)
        for table in console_tables(m)
        if table.name not in existing
    ]


def column_steps(connection: Connection, m: Models) -> list[Planned]:
    """The mixins' columns the host's tables lack."""
    planned = []
    have: dict[str, set[str]] = {}
    for column in mixin_columns(m):
        table = column.table.name
        if table not in have:
            have[table] = database.column_names(connection, table)
        if column.name not in have[table]:
            planned.append(Planned(Step("column", table, column.name), _add_column(column)))
    return planned


def index_steps(connection: Connection, m: Models) -> list[Planned]:
    """The indexes the configured models declare on the host's tables that it lacks.

    They are the console's: its mixins' (lower(email), the user list's orders, passkeys by
    owner, the canonical address) and the two on the user-role table. An index the host
    declares and never made is made too; the record lists it, so --undo takes it away.
    """
    planned = []
    for table in host_tables(m):
        existing = database.index_names(connection, table.name)
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            if str(index.name) in existing:
                continue
            step = Step("index", table.name, str(index.name))
            if _made_on(index, connection):
                planned.append(Planned(step, index.create))
            elif (plain := _plain_order_index(index, connection)) is not None:
                planned.append(Planned(step, _run(plain)))
    return planned


def trigger_steps(connection: Connection, m: Models) -> list[Planned]:
    """The triggers (and on PostgreSQL their functions) that keep role.member_count and the
    memberships' copy of each member's creation date."""
    roles_users = m.roles_users
    role_table, role_column = roles_users.info[MEMBER_COUNT]
    user_table, user_column = roles_users.info[MEMBER_CREATED_FROM]
    statements = (
        *member_count_triggers(connection, roles_users.name, role_table, role_column),
        *member_created_triggers(connection, roles_users.name, user_table, user_column),
    )
    existing: dict[str, set[str]] = {}
    planned = []
    for statement in statements:
        trigger = _TRIGGER.search(statement)
        if trigger is not None:
            name, table = trigger.groups()
            if table not in existing:
                existing[table] = database.trigger_names(connection, table)
            if name not in existing[table]:
                planned.append(Planned(Step("trigger", table, name), _run(statement)))
            continue
        function = _FUNCTION.search(statement)
        if function is not None and not database.function_exists(connection, function.group(1)):
            step = Step("function", roles_users.name, function.group(1))
            planned.append(Planned(step, _run(statement)))
    return planned


def _made_on(index: Index, connection: Connection) -> bool:
    # An index declared with .ddl_if(dialect=...) exists only on that database, as
    # create_all() would make it (the user list's NULLS FIRST orders are PostgreSQL's).
    condition = getattr(index, "_ddl_if", None)
    return condition is None or condition._should_execute(CreateIndex(index), index, connection)


def _plain_order_index(index: Index, connection: Connection) -> str | None:
    """On SQLite, the plain-column form of an order index declared for PostgreSQL only.

    SQLite sorts NULLs first in every index and cannot spell NULLS FIRST, so the console's
    own migration makes `(current_login_at, id)` there without the words; an adopted schema
    gets the same. An order over an expression (lower(name)) is served by its own index.
    """
    if connection.dialect.name != "sqlite":
        return None
    names = []
    for expression in index.expressions:
        while isinstance(expression, UnaryExpression):
            expression = expression.element
        if not isinstance(expression, Column):
            return None
        names.append(expression.name)
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    return f"CREATE INDEX {quote(str(index.name))} ON {quote(index.table.name)} ({columns})"


def _add_column(column: Column[Any]) -> Callable[[Connection], None]:
    def apply(connection: Connection) -> None:
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        default = column.server_default
        # A fresh column: the model's one belongs to its table, and its index (or unique
        # index) is an index step of its own, made after the values are filled in.
        added: Column[Any] = Column(
            column.name,
            column.type,
            nullable=column.nullable,
            server_default=getattr(default, "arg", None),
        )
        Operations(MigrationContext.configure(connection)).add_column(column.table.name, added)

    return apply


def _run(statement: str) -> Callable[[Connection], None]:
    def apply(connection: Connection) -> None:
        connection.exec_driver_sql(statement)

    return apply


def drop(connection: Connection, step: Step) -> None:
    """Remove what `step` added, if it is still there."""
    quote = connection.dialect.identifier_preparer.quote
    name, table = quote(step.name), quote(step.table)
    if step.kind == "table":
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    elif step.kind == "column":
        if step.name in database.column_names(connection, step.table):
            connection.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {name}"))
    elif step.kind == "index":
        connection.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    elif step.kind == "trigger":
        on = f" ON {table}" if connection.dialect.name == "postgresql" else ""
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}{on}"))
    elif step.kind == "function":
        connection.execute(sa.text(f"DROP FUNCTION IF EXISTS {name}()"))
