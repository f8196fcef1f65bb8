"""The console's part of the configured schema: its own tables and the role member counter.

The console's own tables (audit trail, sessions, outbox, ...) are mapped on ConsoleModel,
whose MetaData belongs to no application and holds no user table: their user ids are
plain integer columns marked with `user_key()`, and no relationship names a user class,
so one mapping serves the shipped models and any host's. Flask-SQLAlchemy 3 runs a table
whose MetaData has no bind key on the session's default engine, so they are read and
written through whichever SQLAlchemy object the console was given.

`attach()` puts the schema side into the configured MetaData: a copy of every console
table with a real foreign key (ON DELETE as each `user_key()` or `role_key()` says) to
the configured user or role table, whatever its name, so that `db.create_all()`,
`flask db migrate` and Alembic's comparison see the console's tables next to the host's;
indexes on the user-role table when it has none (Flask-Security's fsqla table has
neither key nor index); a copy of each member's creation date on that table, indexed
after the role, so that the user list's default page of one role's members is read in
order; and the triggers that keep `role.member_count` and that copy when `create_all()`
makes that table. A schema made by the console's migrations gets the same objects from
them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, ForeignKeyConstraint, Index, MetaData, Table, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase

from ..config import ConfigError
from ..extensions import NAMING_CONVENTION

# Column.info key of a column holding a user id, and what deleting the user does to it.
USER_KEY = "console_user_key"
# Table.info key marking the console's copies in a configured MetaData.
COPY = "console_table"
# Table.info key of the user-role table: the role table and column its triggers update.
MEMBER_COUNT = "console_member_count"
# Table.info key of the user-role table: the user table and the user-id column its
# creation-date triggers read.
MEMBER_CREATED_FROM = "console_member_created_from"
# The user-role table's copy of the member's create_datetime, kept by triggers (never
# written by the console): with the role before it, it orders the list of a role's members
# as the user list orders everyone (newest first, then id).
MEMBER_CREATED = "user_create_datetime"


class ConsoleModel(DeclarativeBase):
    """Base of the console's own tables; mapped once, copied into each configured MetaData.

    The copies are made once every feature's init_app has run, so a feature's table module
    (and any Index declared after its class) is imported by its package by then.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def user_key(ondelete: str) -> dict[str, str]:
    """Column info for a user id: `Column(Integer, info=user_key("CASCADE"))`."""
    return {USER_KEY: ondelete}


# Column.info key of a column holding a role id, and what deleting the role does to it.
ROLE_KEY = "console_role_key"


def role_key(ondelete: str) -> dict[str, str]:
    """Column info for a role id: `Column(Integer, info=role_key("CASCADE"))`."""
    return {ROLE_KEY: ondelete}


def attach(metadata: MetaData, user_table: Table, roles_users: Table, role_table: Table) -> None:
    """Add the console's tables, keys, indexes and triggers to `metadata` (idempotent)."""
    for table in ConsoleModel.metadata.sorted_tables:
        existing = metadata.tables.get(table.key)
        if existing is not None:
            if not existing.info.get(COPY):
                raise ConfigError(
                    f"The application already has a table named {table.name!r}, which is "
                    "one of the console's own tables."
                )
            continue
        copy = table.to_metadata(metadata)
        copy.info[COPY] = True
        for column in copy.columns:
            ondelete = column.info.get(USER_KEY)
            if ondelete:
                copy.append_constraint(
                    ForeignKeyConstraint([column], [user_table.c.id], ondelete=ondelete)
                )
            ondelete = column.info.get(ROLE_KEY)
            if ondelete:
                copy.append_constraint(
                    ForeignKeyConstraint([column], [role_table.c.id], ondelete=ondelete)
                )
    user_column, role_column = _index_memberships(roles_users, user_table, role_table)
    _order_memberships(roles_users, user_column, role_column)
    roles_users.info[MEMBER_COUNT] = (role_table.name, role_column.name)
    roles_users.info[MEMBER_CREATED_FROM] = (user_table.name, user_column.name)
    if not event.contains(roles_users, "after_create", _create_member_count_triggers):
        event.listen(roles_users, "after_create", _create_member_count_triggers)


def membership_columns(roles_users: Table, user_table: Table, role_table: Table) -> tuple[Any, Any]:
    """The user-id and role-id columns of the user-role table, found by their keys."""
    user_column = role_column = None
    for column in roles_users.columns:
        for key in column.foreign_keys:
            if key.references(user_table):
                user_column = column
            elif key.references(role_table):
                role_column = column
    if user_column is None or role_column is None:
        raise ConfigError(
            f"The table {roles_users.name!r} behind User.roles needs a foreign key to "
            f"{user_table.name!r} and one to {role_table.name!r}."
        )
    return user_column, role_column


def _index_memberships(roles_users: Table, user_table: Table, role_table: Table) -> tuple[Any, Any]:
    # The user loader joins by user id on every request, and role pages page members by
    # role id: each needs an index that starts with its column.
    user_column, role_column = membership_columns(roles_users, user_table, role_table)
    leading = {index.columns.values()[0].name for index in roles_users.indexes if index.columns}
    if roles_users.primary_key.columns:
        leading.add(roles_users.primary_key.columns.values()[0].name)
    for first, second in ((user_column, role_column), (role_column, user_column)):
        if first.name not in leading:
            Index(f"ix_{roles_users.name}_{first.name}_{second.name}", first, second)
    return user_column, role_column


def _order_memberships(roles_users: Table, user_column: Any, role_column: Any) -> None:
    # The copy is nullable: SQLite fills it after the row is in (its triggers cannot change
    # NEW), and Flask-Security inserts memberships with the two ids alone.
    if MEMBER_CREATED not in roles_users.c:
        roles_users.append_column(Column(MEMBER_CREATED, DateTime, nullable=True))
    name = member_order_index_name(roles_users.name, role_column.name)
    if all(index.name != name for index in roles_users.indexes):
        Index(name, role_column, roles_users.c[MEMBER_CREATED], user_column)


def member_order_index_name(table: str, role_column: str) -> str:
    """The name of the user-role table's (role, member's creation date, user) index."""
    return f"ix_{table}_{role_column}_{MEMBER_CREATED}"


def _create_member_count_triggers(target: Table, connection: Connection, **kw: Any) -> None:
    role_table, role_column = target.info[MEMBER_COUNT]
    user_table, user_column = target.info[MEMBER_CREATED_FROM]
    for statement in (
        *member_count_triggers(connection, target.name, role_table, role_column),
        *member_created_triggers(connection, target.name, user_table, user_column),
    ):
        connection.exec_driver_sql(statement)


def member_created_triggers(
    connection: Connection, table: str, user_table: str, user_column: str
) -> list[str]:
    """Triggers keeping `table`'s copy of each member's create_datetime from `user_table`.

    The same triggers as migration 2d9b6f0c8e17 (which names them for the shipped tables):
    a membership takes its member's date when it is written, and a member whose date
    changes carries it to their memberships. PostgreSQL sets it before the row is stored;
    SQLite, which cannot change NEW, updates the new row after.
    """
    quote = connection.dialect.identifier_preparer.quote
    members, users, member = quote(table), quote(user_table), quote(user_column)
    copy = quote(MEMBER_CREATED)
    prefix = f"tr_{table}_created"
    if connection.dialect.name == "postgresql":
        fill, carry = quote(f"{table}_created"), quote(f"{table}_created_carry")
        return [
            f"""CREATE OR REPLACE FUNCTION {fill}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.{copy} := (SELECT create_datetime FROM {users} WHERE id = NEW.{member});
                RETURN NEW;
            END $$""",  # noqa: S608
            f"""CREATE OR REPLACE FUNCTION {carry}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE {members} SET {copy} = NEW.create_datetime WHERE {member} = NEW.id;
                RETURN NULL;
            END $$""",  # noqa: S608
            f"""CREATE TRIGGER {quote(prefix + "_fill")}
                BEFORE INSERT OR UPDATE OF {member} ON {members}
                FOR EACH ROW EXECUTE FUNCTION {fill}()""",
            f"""CREATE TRIGGER {quote(prefix + "_carry")}
                AFTER UPDATE OF create_datetime ON {users} FOR EACH ROW
                WHEN (OLD.create_datetime IS DISTINCT FROM NEW.create_datetime)
                EXECUTE FUNCTION {carry}()""",
        ]
    return [
        f"""CREATE TRIGGER {quote(prefix + "_fill")} AFTER INSERT ON {members} BEGIN
            UPDATE {members} SET {copy} =
                (SELECT create_datetime FROM {users} WHERE id = NEW.{member})
            WHERE rowid = NEW.rowid;
        END""",  # noqa: S608
        f"""CREATE TRIGGER {quote(prefix + "_move")} AFTER UPDATE OF {member} ON {members} BEGIN
            UPDATE {members} SET {copy} =
                (SELECT create_datetime FROM {users} WHERE id = NEW.{member})
            WHERE rowid = NEW.rowid;
        END""",  # noqa: S608
        f"""CREATE TRIGGER {quote(prefix + "_carry")} AFTER UPDATE OF create_datetime ON {users}
            WHEN OLD.create_datetime IS NOT NEW.create_datetime BEGIN
            UPDATE {members} SET {copy} = NEW.create_datetime WHERE {member} = NEW.id;
        END""",  # noqa: S608
    ]


def member_count_triggers(
    connection: Connection, table: str, role_table: str, role_column: str
) -> list[str]:
    """Triggers keeping `member_count` of `role_table` equal to its rows in `table`.

    The same triggers as migration 8c2f4d61a9b3 (which names them for the shipped tables):
    per row on SQLite; on PostgreSQL per statement with transition tables, so that a bulk
    insert of a million memberships costs one UPDATE per role.
    """
    # The names come from the models' own tables, quoted by the dialect.
    quote = connection.dialect.identifier_preparer.quote
    members, roles, column = quote(table), quote(role_table), quote(role_column)
    prefix = f"tr_{table}_count"
    if connection.dialect.name == "postgresql":
        function = quote(f"{table}_count")
        return [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    UPDATE {roles} SET member_count = member_count - changed.n
                    FROM (SELECT {column} AS role_id, count(*) AS n FROM old_rows
                          GROUP BY {column}) AS changed
                    WHERE {roles}.id = changed.role_id;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    UPDATE {roles} SET member_count = member_count + changed.n
                    FROM (SELECT {column} AS role_id, count(*) AS n FROM new_rows
                          GROUP BY {column}) AS changed
                    WHERE {roles}.id = changed.role_id;
                END IF;
                RETURN NULL;
            END $$""",  # noqa: S608
            f"""CREATE TRIGGER {quote(prefix + "_insert")} AFTER INSERT ON {members}
                REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            f"""CREATE TRIGGER {quote(prefix + "_delete")} AFTER DELETE ON {members}
                REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            f"""CREATE TRIGGER {quote(prefix + "_update")} AFTER UPDATE ON {members}
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        ]
    return [
        f"""CREATE TRIGGER {quote(prefix + "_insert")} AFTER INSERT ON {members} BEGIN
            UPDATE {roles} SET member_count = member_count + 1 WHERE id = NEW.{column};
        END""",  # noqa: S608
        f"""CREATE TRIGGER {quote(prefix + "_delete")} AFTER DELETE ON {members} BEGIN
            UPDATE {roles} SET member_count = member_count - 1 WHERE id = OLD.{column};
        END""",  # noqa: S608
        f"""CREATE TRIGGER {quote(prefix + "_update")} AFTER UPDATE OF {column} ON {members} BEGIN
            UPDATE {roles} SET member_count = member_count - 1 WHERE id = OLD.{column};
            UPDATE {roles} SET member_count = member_count + 1 WHERE id = NEW.{column};
        END""",  # noqa: S608
    ]
