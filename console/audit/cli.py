"""`flask console audit verify|purge`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from . import flows


@click.group("audit")
def audit_cli() -> None:
    """Audit trail maintenance."""


@audit_cli.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check the hash chain; exit 1 naming the first broken link."""
    result = flows.verify()
    if result.ok:
        click.echo(f"Audit trail intact: {result.checked} events verified.")
        return
    broken = result.broken
    assert broken is not None
    where = f"event {broken.event_id}" if broken.event_id is not None else "the chain head"
    click.echo(
        f"Audit trail broken at {where}: {broken.reason} "
        f"({result.checked} events before it verified).",
        err=True,
    )
    raise SystemExit(1)


@audit_cli.command("purge")
@click.option("--days", type=int, help="Keep this many days (default CONSOLE_AUDIT_RETENTION).")
@click.option("--batch", type=int, default=1000, show_default=True, help="Events per batch.")
@with_appcontext
def purge_command(days: int | None, batch: int) -> None:
    """Delete events older than the retention, in batches; safe to re-run."""
    if days is not None and days < 0:
        raise click.BadParameter("must be zero or more", param_hint="--days")
    retention = timedelta(days=days) if days is not None else None
    total = flows.purge_candidates(retention)
    with click.progressbar(length=total, label="Purging audit events") as bar:
        deleted = flows.purge(retention, batch=max(1, batch), progress=bar.update)
    click.echo(f"Deleted {deleted} events; the remaining trail stays verifiable.")
