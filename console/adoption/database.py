"""What an existing database holds: tables, columns, and index and trigger names.

Index names come from the catalogue rather than SQLAlchemy's inspector, which cannot
reflect SQLite's expression indexes (`lower(email)`) and would report them missing.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

# The databases whose DDL (triggers, dropping columns) the adoption knows how to write.
DIALECTS = ("sqlite", "postgresql")


def table_names(connection: Connection) -> set[str]:
    """The tables of the connection's default schema."""
    return set(inspect(connection).get_table_names())


def column_names(connection: Connection, table: str) -> set[str]:
    """The columns `table` has."""
    return {column["name"] for column in inspect(connection).get_columns(table)}


def index_names(connection: Connection, table: str) -> set[str]:
    """Every index on `table`, expression indexes and constraints' own included."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        query = (
            "SELECT indexname FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = :t"
        )
    return set(connection.execute(text(query), {"t": table}).scalars())


def trigger_names(connection: Connection, table: str) -> set[str]:
    """The (user-defined) triggers on `table`."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
    else:
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND c.relname = :t AND n.nspname = current_schema()"
        )
    return set(connection.execute(text(query), {"t": table}).scalars())


def function_exists(connection: Connection, name: str) -> bool:
    """Whether a function `name` exists (PostgreSQL; SQLite has none)."""
    if connection.dialect.name != "postgresql":
        return False
    query = (
        "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proname = :n AND n.nspname = current_schema()"
    )
    return connection.execute(text(query), {"n": name}).first() is not None
