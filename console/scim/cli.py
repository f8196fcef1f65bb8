"""`flask console scim-token`: a service account for an identity provider and its token."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from flask_security import naive_utcnow

from ..accounts import ensure_role, find_user_by_email
from ..api import tokens
from ..core.permissions import is_declared
from ..extensions import db
from ..users import flows as user_flows
from .auth import SCOPE

# The role of provisioning service accounts and what it carries: reading and writing
# accounts and roles (the flows' own permissions) and the SCIM scope itself.
ROLE = "SCIM provisioning"
PERMISSIONS = ("users:read", "users:write", "roles:read", "roles:write", SCOPE)


@click.command("scim-token")
@click.argument("email")
@click.option(
    "--name",
    default="Identity provider",
    show_default=True,
    help="The token's name, shown in the audit trail as the provider of every change it makes.",
)
@click.option(
    "--days",
    default=365,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="Days until the token expires (at most CONSOLE_API_TOKEN_MAX_LIFETIME).",
)
@click.option(
    "--scope",
    "extra",
    multiple=True,
    help="A further permission the provider "
    "needs to manage accounts that hold it (e.g. sessions:read); repeatable.",
)
@with_appcontext
def scim_token_command(email: str, name: str, days: int, extra: tuple[str, ...]) -> None:
    """Create (or reuse) the service account EMAIL for an identity provider, give it the
    "SCIM provisioning" role, and print a new token carrying the scim:provision scope.

    The account has no password and never signs in. It may change only the accounts whose
    permissions it holds itself: add --scope for each further permission it should manage.
    """
    unknown = [scope for scope in extra if not is_declared(scope)]
    if unknown:
        raise click.ClickException(f"Unknown permission: {', '.join(unknown)}.")
    role = ensure_role(ROLE, [], "Service accounts of identity providers (SCIM)")
    held = set(role.get_permissions())
    role.permissions = [*role.get_permissions(), *sorted(set(PERMISSIONS + extra) - held)]
    db.session.commit()
    user = find_user_by_email(email)
    try:
        if user is None:
            user = user_flows.create_user(None, email=email, name=name, roles=[role], invite=False)
        elif role not in user.roles:
            user_flows.update_user(
                None, user, version=user.edit_version, values={}, roles=[*user.roles, role]
            )
        created = tokens.create_token(
            user,
            name=name,
            scopes=sorted(set(PERMISSIONS + extra)),
            expires_at=naive_utcnow() + timedelta(days=days),
        )
    except (ValueError, user_flows.UserFlowError, tokens.TokenError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Service account {user.email} holds the role “{ROLE}”.")
    click.echo(f"Token “{name}” (expires in {days} days), shown once:")
    click.echo(created.secret)
