"""CSV import of user accounts: each row checked by one set of rules, a dry run that writes
nothing, and the import applied as a background job through the users' own flows.

A row is checked the same way by the dry run and by the job (`plan_rows`): a valid address,
no look-alike of an existing account or of another row (the canonical address, as sign-in
and the unique index read it), known roles the operator may grant (the roles flows'
policy), a console language and a time zone, and no duplicate in the file. A valid row
creates an account, updates one (only its non-empty cells; `roles` lists every role the
account ends with), or changes nothing. The job walks the rows after its cursor (a row
number) a batch per transaction, through users.flows' add_user / change_user /
add_invitation, so permissions, who may act on whom, the last-administrator guard, audit
events and mail are those of the form; rows with errors and refusals go to its report.

A file of up to CONSOLE_IMPORT_PREVIEW_INLINE_ROWS rows is dry-run within the upload's
request; a larger one by a job of its own kind (CHECK_KIND) that checks a batch per
transaction, adding each batch's counts and first errors to the upload's preview (and its
errors to its report), so no request waits for a long file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased, selectinload

from ..core import jobs as registry
from ..core import policy
from ..core.emails import canonical_email
from ..core.models import models
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..jobs import flows as jobs_flows
from ..jobs.models import ACTIVE, Job
from ..roles import guardrails
from ..settings import setting
from ..users import flows as user_flows
from . import upload as uploads
from .errors import UploadError, text
from .models import ImportChunk, ImportKey, ImportUpload

KIND = "users.import"
# The dry run of a file too long to check within a request.
CHECK_KIND = "users.import.check"
# Rows the dry run checks per round of queries, and the errors a preview keeps.
PLAN_BATCH = 500
PREVIEW_ERRORS = 100

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
INVALID = "invalid"
REFUSED = "refused"

OUTCOMES: dict[str, Any] = {
    CREATED: _l("Created"),
    UPDATED: _l("Updated"),
    UNCHANGED: _l("Unchanged"),
    INVALID: _l("Skipped: errors"),
    REFUSED: _l("Refused"),
}
# The same outcomes as a check job counts them: what applying would do.
CHECK_OUTCOMES: dict[str, Any] = {
    CREATED: _l("To create"),
    UPDATED: _l("To update"),
    UNCHANGED: _l("Unchanged (skipped)"),
    INVALID: _l("With errors (skipped)"),
    REFUSED: _l("Refused (skipped)"),
}
# The columns a row may set on an account, and the account's attribute each one sets.
PROFILE = (
    ("name", "name"),
    ("username", "username"),
    ("language", "locale"),
    ("timezone", "timezone"),
)
LONGEST = 255


@dataclass
class Plan:
    """What one row would do: its outcome, and for an error or a refusal why."""

    row: uploads.Row
    outcome: str
    code: str = ""
    message: str = ""
    user: Any = None
    email: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    roles: list[Any] | None = None

    @property
    def item(self) -> str:
        return _("Row %(num)s: %(email)s", num=self.row.number, email=self.row.get("email"))


@dataclass
class _Context:
    actor: Any
    columns: int
    roles: dict[str, Any]
    users: dict[str, Any]
    usernames: dict[str, int]
    earlier: dict[tuple[int, str], tuple[int, str]]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _earlier(upload_id: int, rows: list[uploads.Row]) -> dict[tuple[int, str], tuple[int, str]]:
    """{(row, kind): (first row with the same key, its value)} for the rows of `rows` whose
    address or username an earlier row of the file already has (one index probe a row)."""
    mine = aliased(ImportKey)
    other = aliased(ImportKey)
    first = (
        select(func.min(other.row))
        .where(other.upload_id == mine.upload_id, other.kind == mine.kind, other.key == mine.key)
        .correlate(mine)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(mine.row, mine.kind, first).where(
            mine.upload_id == upload_id, mine.row.between(rows[0].number, rows[-1].number)
        )
    ).all()
    duplicates = {(row, kind): earliest for row, kind, earliest in found if earliest < row}
    if not duplicates:
        return {}
    values = dict(
        ((row, kind), value)
        for row, kind, value in db.session.execute(
            select(ImportKey.row, ImportKey.kind, ImportKey.value).where(
                ImportKey.upload_id == upload_id,
                ImportKey.row.in_(sorted(set(duplicates.values()))),
            )
        )
    )
    return {
        (row, kind): (earliest, values.get((earliest, kind), ""))
        for (row, kind), earliest in duplicates.items()
    }


def _context(actor: Any, upload: ImportUpload, rows: list[uploads.Row]) -> _Context:
    """Everything the batch's checks read, in a few queries for the whole batch."""
    User = models().User
    Role = models().Role
    canonical = {canonical_email(row.get("email")) for row in rows if row.get("email")}
    users = {}
    if canonical:
        stmt = (
            select(User)
            .where(User.email_canonical.in_(sorted(canonical)))
            .options(selectinload(User.roles))
        )
        users = {user.email_canonical: user for user in db.session.scalars(stmt)}
    names = {row.get("username").lower() for row in rows if row.get("username")}
    usernames = {}
    if names:
        stmt = select(User.id, User.username).where(func.lower(User.username).in_(sorted(names)))
        usernames = {name.lower(): user_id for user_id, name in db.session.execute(stmt)}
    return _Context(
        actor=actor,
        columns=len(upload.columns or []),
        roles={role.name: role for role in db.session.scalars(select(Role))},
        users=users,
        usernames=usernames,
        earlier=_earlier(upload.id, rows),
    )


class _RowError(Exception):
    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        self.code = code
        super().__init__(message if message is not None else text(code, **params))


def _cells(row: uploads.Row, context: _Context) -> tuple[str, list[Any] | None]:
    """The row's normalized address and its roles (None: no roles cell), or _RowError."""
    from flask_security.proxies import _security

    if row.found != context.columns:
        raise _RowError("cells", found=row.found, expected=context.columns)
    email = row.get("email")
    if not email:
        raise _RowError("email_missing")
    try:
        normalized = _security._mail_util.validate(email)
    except ValueError as error:
        raise _RowError("email_invalid", email=email[:320]) from error
    for column, label in (("name", _l("Name")), ("username", _l("Username"))):
        if len(row.get(column)) > LONGEST:
            raise _RowError("too_long", field=label, num=LONGEST)
    username = row.get("username")
    if username and _security._username_util.validate(username)[0]:
        raise _RowError("username_invalid", username=username)
    language = row.get("language")
    languages = setting("CONSOLE_LANGUAGES")
    if language and language not in languages:
        raise _RowError("language", value=language, languages=", ".join(languages))
    zone = row.get("timezone")
    if zone and zone not in _zones():
        raise _RowError("timezone", value=zone[:80])
    names = [name.strip() for name in row.get("roles").split(uploads.ROLE_SEPARATOR)]
    names = list(dict.fromkeys(name for name in names if name))
    for name in names:
        if name not in context.roles:
            raise _RowError("role_unknown", role=name[:80])
    return normalized, ([context.roles[name] for name in names] if names else None)


def _no_duplicate(row: uploads.Row, normalized: str, context: _Context) -> None:
    earlier = context.earlier.get((row.number, "email"))
    if earlier is not None:
        first, value = earlier
        if value.strip().casefold() == row.get("email").casefold():
            raise _RowError("duplicate", row=first)
        raise _RowError("lookalike_row", row=first, other=value)
    earlier = context.earlier.get((row.number, "username"))
    if earlier is not None:
        raise _RowError("username_duplicate", row=earlier[0])


def _may_grant(actor: Any, roles: Iterable[Any]) -> None:
    """The roles flows' rule: roles:write, and only roles whose permissions one holds."""
    refused = policy.refusal(actor, "roles:write")
    if refused is not None:
        raise _RowError(refused.code, str(refused))
    if actor is None:
        return
    try:
        guardrails.assert_can_grant(actor, roles)
    except guardrails.GuardrailError as error:
        raise _RowError(error.code, str(error)) from error


def _plan(row: uploads.Row, context: _Context) -> Plan:
    try:
        normalized, roles = _cells(row, context)
        _no_duplicate(row, normalized, context)
        user = context.users.get(canonical_email(row.get("email")))
        if user is not None and user.email.casefold() != normalized.casefold():
            raise _RowError("lookalike_account", other=user.email)
        username = row.get("username")
        owner = context.usernames.get(username.lower()) if username else None
        if owner is not None and (user is None or owner != user.id):
            raise _RowError("username_taken", username=username)
        if user is None:
            return _plan_create(row, normalized, roles, context)
        return _plan_update(row, user, roles, context)
    except _RowError as error:
        outcome = REFUSED if error.code == "outranked" else INVALID
        return Plan(row, outcome, error.code, str(error))


def _plan_create(row: uploads.Row, email: str, roles: list[Any] | None, context: _Context) -> Plan:
    refused = policy.refusal(context.actor, "users:write")
    if refused is not None:
        return Plan(row, REFUSED, refused.code, str(refused))
    if roles:
        _may_grant(context.actor, roles)
    values = {attr: row.get(column) for column, attr in PROFILE if row.get(column)}
    return Plan(row, CREATED, email=email, values=values, roles=roles or [])


def _plan_update(row: uploads.Row, user: Any, roles: list[Any] | None, context: _Context) -> Plan:
    values = {
        attr: row.get(column)
        for column, attr in PROFILE
        if row.get(column) and getattr(user, attr) != row.get(column)
    }
    current = {role.id for role in user.roles}
    wanted = None if roles is None else {role.id for role in roles}
    if wanted == current:
        roles = None
    if not values and roles is None:
        return Plan(row, UNCHANGED, user=user, email=user.email)
    refused = policy.refusal(context.actor, "users:write", target=user)
    if refused is not None:
        return Plan(row, REFUSED, refused.code, str(refused), user=user)
    if roles is not None:
        # Taking a role away is checked like granting it (as the roles flows do).
        changed = [role for role in roles if role.id not in current]
        changed += [role for role in user.roles if role.id not in (wanted or set())]
        _may_grant(context.actor, changed)
    return Plan(row, UPDATED, user=user, email=user.email, values=values, roles=roles)


def plan_rows(actor: Any, upload: ImportUpload, rows: list[uploads.Row]) -> list[Plan]:
    """What each of `rows` (consecutive rows of `upload`) would do for `actor`; no writes."""
    if not rows:
        return []
    context = _context(actor, upload, rows)
    return [_plan(row, context) for row in rows]


# --- the upload and its dry run ----------------------------------------------------------


def store(
    stream: Any,
    *,
    filename: str,
    actor: Any,
    invite: bool = False,
    origin: str = "web",
    enqueue: bool = True,
) -> ImportUpload:
    """Store the uploaded CSV for `actor` and dry-run it (UploadError: nothing stored): here
    when it has at most CONSOLE_IMPORT_PREVIEW_INLINE_ROWS rows, else by a check job
    (`check_job`; `enqueue=False`: the caller runs it, as the CLI does)."""
    policy.require(actor, "users:write")
    # Uploads past their retention go as new ones come (a bounded number each time).
    purge()
    upload = uploads.store(stream, filename=filename, actor=actor, invite=invite)
    if upload.rows > int(setting("CONSOLE_IMPORT_PREVIEW_INLINE_ROWS")):
        start_check(actor, upload, origin=origin, enqueue=enqueue)
        db.session.expire_all()
        found = db.session.get(ImportUpload, upload.id)
        assert found is not None
        return found
    dry_run(actor, upload)
    return upload


def _note(plan: Plan, tally: Counter[str], errors: list[dict[str, Any]]) -> None:
    """Count a planned row in the preview, and keep it among the first errors if it is one."""
    tally[plan.outcome] += 1
    if plan.outcome in (INVALID, REFUSED) and len(errors) < PREVIEW_ERRORS:
        errors.append(
            {
                "row": plan.row.number,
                "email": plan.row.get("email")[:320],
                "code": plan.code,
                "message": plan.message,
            }
        )


def dry_run(actor: Any, upload: ImportUpload) -> dict[str, Any]:
    """Check every row as the job would, a batch at a time, and keep the counts and the first
    errors on the upload (the preview); no account is touched."""
    tally: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    rows = uploads.rows(upload)
    while batch := list(islice(rows, PLAN_BATCH)):
        for plan in plan_rows(actor, upload, batch):
            _note(plan, tally, errors)
    preview = {"counts": dict(tally), "errors": errors}
    upload.preview = preview
    db.session.commit()
    return preview


@atomic
def start_check(
    actor: Any, upload: ImportUpload, *, origin: str = "web", enqueue: bool = True
) -> Job:
    """Dry-run `upload` as a job acting as `actor`: the preview names the job at once, and
    fills in a batch at a time (`enqueue=False`: the caller runs the job)."""
    params = {"upload": upload.id, "filename": upload.filename, "rows": upload.rows}
    upload_id = upload.id
    job = jobs_flows.start(actor, CHECK_KIND, params, origin=origin, enqueue=False)
    job_id = job.id
    # Linked before it is queued: its first batch may run before this returns.
    db.session.execute(
        update(ImportUpload)
        .where(ImportUpload.id == upload_id)
        .values(preview={"job": job_id, "counts": {}, "errors": [], "done": False})
    )
    db.session.commit()
    if enqueue:
        jobs_flows.enqueue(job_id)
    db.session.expire_all()
    found = db.session.get(Job, job_id)
    assert found is not None
    return found


def check_job(upload: ImportUpload) -> Job | None:
    """The job that dry-runs `upload`, or None when the upload's request did."""
    job_id = (upload.preview or {}).get("job")
    return db.session.get(Job, int(job_id)) if job_id else None


def checked(upload: ImportUpload) -> bool:
    """True once the dry run has checked every row (its counts are the whole file's)."""
    preview = upload.preview
    return preview is not None and ("job" not in preview or bool(preview.get("done")))


def counts(upload: ImportUpload) -> dict[str, int]:
    """The dry run's count of each outcome (every outcome present, 0 when none); while a
    check job runs, of the rows it has checked so far."""
    found = (upload.preview or {}).get("counts", {})
    return {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES}


def would_change(upload: ImportUpload) -> bool:
    """True when the dry run is done and applying the upload would create or update an
    account."""
    found = counts(upload)
    return checked(upload) and bool(found[CREATED] or found[UPDATED])


def find(actor: Any, upload_id: int) -> ImportUpload | None:
    """The upload `upload_id` if `actor` made it (an upload is its operator's alone)."""
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None or upload.created_by_id != getattr(actor, "id", None):
        return None
    return upload


def _drop_rows(upload_id: int) -> None:
    # The keys and chunks first, explicitly: a host's SQLite may not enforce the cascade.
    db.session.execute(delete(ImportKey).where(ImportKey.upload_id == upload_id))
    db.session.execute(delete(ImportChunk).where(ImportChunk.upload_id == upload_id))


@atomic
def discard(actor: Any, upload: ImportUpload) -> None:
    """Forget an upload that was not applied (the preview's Cancel), stopping its check job
    if it still runs (a batch in flight finds the rows gone and stops there)."""
    policy.require(actor, "users:write")
    if upload.applied_at is not None:
        raise UploadError("applied")
    upload_id = upload.id
    check = check_job(upload)
    if check is not None and check.active:
        jobs_flows.cancel(actor, check)
    _drop_rows(upload_id)
    db.session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
    db.session.commit()


def purge() -> int:
    """Delete uploads older than CONSOLE_IMPORT_RETENTION whose job no longer runs (at most
    100 a call); returns how many."""
    cutoff = naive_utcnow() - setting("CONSOLE_IMPORT_RETENTION")
    running = select(Job.id).where(Job.kind == KIND, Job.state.in_(sorted(ACTIVE)))
    ids = list(
        db.session.scalars(
            select(ImportUpload.id)
            .where(
                ImportUpload.created_at < cutoff,
                (ImportUpload.job_id.is_(None)) | ImportUpload.job_id.not_in(running),
            )
            .order_by(ImportUpload.id)
            .limit(100)
        )
    )
    for upload_id in ids:
        _drop_rows(upload_id)
        db.session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))
    db.session.commit()
    return len(ids)


# --- the job -----------------------------------------------------------------------------


@atomic
def apply(
    actor: Any,
    upload: ImportUpload,
    *,
    invite: bool | None = None,
    origin: str = "web",
    enqueue: bool = True,
) -> Job:
    """Apply `upload` as a job acting as `actor`, inviting the created accounts when asked
    (None: as chosen at upload). Each row is checked again when its batch runs."""
    policy.require(actor, "users:write")
    if upload.applied_at is not None:
        raise UploadError("applied")
    if not checked(upload):
        raise UploadError("checking")
    if invite is not None:
        upload.invite = bool(invite)
    upload.applied_at = naive_utcnow()
    emit(
        "admin.users.imported",
        actor=actor,
        upload=upload.id,
        filename=upload.filename,
        rows=upload.rows,
        invite=upload.invite,
        preview=counts(upload),
    )
    db.session.commit()
    upload_id = upload.id
    params = {
        "upload": upload_id,
        "filename": upload.filename,
        "rows": upload.rows,
        "invite": upload.invite,
    }
    job = jobs_flows.start(actor, KIND, params, origin=origin, enqueue=enqueue)
    job_id = job.id
    stored_upload = db.session.get(ImportUpload, upload_id)
    if stored_upload is not None:
        stored_upload.job_id = job_id
        db.session.commit()
    found = db.session.get(Job, job_id)
    assert found is not None
    return found


def _apply_row(actor: Any, plan: Plan, invite: bool, batch: registry.Batch) -> None:
    """One planned row through the users' flows, inside the batch's transaction."""
    try:
        if plan.outcome == CREATED:
            user = user_flows.add_user(
                actor,
                email=plan.email,
                name=plan.values.get("name"),
                username=plan.values.get("username"),
                roles=plan.roles or [],
                profile={key: plan.values.get(key) for key in ("locale", "timezone")},
            )
        else:
            user = plan.user
            user_flows.change_user(
                actor, user, version=user.edit_version, values=plan.values, roles=plan.roles
            )
        # Later rows' checks (and the invitation's mail) see this row's account.
        db.session.flush()
    except policy.PolicyError as error:
        batch.refuse(plan.item, error.code, str(error), outcome=REFUSED)
        return
    except (user_flows.UserFlowError, ValueError) as error:
        code = getattr(error, "code", "invalid")
        batch.refuse(plan.item, code, str(error), outcome=INVALID)
        return
    batch.count(plan.outcome)
    if plan.outcome == CREATED and invite:
        try:
            user_flows.add_invitation(actor, user)
        except (policy.PolicyError, user_flows.UserFlowError) as error:
            # The account stays created; the line says why it was not invited.
            batch.report.append(registry.ReportLine(plan.item[:320], error.code[:40], str(error)))


def count(run: registry.JobRun) -> int:
    """The rows of the upload, counted when it was stored."""
    upload = db.session.get(ImportUpload, run.params["upload"])
    return int(upload.rows) if upload is not None else 0


def step(run: registry.JobRun) -> registry.Batch:
    """The rows after the cursor (a row number), checked and applied; on the last batch the
    stored rows are dropped with it (the upload's counts stay)."""
    upload = db.session.get(ImportUpload, run.params["upload"])
    after = int(run.cursor or 0)
    if upload is None or (after == 0 and not uploads.stored(upload)):
        raise registry.JobRefused(text("upload_gone"))
    batch = registry.Batch(cursor=after)
    rows = list(islice(uploads.rows(upload, after), run.batch_size))
    invite = bool(run.params.get("invite"))
    for plan in plan_rows(run.actor, upload, rows):
        if plan.outcome in (INVALID, REFUSED):
            batch.refuse(plan.item, plan.code or plan.outcome, plan.message, outcome=plan.outcome)
        elif plan.outcome == UNCHANGED:
            batch.count(UNCHANGED)
        else:
            _apply_row(run.actor, plan, invite, batch)
    batch.cursor = rows[-1].number if rows else after
    batch.finished = len(rows) < run.batch_size
    if batch.finished:
        _drop_rows(upload.id)
    return batch


def check_step(run: registry.JobRun) -> registry.Batch:
    """The dry run of the rows after the cursor (a row number), by `plan_rows` as in the
    upload's request: their counts and first errors added to the upload's preview in the
    batch's transaction, rows with errors and refusals in the job's report. No account is
    touched."""
    upload = db.session.get(ImportUpload, run.params["upload"])
    if upload is None or not uploads.stored(upload):
        raise registry.JobRefused(text("upload_gone"))
    after = int(run.cursor or 0)
    rows = list(islice(uploads.rows(upload, after), run.batch_size))
    batch = registry.Batch(
        cursor=rows[-1].number if rows else after, finished=len(rows) < run.batch_size
    )
    preview = dict(upload.preview or {})
    tally: Counter[str] = Counter(preview.get("counts") or {})
    errors: list[dict[str, Any]] = list(preview.get("errors") or [])
    for plan in plan_rows(run.actor, upload, rows):
        _note(plan, tally, errors)
        if plan.outcome in (INVALID, REFUSED):
            batch.refuse(plan.item, plan.code or plan.outcome, plan.message, outcome=plan.outcome)
        else:
            batch.count(plan.outcome)
    preview.update(job=run.job_id, counts=dict(tally), errors=errors, done=batch.finished)
    # A statement, not the object: an upload forgotten meanwhile is no error here.
    db.session.execute(
        update(ImportUpload)
        .where(ImportUpload.id == upload.id)
        .values(preview=preview)
        .execution_options(synchronize_session=False)
    )
    return batch


def describe(params: dict[str, Any]) -> str:
    """The job's line on the jobs page: the file, its rows, and whether it invites."""
    line = _(
        "%(file)s: %(num)s rows",
        file=params.get("filename") or _("CSV file"),
        num=params.get("rows", "?"),
    )
    if params.get("invite"):
        line += "; " + _("invitations sent to the created accounts")
    return line


def job_kind() -> registry.JobKind:
    return registry.JobKind(
        key=KIND,
        label=_l("Import users from CSV"),
        permission="users:read",
        manage_permission="users:write",
        step=step,
        count=count,
        describe=describe,
        outcomes=OUTCOMES,
    )


def check_kind() -> registry.JobKind:
    return registry.JobKind(
        key=CHECK_KIND,
        label=_l("Check a CSV import"),
        permission="users:read",
        manage_permission="users:write",
        step=check_step,
        count=count,
        describe=describe,
        outcomes=CHECK_OUTCOMES,
    )
