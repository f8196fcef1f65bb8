"""`flask console users import FILE --as OPERATOR`: the CSV import from a shell, through the
same dry run and job as the page."""

from __future__ import annotations

import os
from typing import IO, Any

import click
from flask import url_for
from flask.cli import with_appcontext

from ..accounts import find_user_by_email
from ..core import policy
from ..extensions import db
from ..jobs.cli import echo_report, follow, summary
from . import flows
from .errors import UploadError
from .models import ImportUpload


def _operator(email: str) -> Any:
    actor = find_user_by_email(email)
    if actor is None or not actor.active:
        raise click.ClickException(f"No active account has the email address {email}.")
    return actor


def echo_preview(upload: Any) -> None:
    """The dry run's counts on stdout, the rows it would skip on stderr."""
    counts = flows.counts(upload)
    click.echo(
        f"{upload.rows} row(s): to create {counts[flows.CREATED]}, to update "
        f"{counts[flows.UPDATED]}, unchanged {counts[flows.UNCHANGED]}, with errors "
        f"{counts[flows.INVALID]}, refused {counts[flows.REFUSED]}."
    )
    errors = (upload.preview or {}).get("errors", [])
    for line in errors:
        click.echo(f"Row {line['row']}: {line['email']}: {line['message']}", err=True)
    more = counts[flows.INVALID] + counts[flows.REFUSED] - len(errors)
    if more > 0:
        click.echo(f"... and {more} more.", err=True)


def _checked(actor: Any, upload: ImportUpload) -> ImportUpload:
    """The upload once its dry run is done: a long file's check job is run here, with a
    progress bar, as the page's worker would."""
    job = flows.check_job(upload)
    if job is None or flows.checked(upload):
        return upload
    upload_id = upload.id
    ended = follow(job.id, "Check")
    if ended is None:
        raise click.ClickException(f"Job {job.id} is being run by a worker.")
    db.session.expire_all()
    found = db.session.get(ImportUpload, upload_id)
    if ended.state != "done" or found is None or not flows.checked(found):
        if found is not None:
            flows.discard(actor, found)
        raise click.ClickException(f"The check stopped: {ended.error or ended.state}.")
    return found


def _require_external_urls() -> None:
    """An invitation carries a link to the console: from a shell, SERVER_NAME gives its
    address (a page records the address it was served on)."""
    try:
        url_for("console.home", _external=True)
    except RuntimeError as error:
        raise click.ClickException(
            "Set SERVER_NAME (and PREFERRED_URL_SCHEME) to the console's public address to "
            "send invitations from the shell, or import without --invite."
        ) from error


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--as",
    "actor_email",
    required=True,
    metavar="OPERATOR_EMAIL",
    help="Import as this operator: their permissions, the roles they may grant and the "
    "who-may-act-on-whom rule apply to each row.",
)
@click.option("--dry-run", is_flag=True, help="Only check the file and print what it would do.")
@click.option("--invite", is_flag=True, help="Mail an invitation to each account created.")
@with_appcontext
def import_command(file: IO[bytes], actor_email: str, dry_run: bool, invite: bool) -> None:
    """Create and update accounts from a CSV FILE (columns email, name, username, roles,
    language, time zone): a dry run first (a long file's with a progress bar), then a job
    with a progress bar."""
    actor = _operator(actor_email)
    if invite and not dry_run:
        _require_external_urls()
    filename = os.path.basename(getattr(file, "name", "") or "") or "-"
    try:
        upload = flows.store(
            file, filename=filename, actor=actor, invite=invite, origin="cli", enqueue=False
        )
    except (UploadError, policy.PolicyError) as error:
        raise click.ClickException(str(error)) from error
    upload = _checked(actor, upload)
    echo_preview(upload)
    if dry_run or not flows.would_change(upload):
        flows.discard(actor, upload)
        click.echo("Dry run: nothing was changed." if dry_run else "Nothing to change.")
        return
    try:
        job = flows.apply(actor, upload, origin="cli", enqueue=False)
    except (UploadError, policy.PolicyError) as error:
        raise click.ClickException(str(error)) from error
    ended = follow(job.id, "Import")
    if ended is None:
        raise click.ClickException(f"Job {job.id} is being run by a worker.")
    click.echo(summary(ended))
    echo_report(ended)
    if ended.state != "done":
        raise SystemExit(1)
