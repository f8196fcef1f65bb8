"""`flask console users export-data`: an operator's copy of an account's personal data from a
shell, through the same flow as the user page's download."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import with_appcontext

from ..core import policy
from ..users.cli import AS_OPERATOR_HELP, account, acting_as
from . import flows


@click.command("export-data")
@click.argument("email")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", atomic=True),
    default="-",
    show_default=True,
    help="The file to write (- for standard output).",
)
@click.option("--as", "actor_email", help=AS_OPERATOR_HELP)
@with_appcontext
def export_data_command(email: str, output: IO[str], actor_email: str | None) -> None:
    """Write everything the console holds about the account with this EMAIL as one JSON file
    (to answer its holder's request, say). Recorded in the audit trail; sections the operator
    of --as may not read are left out and named in the file."""
    actor = acting_as(actor_email)
    try:
        result = flows.export_for(actor, account(email))
    except policy.PolicyError as error:
        raise click.ClickException(str(error)) from error
    for chunk in result.chunks:
        output.write(chunk)
    if result.omitted:
        click.echo(
            f"Left out (not readable as {actor_email}): {', '.join(result.omitted)}", err=True
        )
