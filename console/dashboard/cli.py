"""`flask console dashboard refresh`: recompute the dashboard's snapshot (for cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import figures, snapshot


@click.group("dashboard")
def dashboard_cli() -> None:
    """Dashboard maintenance."""


@dashboard_cli.command("refresh")
@with_appcontext
def refresh_command() -> None:
    """Recompute the dashboard's figures now, in batches, and store them."""
    with click.progressbar(length=figures.user_count(), label="Counting users") as bar:
        current = snapshot.refresh(progress=bar.update)
    click.echo(
        f"Dashboard figures stored: {current.users.total} users, "
        f"as of {current.computed_at.isoformat(timespec='seconds')} UTC."
    )
