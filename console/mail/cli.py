"""`flask console mail retry`: send the mail kept after a failed send."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core import notify


@click.group("mail")
def mail_cli() -> None:
    """Mail to account holders."""


@mail_cli.command("retry")
@click.option("--due", is_flag=True, help="Only messages whose wait before a retry is over.")
@with_appcontext
def retry_command(due: bool) -> None:
    """Send every kept message (oldest first); exit 1 while some still fail."""
    sent, failed = notify.retry(due_only=due)
    click.echo(f"Sent {sent} kept messages; {failed} still failing.")
    if failed:
        raise SystemExit(1)
