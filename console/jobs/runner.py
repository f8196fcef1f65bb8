"""Run a job: claim it, then one transaction per batch until it is done, fails or is stopped.

Each batch's changes, the job's progress, its cursor and its report lines commit together,
and only while this run still owns the job (`run_token`). A run that dies mid-batch leaves
nothing of that batch; the job is resumed from its cursor by `flows.resume` or by the
workers' periodic check, and applies nothing twice. Cancellation is read between batches.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask.globals import app_ctx
from flask_babel import force_locale
from flask_security import naive_utcnow
from sqlalchemy import and_, func, insert, or_, select, update

from ..core import dates
from ..core import jobs as registry
from ..core.models import models
from ..core.notify import deliver_ready
from ..extensions import db
from ..settings import setting
from . import errors
from .models import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobReportLine

log = logging.getLogger(__name__)


class Superseded(Exception):
    """Another run took the job over (this one was presumed dead): stop without a write."""


def _claim(job_id: int) -> str | None:
    """Take job `job_id` for this run: a queued job, or a running one whose run stopped
    reporting. Returns the run's token, or None when the job is not to be run here."""
    now = naive_utcnow()
    stale = now - setting("CONSOLE_JOBS_STALE_AFTER")
    token = uuid.uuid4().hex
    result = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.state == QUEUED,
                and_(
                    Job.state == RUNNING,
                    or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale),
                ),
            ),
        )
        .values(
            state=RUNNING,
            run_token=token,
            heartbeat_at=now,
            started_at=func.coalesce(Job.started_at, now),
            attempts=Job.attempts + 1,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def _finish(job_id: int, token: str, state: str, error: str | None = None) -> None:
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.run_token == token)
        .values(
            state=state,
            finished_at=naive_utcnow(),
            heartbeat_at=naive_utcnow(),
            run_token=None,
            error=error,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record(job: Job, token: str, batch: registry.Batch, now: datetime) -> None:
    """Write the batch's progress into the transaction of its changes, if still ours."""
    outcomes = dict(job.outcomes or {})
    for outcome, number in batch.outcomes.items():
        outcomes[outcome] = outcomes.get(outcome, 0) + number
    result = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.run_token == token)
        .values(
            cursor=batch.cursor,
            processed=Job.processed + batch.processed,
            outcomes=outcomes,
            reported=Job.reported + len(batch.report),
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Superseded()
    if batch.report:
        db.session.execute(
            insert(JobReportLine),
            [
                {"job_id": job.id, "item": line.item, "code": line.code, "message": line.message}
                for line in batch.report
            ],
        )


def _user(user_id: int | None) -> Any:
    # A query, not Session.get: an account deleted since the last batch is None here.
    User = models().User
    return db.session.scalar(select(User).where(User.id == user_id)) if user_id else None


def _actor(job: Job, kind: registry.JobKind) -> Any:
    """The account the job acts as, read afresh for each batch: a job whose operator was
    deleted, deactivated or lost the kind's permission stops there."""
    if job.system:
        return None
    actor = _user(job.created_by_id)
    if actor is None:
        raise registry.JobRefused(errors.text("operator_gone"))
    if not actor.active:
        raise registry.JobRefused(errors.text("operator_inactive", user=actor.email))
    if not actor.has_permission(kind.manage_permission):
        raise registry.JobRefused(
            errors.text("operator_unpermitted", user=actor.email, permission=kind.manage_permission)
        )
    return actor


@contextmanager
def _urls_of(job: Job) -> Iterator[None]:
    """Absolute links (a password reset mailed by the job) on the address of the request
    that started it, unless SERVER_NAME gives one: a worker has no request to read it from."""
    context = app_ctx._get_current_object()  # type: ignore[attr-defined]
    if context.url_adapter is not None or not job.base_url:
        yield
        return
    base = urlsplit(job.base_url)
    # The request that started the job, as far as building URLs needs it.
    environ = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": base.scheme,
        "HTTP_HOST": base.netloc,
        "SERVER_NAME": base.hostname or "localhost",
        "SERVER_PORT": str(base.port or (443 if base.scheme == "https" else 80)),
        "SCRIPT_NAME": base.path.rstrip("/"),
        "PATH_INFO": "/",
    }
    context.url_adapter = current_app.create_url_adapter(current_app.request_class(environ))
    try:
        yield
    finally:
        context.url_adapter = None


@contextmanager
def _as_creator(job: Job) -> Iterator[None]:
    """Messages in the report in the creator's language, days read in the creator's zone
    (a date filter means what it meant on the operator's page)."""
    creator = _user(job.created_by_id)
    languages = setting("CONSOLE_LANGUAGES")
    language = getattr(creator, "locale", None)
    with force_locale(language if language in languages else languages[0]), dates.read_by(creator):
        yield


def run(job_id: int, *, on_batch: Callable[[Job], None] | None = None) -> Job | None:
    """Run job `job_id` from its cursor to its end; returns it as it ended, or None when it
    was not to be run here (finished, cancelled, or owned by a live run elsewhere).

    `on_batch` is called with the job after each committed batch (the CLI's progress bar).
    """
    token = _claim(job_id)
    if token is None:
        return None
    job = db.session.get(Job, job_id)
    assert job is not None
    kind = registry.find(job.kind)
    if kind is None:
        _finish(job_id, token, FAILED, errors.text("unknown_kind", kind=job.kind))
        return _reloaded(job_id)
    try:
        with _as_creator(job), _urls_of(job):
            _batches(job, kind, token, on_batch)
    except KeyboardInterrupt:
        # Stopped from the shell that ran it: failed, so that it is resumed only on purpose.
        db.session.rollback()
        _finish(job_id, token, FAILED, errors.text("interrupted"))
        raise
    except Superseded:
        db.session.rollback()
        log.warning("job %s was taken over by another run; this run stops", job_id)
        return None
    except registry.JobRefused as refusal:
        db.session.rollback()
        _finish(job_id, token, FAILED, str(refusal))
    except Exception as error:
        # Whatever broke, the batch in flight rolls back whole; the job can be resumed.
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, kind.key)
        _finish(job_id, token, FAILED, f"{type(error).__name__}: {error}"[:2000])
    return _reloaded(job_id)


def _batches(
    job: Job, kind: registry.JobKind, token: str, on_batch: Callable[[Job], None] | None
) -> None:
    size = max(1, int(setting("CONSOLE_JOBS_BATCH_SIZE")))
    while True:
        # The commit expired the job: these reads see what other processes wrote.
        if job.run_token != token:
            raise Superseded()
        if job.cancel_requested:
            _finish(job.id, token, CANCELLED)
            return
        actor = _actor(job, kind)
        current = registry.JobRun(job.id, dict(job.params or {}), job.cursor, actor, size)
        if job.total is None and kind.count is not None:
            job.total = kind.count(current)
        batch = kind.step(current)
        if not batch.finished and batch.processed == 0 and batch.cursor == current.cursor:
            raise RuntimeError(f"the {kind.key} step made no progress at {current.cursor!r}")
        _record(job, token, batch, naive_utcnow())
        db.session.commit()
        # Mail of the batch's changes goes out now that they are committed, not at the end.
        deliver_ready()
        if on_batch is not None:
            on_batch(job)
        if batch.finished:
            _finish(job.id, token, DONE)
            return


def _reloaded(job_id: int) -> Job | None:
    db.session.expire_all()
    return db.session.get(Job, job_id)
