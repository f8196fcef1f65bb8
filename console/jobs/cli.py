"""`flask console worker` runs queued jobs; `flask console jobs ...` lists, resumes and stops
them from a shell (as the trusted local shell: no operator, no who-may-act-on-whom)."""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext

from ..core import jobs as registry
from ..extensions import db
from ..settings import setting
from . import flows, runner
from .errors import JobError
from .labels import state_label
from .models import Job
from .queue import queue


@click.command("worker")
@click.option("--workers", type=int, help="Threads running jobs (CONSOLE_JOBS_WORKERS).")
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run queued jobs until stopped (SIGINT finishes the jobs in hand, SIGTERM stops now).

    Run one or more under a process manager; with Redis (REDIS_URL) on any number of hosts.
    """
    if setting("CONSOLE_JOBS_IMMEDIATE"):
        raise click.ClickException(
            "CONSOLE_JOBS_IMMEDIATE is set: jobs run where they are started, not in a worker."
        )
    threads = workers or int(setting("CONSOLE_JOBS_WORKERS"))
    _log_to_stderr()
    click.echo(f"Running jobs with {threads} thread(s) from the queue in {queue().describe()}.")
    found = flows.recover()
    if found:
        click.echo(f"Queued {found} interrupted job(s) again.")
    # The consumer's threads push application contexts of their own (console.jobs.queue).
    queue().consumer(threads).run()


def _log_to_stderr() -> None:
    """The worker says what it runs (Huey's consumer and the job runner log at INFO)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
    for name in ("huey", "console.jobs"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


class Progress:
    """A progress bar for a job run in the shell, drawn once the total is known."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.shown = 0

    def __call__(self, job: Job) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=job.total or 0, label=self.label)
            self.bar.__enter__()
        self.bar.update((job.processed or 0) - self.shown)
        self.shown = job.processed or 0

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def follow(job_id: int, label: str) -> Job | None:
    """Run job `job_id` here with a progress bar; returns it as it ended."""
    progress = Progress(label)
    try:
        return runner.run(job_id, on_batch=progress)
    finally:
        progress.close()


def summary(job: Job) -> str:
    """One line: state, items handled and each outcome's count."""
    kind = registry.find(job.kind)
    labels = kind.outcomes if kind is not None else {}
    counts = ", ".join(
        f"{labels.get(key, key)} {number}" for key, number in (job.outcomes or {}).items()
    )
    return f"Job {job.id} {state_label(job.state)}: {job.processed} processed ({counts or '-'})."


def echo_report(job: Job, limit: int = 1000) -> None:
    """The job's report lines on stderr (refusals, errors), then its failure if any."""
    for line in flows.report(job, limit=limit):
        click.echo(f"{line.item}: {line.message}", err=True)
    if job.reported > limit:
        click.echo(f"... and {job.reported - limit} more on the jobs page.", err=True)
    if job.error:
        click.echo(f"Error: {job.error}", err=True)


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True)
@with_appcontext
def list_command(limit: int) -> None:
    """The newest jobs with their state and progress."""
    for job in flows.recent(None, limit=limit):
        total = job.total if job.total is not None else "?"
        click.echo(
            f"{job.id:>6}  {job.kind:<18} {str(state_label(job.state)):<10} "
            f"{job.processed}/{total}  {job.created_by_email or '(shell)'}"
        )


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job has the id {job_id}.")
    return job


@jobs_cli.command("resume")
@click.argument("job_id", type=int)
@click.option("--queue", "to_queue", is_flag=True, help="Hand it to the workers instead.")
@with_appcontext
def resume_command(job_id: int, to_queue: bool) -> None:
    """Resume a failed or interrupted job after its last committed batch (here, with a
    progress bar, unless --queue)."""
    job = _job(job_id)
    try:
        if to_queue:
            flows.resume(None, job)
            click.echo(f"Job {job_id} queued again.")
            return
        flows.resume(None, job, enqueue=False)
    except JobError as error:
        raise click.ClickException(str(error)) from error
    ended = follow(job_id, f"Job {job_id}")
    if ended is None:
        raise click.ClickException("Another worker is running this job.")
    click.echo(summary(ended))
    echo_report(ended)
    if ended.state != "done":
        raise SystemExit(1)


@jobs_cli.command("cancel")
@click.argument("job_id", type=int)
@with_appcontext
def cancel_command(job_id: int) -> None:
    """Stop a job (a running one after the batch in hand)."""
    try:
        flows.cancel(None, _job(job_id))
    except JobError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Job {job_id} stopped (a running job after its current batch).")
