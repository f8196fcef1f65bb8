"""Starting, stopping, resuming and listing jobs: one path for pages, the CLI and features.

Who may see a job: holders of its kind's `permission` (the users feature's jobs: users:read,
as the accounts and refusals in a report are what the users pages show). Who may start,
stop or resume one: holders of its kind's `manage_permission`, and, for a job another
operator started, only an operator who holds every permission that operator holds (the
who-may-act-on-whom rule, applied to the job's creator: nobody stops a job of an operator
who outranks them).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from flask_security import naive_utcnow
from sqlalchemy import and_, delete, or_, select

from ..core import jobs as registry
from ..core import policy
from ..core.models import models
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..settings import setting
from .errors import JobError
from .models import ACTIVE, CANCELLED, FAILED, FINISHED, QUEUED, RUNNING, Job, JobReportLine
from .queue import queue

log = logging.getLogger(__name__)

# How many interrupted jobs one periodic check queues again, and old jobs one purge deletes.
RECOVER_LIMIT = 100
PURGE_LIMIT = 500


def kind_of(job: Job) -> registry.JobKind | None:
    return registry.find(job.kind)


def visible_kinds(actor: Any) -> list[str]:
    """The kinds whose jobs `actor` may see (all of them for the trusted shell)."""
    return [
        key
        for key, kind in registry.kinds().items()
        if actor is None or actor.has_permission(kind.permission)
    ]


def may_see(actor: Any, job: Job) -> bool:
    return job.kind in visible_kinds(actor)


def _creator(job: Job) -> Any:
    # A query, not Session.get: a deleted account is None, not an expired object.
    User = models().User
    if job.created_by_id is None:
        return None
    return db.session.scalar(select(User).where(User.id == job.created_by_id))


def manage_refusal(actor: Any, job: Job) -> Exception | None:
    """Why `actor` may not stop or resume `job`, or None when they may."""
    kind = kind_of(job)
    if kind is None:
        return JobError("unknown_kind", kind=job.kind)
    refused = policy.refusal(actor, kind.manage_permission)
    if refused is not None:
        return refused
    creator = _creator(job)
    if actor is not None and creator is not None and policy.missing_permissions(actor, creator):
        return JobError("not_yours", user=creator.email)
    return None


def may_manage(actor: Any, job: Job) -> bool:
    return manage_refusal(actor, job) is None


@atomic
def start(
    actor: Any,
    kind_key: str,
    params: dict[str, Any],
    *,
    origin: str = "web",
    enqueue: bool = True,
) -> Job:
    """Store a job of `kind_key` acting as `actor` (None: the trusted shell) and queue it
    (`enqueue=False`: the caller runs it here, as the CLI does with runner.run).

    With CONSOLE_JOBS_IMMEDIATE a queued job has run when this returns.
    """
    kind = registry.find(kind_key)
    if kind is None:
        raise JobError("unknown_kind", kind=kind_key)
    policy.require(actor, kind.manage_permission)
    job = Job(
        kind=kind_key,
        state=QUEUED,
        params=params,
        processed=0,
        outcomes={},
        reported=0,
        origin=origin[:16],
        base_url=request.url_root[:500] if has_request_context() else None,
        system=actor is None,
        created_by_id=getattr(actor, "id", None),
        created_by_email=getattr(actor, "email", None),
        created_at=naive_utcnow(),
        cancel_requested=False,
        attempts=0,
    )
    db.session.add(job)
    db.session.flush()
    emit("admin.job.started", actor=actor, job=job.id, kind=kind_key, params=params)
    db.session.commit()
    job_id = job.id
    if enqueue:
        _enqueue(job_id)
    db.session.expire_all()
    found = db.session.get(Job, job_id)
    assert found is not None
    return found


def enqueue(job_id: int) -> None:
    """Queue a job stored by `start(..., enqueue=False)`, once the feature that started it
    has linked it to its own rows (with CONSOLE_JOBS_IMMEDIATE it has run on return)."""
    _enqueue(job_id)


def _enqueue(job_id: int) -> None:
    """Hand the stored job to the queue; when the queue cannot take it (Redis down), the job
    stays queued in the table and the workers' periodic check queues it again."""
    try:
        queue().enqueue(job_id)
    except Exception:
        log.exception("could not queue job %s; the periodic check will", job_id)


def is_stale(job: Job) -> bool:
    """A running job whose run stopped reporting (its worker was killed or lost)."""
    cutoff = naive_utcnow() - setting("CONSOLE_JOBS_STALE_AFTER")
    return job.state == RUNNING and (job.heartbeat_at is None or job.heartbeat_at < cutoff)


@atomic
def cancel(actor: Any, job: Job) -> None:
    """Stop `job`: at once when no run holds it, else between two batches of its run."""
    refused = manage_refusal(actor, job)
    if refused is not None:
        raise refused
    if job.state in FINISHED and job.state != FAILED:
        raise JobError("finished")
    if job.state == RUNNING and not is_stale(job):
        # The run reads this before its next batch; what it committed stays.
        job.cancel_requested = True
    else:
        job.state = CANCELLED
        job.cancel_requested = True
        job.run_token = None
        job.finished_at = naive_utcnow()
    emit("admin.job.cancelled", actor=actor, job=job.id, kind=job.kind)
    db.session.commit()


@atomic
def resume(actor: Any, job: Job, *, enqueue: bool = True) -> None:
    """Queue a failed or interrupted job again: it goes on after its last committed batch,
    still acting as the operator who started it (`enqueue=False`: the caller runs it)."""
    refused = manage_refusal(actor, job)
    if refused is not None:
        raise refused
    if job.cancel_requested or not (job.state == FAILED or is_stale(job)):
        raise JobError("not_resumable")
    job.state = QUEUED
    job.run_token = None
    job.finished_at = None
    job.error = None
    emit("admin.job.resumed", actor=actor, job=job.id, kind=job.kind)
    db.session.commit()
    if enqueue:
        _enqueue(job.id)


def recover() -> int:
    """Queue again the jobs whose run stopped reporting (a worker killed mid-job), and
    queued jobs that wait while the queue is empty (a message lost with its storage).
    Returns how many were queued; a job queued twice runs once (the runner claims it)."""
    cutoff = naive_utcnow() - setting("CONSOLE_JOBS_STALE_AFTER")
    stale = and_(Job.state == RUNNING, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff))
    waiting = queue().huey.pending_count() == 0
    condition = or_(stale, and_(Job.state == QUEUED, Job.created_at < cutoff)) if waiting else stale
    ids = list(
        db.session.scalars(select(Job.id).where(condition).order_by(Job.id).limit(RECOVER_LIMIT))
    )
    db.session.commit()
    for job_id in ids:
        _enqueue(job_id)
    return len(ids)


def check() -> None:
    """The workers' periodic check: interrupted jobs resumed, old ones purged."""
    recover()
    purge_finished()


def purge_finished() -> int:
    """Delete finished jobs older than CONSOLE_JOBS_RETENTION, with their reports."""
    cutoff = naive_utcnow() - setting("CONSOLE_JOBS_RETENTION")
    ids = list(
        db.session.scalars(
            select(Job.id)
            .where(Job.state.in_(sorted(FINISHED)), Job.finished_at < cutoff)
            .order_by(Job.id)
            .limit(PURGE_LIMIT)
        )
    )
    if ids:
        # The report lines first: a host's SQLite may not enforce the cascade.
        db.session.execute(delete(JobReportLine).where(JobReportLine.job_id.in_(ids)))
        db.session.execute(delete(Job).where(Job.id.in_(ids)))
    db.session.commit()
    return len(ids)


def recent(actor: Any, *, before: int | None = None, limit: int = 50) -> list[Job]:
    """The newest jobs `actor` may see, newest first, after the keyset cursor `before`."""
    stmt = select(Job).where(Job.kind.in_(visible_kinds(actor)))
    if before is not None:
        stmt = stmt.where(Job.id < before)
    return list(db.session.scalars(stmt.order_by(Job.id.desc()).limit(limit)))


def report(job: Job, *, after: int | None = None, limit: int = 100) -> list[JobReportLine]:
    """The job's report lines in order, after the keyset cursor `after`."""
    stmt = select(JobReportLine).where(JobReportLine.job_id == job.id)
    if after is not None:
        stmt = stmt.where(JobReportLine.id > after)
    return list(db.session.scalars(stmt.order_by(JobReportLine.id).limit(limit)))


def any_active(jobs: list[Job]) -> bool:
    return any(job.state in ACTIVE for job in jobs)
