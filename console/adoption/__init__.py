"""Adopting an existing Flask-Security schema: `flask console adopt` and its undo.

A host that brings its own models (SecurityConsole(db=..., user_model=...)) usually has a
database made by them, full of accounts, before the console's mixins were added. The
command adds what the console needs to that database, records each thing it added, and
`--undo` removes exactly those, so the host's own schema and rows are never touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """Put the adoption record in a host's metadata and add the command."""
    from ..cli import console_cli
    from . import record
    from .cli import adopt_command

    if not state.models.shipped:
        # In the host's metadata, so that its own Alembic autogenerate sees the table as
        # expected instead of proposing to drop it (the shipped schema is never adopted).
        record.record_table(state.models.User.__table__.metadata)
    console_cli.add_command(adopt_command)
