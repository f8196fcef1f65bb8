"""`flask console audit verify|checkpoint|purge`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..settings import setting
from . import checkpoints, flows


@click.group("audit")
def audit_cli() -> None:
    """Audit trail maintenance."""


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, exists=True),
    help="A checkpoint file (default CONSOLE_AUDIT_CHECKPOINT_FILE): its newest checkpoint "
    "must still be part of the chain.",
)
@with_appcontext
def verify_command(checkpoint_file: str | None) -> None:
    """Check the keyed chain (and its position against a checkpoint); exit 1 naming the
    first break."""
    try:
        result = flows.verify(checkpoint_file)
    except checkpoints.CheckpointError as error:
        click.echo(f"Audit checkpoint unusable: {error}", err=True)
        raise SystemExit(1) from None
    if result.ok:
        plain = f" ({result.plain} from before the chain was keyed)" if result.plain else ""
        click.echo(f"Audit trail intact: {result.checked} events verified{plain}.")
        if result.checkpoint is not None:
            click.echo(
                f"It still holds the checkpoint of {result.checkpoint['created_at']} "
                f"(event {result.checkpoint['last_event_id']})."
            )
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


@audit_cli.command("checkpoint")
@with_appcontext
def checkpoint_command() -> None:
    """Write a signed checkpoint of the chain now (log, and CONSOLE_AUDIT_CHECKPOINT_FILE)."""
    try:
        made = flows.checkpoint()
    except checkpoints.CheckpointError as error:
        click.echo(f"No checkpoint written: {error}", err=True)
        raise SystemExit(1) from None
    target = setting("CONSOLE_AUDIT_CHECKPOINT_FILE")
    where = (
        f" to {target}" if target else " to the log only (CONSOLE_AUDIT_CHECKPOINT_FILE is unset)"
    )
    click.echo(
        f"Checkpoint written{where}: event {made['last_event_id']}, "
        f"{made['event_count']} events counted, key {made['key_id']}."
    )


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
