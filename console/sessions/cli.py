"""`flask console sessions ...`: maintenance of the session registry."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import flows


@click.group("sessions")
def sessions_cli() -> None:
    """Session registry commands."""


@sessions_cli.command("purge")
@click.option("--batch", default=500, show_default=True, help="Records deleted per batch.")
@with_appcontext
def purge_command(batch: int) -> None:
    """Delete session records that ended, idled out or outlived their lifetime."""
    total = 0
    for count in flows.purge_all(batch=max(1, batch)):
        total += count
        click.echo(f"  purged {total} so far", err=True)
    click.echo(f"Purged {total} session records.")
