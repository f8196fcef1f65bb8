"""`flask console ...` commands: operators, demo data, maintenance."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext

from . import demo
from .accounts import create_operator


@click.group("console")
def console_cli() -> None:
    """Security Console commands."""


@console_cli.command("create-operator")
@click.argument("email")
@click.option("--password", help="Password to set (prompted for when omitted).")
@click.option("--generate", is_flag=True, help="Generate a strong password and print it.")
@with_appcontext
def create_operator_command(email: str, password: str | None, generate: bool) -> None:
    """Create (or promote) EMAIL as an operator holding every permission."""
    if generate:
        password = secrets.token_urlsafe(14)
    elif not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = create_operator(email, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    verb = "Created" if created else "Updated"
    click.echo(f"{verb} operator {user.email}.")
    if generate:
        click.echo(f"Password: {password}")


@console_cli.command("demo")
@click.option("--users", default=50, show_default=True, help="How many demo users.")
@with_appcontext
def demo_command(users: int) -> None:
    """Fill the database with realistic demo data and print how to sign in."""
    email, password, created = demo.seed(users)
    if created:
        click.echo(f"Created {users} demo users.")
    click.echo("")
    click.echo("  Sign in at the console with the demo operator:")
    click.echo(f"    email:    {email}")
    click.echo(f"    password: {password}")
    click.echo("")
