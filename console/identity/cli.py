"""`flask console users remove-identity`: an operator removes a sign-in provider's link to an
account from a shell (a lost or compromised provider account), through the same flow as the
user page."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core import policy
from ..users.cli import AS_OPERATOR_HELP, account, acting_as
from . import flows


@click.command("remove-identity")
@click.argument("email")
@click.argument("provider")
@click.option(
    "--subject",
    help="The provider account's `sub`, when several accounts of PROVIDER are linked.",
)
@click.option("--reason", required=True, help="Why; the account holder reads it in a mail.")
@click.option("--as", "actor_email", help=AS_OPERATOR_HELP)
@with_appcontext
def remove_identity_command(
    email: str, provider: str, subject: str | None, reason: str, actor_email: str | None
) -> None:
    """Remove the link between the account with this EMAIL and its PROVIDER account (by the
    provider's configured name): the provider no longer signs in to it. Audited; the holder
    is mailed the reason."""
    actor = acting_as(actor_email)
    user = account(email)
    links = [
        item.identity
        for item in flows.linked(user)
        if item.identity.provider == provider
        and (subject is None or item.identity.subject == subject)
    ]
    if not links:
        raise click.ClickException(
            f"{email} has no linked {provider} account{' with that subject' if subject else ''}."
        )
    if len(links) > 1:
        subjects = ", ".join(link.subject for link in links)
        raise click.ClickException(
            f"{email} has {len(links)} linked {provider} accounts ({subjects}): name one "
            "with --subject."
        )
    try:
        flows.remove(actor, links[0], reason)
    except (flows.IdentityError, policy.PolicyError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{flows.label(provider)} will no longer sign in to {email}.")
