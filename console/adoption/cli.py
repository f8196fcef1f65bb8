"""`flask console adopt`: add what the console needs to an existing Flask-Security schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext

from . import flows
from .record import Step

# What --undo destroys besides the schema objects: the console's own data.
CONSOLE_DATA = "the audit trail, sessions, outbox and the console's other tables with their rows"


@click.command("adopt")
@click.option("--undo", is_flag=True, help="Remove everything an adoption added.")
@click.option("--dry-run", is_flag=True, help="List what an adoption would add; change nothing.")
@click.option("--yes", is_flag=True, help="With --undo: do not ask for confirmation.")
@click.option(
    "--batch-size", default=flows.BATCH, show_default=True, help="Rows written per transaction."
)
@with_appcontext
def adopt_command(undo: bool, dry_run: bool, yes: bool, batch_size: int) -> None:
    """Add the console's tables, columns, indexes and counters to this application's
    existing Flask-Security schema, without changing any existing value."""
    try:
        if dry_run:
            _dry_run()
        elif undo:
            _undo(yes)
        else:
            _adopt(max(1, batch_size))
    except flows.AdoptionError as error:
        raise click.ClickException(str(error)) from error


def _adopt(batch: int) -> None:
    report = flows.adopt(batch=batch, progress=_bar)
    for step in report.added:
        click.echo(f"  added {step.describe()}")
    if not report.changed:
        click.echo("Nothing to do: the schema already has everything the console needs.")
        return
    click.echo(
        f"Adopted: {_summary(report.added) or 'no schema change'}; "
        f"{report.addresses_set} canonical addresses set, "
        f"{report.counts_fixed} role member counts set, "
        f"{report.flags_set} second-factor flags set, "
        f"{report.member_dates_set} membership dates set, "
        f"{report.permissions_granted} permissions granted to full administrators. "
        "Undo with `flask console adopt --undo`."
    )


def _undo(yes: bool) -> None:
    if not yes:
        click.confirm(
            f"This removes what `flask console adopt` added, {CONSOLE_DATA} included. "
            "The application's own tables and rows stay as they were. Continue?",
            abort=True,
        )
    report = flows.undo(progress=_bar)
    for step in report.removed:
        click.echo(f"  removed {step.describe()}")
    if not report.removed:
        click.echo("Nothing to undo: no adoption is recorded in this database.")
        return
    click.echo(f"Removed {_summary(report.removed)}: the schema is as it was before adoption.")


def _dry_run() -> None:
    steps = flows.pending(flows.configured())
    if not steps:
        click.echo("Nothing to add to the schema (role counts and addresses are checked on a run).")
        return
    for step in steps:
        click.echo(f"  would add {step.describe()}")
    click.echo(f"An adoption would add {_summary(steps)}, then fill its counters.")


def _summary(steps: list[Step]) -> str:
    counts = Counter(step.kind for step in steps)
    order = ("table", "column", "index", "trigger", "function")
    plural = {"index": "indexes"}
    return ", ".join(
        f"{counts[kind]} {kind if counts[kind] == 1 else plural.get(kind, kind + 's')}"
        for kind in order
        if counts[kind]
    )


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A click progress bar for one batched pass."""
    with click.progressbar(length=total, label=label) as bar:
        yield bar.update
