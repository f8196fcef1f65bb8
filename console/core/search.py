"""Prefix search in a form an index serves: LIKE patterns escaped, ranges on lower()."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func

from ..extensions import db


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards and the escape character taken literally (escape "\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_prefix(column: Any, prefix: str) -> Any:
    """`column LIKE 'prefix%'` with `prefix` taken literally."""
    return column.like(escape_like(prefix) + "%", escape="\\")


def _following(text: str) -> str:
    """The smallest string greater than every string that starts with `text`."""
    last = ord(text[-1])
    return text[:-1] + chr(last + 1) if last < 0x10FFFF else text + "\uffff"


def sql_lower(text: str) -> str:
    """`text` lowered the way the database's lower() does (SQLite lowers ASCII only)."""
    if db.engine.dialect.name == "sqlite":
        return "".join(c.lower() if c.isascii() else c for c in text)
    return text.lower()


def prefix_range(column: Any, prefix: str) -> Any:
    """lower(column) starts with `prefix`, as a range a plain lower() index serves."""
    low = sql_lower(prefix)
    expr = func.lower(column)
    return and_(expr >= low, expr < _following(low))


def starts_with(column: Any, prefix: str) -> Any:
    """`column` starts with `prefix`, case-sensitively, in a form an index serves: LIKE on
    PostgreSQL (pattern-ops indexes), a range on SQLite (whose LIKE ignores case and so
    cannot use a plain index)."""
    if db.engine.dialect.name != "sqlite":
        return like_prefix(column, prefix)
    return and_(column >= prefix, column < _following(prefix))
