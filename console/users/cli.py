"""`flask console users ...`: the operators' user actions from a shell, through the same flows."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..accounts import find_user_by_email
from ..extensions import db
from . import flows


@click.group("users")
def users_cli() -> None:
    """User account commands."""


@users_cli.command("action")
@click.argument("action", type=click.Choice(sorted(flows.ACTIONS)))
@click.argument("emails", nargs=-1, required=True)
@click.option(
    "--as",
    "actor_email",
    help="Act as this operator: their permissions and the who-may-act-on-whom rule apply. "
    "Without it the command acts as the host's administrator.",
)
@click.option("--hard", is_flag=True, help="With delete: remove the accounts for good.")
@with_appcontext
def action_command(
    action: str, emails: tuple[str, ...], actor_email: str | None, hard: bool
) -> None:
    """Run ACTION (activate, deactivate, delete...) on the accounts with these EMAILS."""
    actor = None
    if actor_email:
        actor = find_user_by_email(actor_email)
        if actor is None or not actor.active:
            raise click.ClickException(f"No active account has the email address {actor_email}.")
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
