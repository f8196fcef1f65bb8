"""Schema and row dumps of a database, to compare it before and after (un)adoption."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

Dump = dict[str, Any]


def schema(url: str) -> Dump:
    """Every table, column, constraint, index, trigger and function, as the catalogue says."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
                )
                return {"sqlite_master": [tuple(row) for row in rows]}
            return {name: _rows(connection, query) for name, query in POSTGRES.items()}
    finally:
        engine.dispose()


POSTGRES = {
    "columns": "SELECT table_name, column_name, ordinal_position, data_type, "
    "character_maximum_length, is_nullable, column_default FROM information_schema.columns "
    "WHERE table_schema = 'public'",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE NOT tgisinternal",
    "functions": "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
}


def _rows(connection: sa.Connection, query: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in connection.exec_driver_sql(query))


def rows(url: str, columns: dict[str, list[str]] | None = None) -> Dump:
    """Every row of every table (or of the given tables and columns), in a stable order."""
    wanted = columns if columns is not None else table_columns(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = {}
            for name, names in wanted.items():
                table = sa.table(name, *(sa.column(c) for c in names))
                result = connection.execute(sa.select(*table.c))
                found[name] = sorted((tuple(map(repr, row)) for row in result), key=str)
            return found
    finally:
        engine.dispose()


def table_columns(url: str) -> dict[str, list[str]]:
    """Each table's columns."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            return {
                table: [column["name"] for column in inspector.get_columns(table)]
                for table in inspector.get_table_names()
            }
    finally:
        engine.dispose()
