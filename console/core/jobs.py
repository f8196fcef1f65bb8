"""Kinds of background job: each feature registers what its jobs do, one batch at a time.

The jobs feature (console.jobs) stores jobs, queues them, runs them, shows them and cancels
them; a kind says how to count its items, how to process the next batch after a cursor,
who may see and stop its jobs, and how to describe one. A batch's changes, the job's
progress and its cursor commit in one transaction, so a job re-run after an interruption
starts after its last committed batch and applies nothing twice.

A CSV import registers a kind whose cursor is a row number; a SCIM-triggered job one whose
cursor is an id; the users feature's bulk action one whose cursor is the last user id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app


@dataclass(frozen=True)
class ReportLine:
    """One item the batch could not handle: what it was (an email, a row number), a short
    code ("outranked", "invalid_email") and the sentence an operator reads."""

    item: str
    code: str
    message: str


@dataclass
class Batch:
    """What one call of a kind's `step` did; the runner commits it with the job's progress.

    `cursor` is where the next batch starts (any JSON value); `finished` ends the job.
    Every item handled is counted once, under an outcome of the kind ("changed",
    "unchanged", "refused"...), so that `processed` is the progress.
    """

    cursor: Any = None
    finished: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)
    report: list[ReportLine] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    def count(self, outcome: str) -> None:
        """One item handled with `outcome`."""
        self.outcomes[outcome] += 1

    def refuse(self, item: str, code: str, message: str, outcome: str = "refused") -> None:
        """One item not handled, and why: counted under `outcome` and listed in the report."""
        self.outcomes[outcome] += 1
        self.report.append(ReportLine(str(item)[:320], code[:40], str(message)))


@dataclass(frozen=True)
class JobRun:
    """What a kind's `count` and `step` get: the job's parameters, where it stands, and the
    account it acts as (None: the trusted local shell, as in every flow)."""

    job_id: int
    params: dict[str, Any]
    cursor: Any
    actor: Any
    batch_size: int


class JobRefused(Exception):
    """The whole job cannot go on (its operator lost a permission, a file is gone): the job
    fails with this message; the batches already committed stay."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job a feature offers.

    `permission` lets an operator see its jobs (and their reports) on the jobs page;
    `manage_permission` lets them start, stop and resume one. `step` processes the batch
    after `run.cursor` and must leave the session uncommitted (the runner commits);
    `count` gives the total when the job starts (None: unknown, the bar grows). `describe`
    turns the parameters into a line for the jobs page; `outcomes` labels the counts in
    display order.
    """

    key: str
    label: Any
    permission: str
    manage_permission: str
    step: Callable[[JobRun], Batch]
    count: Callable[[JobRun], int] | None = None
    describe: Callable[[dict[str, Any]], Any] | None = None
    outcomes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Periodic:
    """Work the workers do on a schedule (a purge, a retry of kept mail, a refresh), in an
    application context of its own; `minute` and `hour` are crontab fields ("*/5", "3")."""

    key: str
    run: Callable[[], Any]
    minute: str = "*/5"
    hour: str = "*"


@dataclass(frozen=True)
class Task:
    """One-off work a feature hands to the workers (send a mail, refresh the dashboard):
    `run` gets the keyword arguments given to `defer`, which must be plain values."""

    key: str
    run: Callable[..., Any]


def register_task(app: Flask, task: Task) -> None:
    """Let `defer(task.key, ...)` hand `task` to the workers of `app` (from init_app)."""
    app.extensions["console"].tasks.setdefault(task.key, task)


def defer(key: str, **arguments: Any) -> bool:
    """Hand task `key` to the workers. False when this application runs its work in its own
    processes (no queue, or CONSOLE_JOBS_IMMEDIATE): the caller then does it itself, after
    the response as before, so that tests and scripts see it done."""
    queue = current_app.extensions["console"].jobs
    if queue is None or queue.immediate:
        return False
    return queue.defer(key, arguments)


def in_background() -> bool:
    """Whether workers run this application's background work (not this process)."""
    queue = current_app.extensions["console"].jobs
    return queue is not None and not queue.immediate


def run_task(key: str, arguments: dict[str, Any]) -> None:
    """Run the registered task `key` (a worker, in an application context of its own)."""
    current_app.extensions["console"].tasks[key].run(**arguments)


def register_periodic(app: Flask, periodic: Periodic) -> None:
    """Have the workers of `app` run `periodic` on its schedule (from a feature's init_app,
    before the queue is first used)."""
    app.extensions["console"].periodic_jobs.setdefault(periodic.key, periodic)


def register(app: Flask, kind: JobKind) -> None:
    """Offer `kind` in `app` (features call this from their init_app; again is harmless)."""
    kinds_of_app: dict[str, JobKind] = app.extensions["console"].job_kinds
    kinds_of_app.setdefault(kind.key, kind)


def kinds() -> dict[str, JobKind]:
    """The kinds the current application offers, by key."""
    return current_app.extensions["console"].job_kinds


def find(key: str) -> JobKind | None:
    """The kind `key`, or None when no feature of this application registered it."""
    return kinds().get(key)
