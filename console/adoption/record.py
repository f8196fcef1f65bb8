"""The adoption record: one row per table, column, index, trigger or function it added.

`--undo` removes what the record lists and nothing else, so an object the host had before
(a column of the same name, an index it made itself) is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask_security import naive_utcnow
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
)

TABLE = "console_adoption"

Kind = Literal["table", "column", "index", "trigger", "function"]


@dataclass(frozen=True)
class Step:
    """One object added to the schema: its kind, the table it belongs to, its name."""

    kind: Kind
    table: str
    name: str

    def describe(self) -> str:
        """`column user.name`, `index ix_user_email_lower on user`, `table audit_event`."""
        if self.kind == "table":
            return f"table {self.name}"
        if self.kind == "column":
            return f"column {self.table}.{self.name}"
        if self.kind == "function":
            return f"function {self.name}() for {self.table}"
        return f"{self.kind} {self.name} on {self.table}"


def record_table(metadata: MetaData) -> Table:
    """The record's table in `metadata` (added once)."""
    existing = metadata.tables.get(TABLE)
    if existing is not None:
        return existing
    return Table(
        TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("table_name", String(255), nullable=False),
        Column("name", String(255), nullable=False),
        Column("added_at", DateTime, nullable=False),
        UniqueConstraint("kind", "table_name", "name", name="uq_console_adoption_step"),
    )


# The record's own table, as the command reads and writes it (no application's metadata).
_RECORD = record_table(MetaData())
# The record's first row when the command made the record's table itself.
OWN_TABLE = Step("table", TABLE, TABLE)


def add(connection: Connection, step: Step) -> None:
    """Note `step` (in the transaction that makes it)."""
    connection.execute(
        insert(_RECORD).values(
            kind=step.kind, table_name=step.table, name=step.name, added_at=naive_utcnow()
        )
    )


def remove(connection: Connection, step: Step) -> None:
    """Forget `step` (in the transaction that drops it)."""
    connection.execute(
        delete(_RECORD).where(
            _RECORD.c.kind == step.kind,
            _RECORD.c.table_name == step.table,
            _RECORD.c.name == step.name,
        )
    )


def steps(connection: Connection) -> list[Step]:
    """Everything the adoption added, in the order it was added."""
    rows = connection.execute(
        select(_RECORD.c.kind, _RECORD.c.table_name, _RECORD.c.name).order_by(_RECORD.c.id)
    )
    return [Step(row.kind, row.table_name, row.name) for row in rows]
