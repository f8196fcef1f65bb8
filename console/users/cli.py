"""`flask console users ...`: the operators' user actions from a shell, through the same flows."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..accounts import find_user_by_email
from ..core import dates, policy
from ..core.models import models
from ..extensions import db
from ..jobs.cli import echo_report, follow, summary
from ..jobs.queue import queue
from . import bulk, flows


@click.group("users")
def users_cli() -> None:
    """User account commands."""


def acting_as(actor_email: str | None) -> Any:
    """The operator of an `--as` option, or None (the host's administrator)."""
    if not actor_email:
        return None
    actor = find_user_by_email(actor_email)
    if actor is None or not actor.active:
        raise click.ClickException(f"No active account has the email address {actor_email}.")
    return actor


def account(email: str) -> Any:
    """The account with this address, or a ClickException saying there is none."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}.")
    return user


# The --as option of every command acting on accounts.
AS_OPERATOR_HELP = (
    "Act as this operator: their permissions and the who-may-act-on-whom rule apply. "
    "Without it the command acts as the host's administrator."
)


@users_cli.command("action")
@click.argument("action", type=click.Choice(sorted(flows.ACTIONS)))
@click.argument("emails", nargs=-1, required=True)
@click.option("--as", "actor_email", help=AS_OPERATOR_HELP)
@click.option("--hard", is_flag=True, help="With delete: remove the accounts for good.")
@with_appcontext
def action_command(
    action: str, emails: tuple[str, ...], actor_email: str | None, hard: bool
) -> None:
    """Run ACTION (activate, deactivate, delete...) on the accounts with these EMAILS."""
    actor = acting_as(actor_email)
    users = [find_user_by_email(email) for email in emails]
    missing = [email for email, user in zip(emails, users, strict=True) if user is None]
    if missing:
        raise click.ClickException(f"No account has the email address {', '.join(missing)}.")
    options = {"hard": True} if action == "delete" and hard else {}
    result = flows.run_action(actor, action, [u.id for u in users if u is not None], **options)
    db.session.commit()
    click.echo(f"{action}: done for {result.done}, unchanged {result.unchanged}.")
    for refusal in result.refused:
        click.echo(f"Refused: {refusal}", err=True)
    if result.refused:
        raise SystemExit(1)


def _filters(pairs: tuple[str, ...]) -> dict[str, str]:
    """--filter KEY=VALUE pairs as the list's URL arguments; a role may be named."""
    args: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in bulk.FILTER_KEYS:
            raise click.BadParameter(
                f"{pair!r}: use KEY=VALUE with KEY one of {', '.join(bulk.FILTER_KEYS)}",
                param_hint="--filter",
            )
        if key == "role" and not value.isdigit():
            Role = models().Role
            role = db.session.scalar(select(Role).where(Role.name == value))
            if role is None:
                raise click.BadParameter(f"no role is named {value!r}", param_hint="--filter")
            value = str(role.id)
        args[key] = value
    return args


@users_cli.command("bulk")
@click.argument("action", type=click.Choice(sorted(flows.ACTIONS)))
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="A filter of the users list: q (search), active, confirmed, mfa, locked (yes/no), "
    "role (name or id), login_after, login_before, created_from, created_to (YYYY-MM-DD). "
    "Repeat for several; none means every account.",
)
@click.option(
    "--as",
    "actor_email",
    help="Act as this operator: their permissions and the who-may-act-on-whom rule apply "
    "to each account. Without it the command acts as the host's administrator.",
)
@click.option("--hard", is_flag=True, help="With delete: remove the accounts for good.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--queue",
    "to_queue",
    is_flag=True,
    help="Hand the job to the workers instead of running it here.",
)
@with_appcontext
def bulk_command(
    action: str,
    filters: tuple[str, ...],
    actor_email: str | None,
    hard: bool,
    yes: bool,
    to_queue: bool,
) -> None:
    """Run ACTION on every account matching the filters, as a job in batches (here, with a
    progress bar, unless --queue); refusals are listed at the end."""
    actor = acting_as(actor_email)
    params = bulk.list_params(_filters(filters))
    if params.errors:
        raise click.BadParameter(
            f"not a date (YYYY-MM-DD): {', '.join(params.errors)}", param_hint="--filter"
        )
    with dates.read_by(actor):  # a day means what it means on the operator's page
        total = bulk.count_matching(params)
    described = (
        "; ".join(
            f"{name}: {value}" for name, value in bulk.describe_filters(bulk.filter_args(params))
        )
        or "every account"
    )
    click.echo(
        f"{action}{' (permanently)' if hard else ''}: {total} account(s) match ({described})."
    )
    if not total:
        return
    if not yes:
        click.confirm("Go on?", abort=True)
    try:
        job = bulk.start(actor, action, params, hard=hard, origin="cli", enqueue=False)
    except policy.PolicyError as error:
        raise click.ClickException(str(error)) from error
    if to_queue:
        queue().enqueue(job.id)
        click.echo(f"Job {job.id} queued: `flask console jobs list` or the jobs page follow it.")
        return
    ended = follow(job.id, action)
    if ended is None:
        raise click.ClickException(f"Job {job.id} is being run by a worker.")
    click.echo(summary(ended))
    echo_report(ended)
    if ended.state != "done" or ended.reported:
        raise SystemExit(1)
