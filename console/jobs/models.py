"""The job table and its report: the state of every background job lives in the database,
so it survives a restart and every worker and web process sees the same."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text

from ..core.schema import ConsoleModel, user_key

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
# A job in one of these states may still change; the pages poll while one is shown.
ACTIVE = frozenset({QUEUED, RUNNING})
FINISHED = frozenset({DONE, FAILED, CANCELLED})


class Job(ConsoleModel):
    """One background job of a registered kind (console.core.jobs).

    `cursor` is where the next batch starts and `processed` how many items the committed
    batches handled, written in the transaction of each batch. `run_token` names the run
    that owns the job: a batch commits only while its run still owns it, so two workers
    never both apply a batch. `system` marks a job started from the shell with no operator
    (no who-may-act-on-whom check); otherwise `created_by_id` is the operator it acts as,
    and a job whose operator is gone stops.
    """

    __tablename__ = "console_job"

    id = Column(Integer, primary_key=True)
    kind = Column(String(64), nullable=False)
    state = Column(String(16), nullable=False, default=QUEUED)
    params = Column(JSON, nullable=False, default=dict)
    total = Column(Integer, nullable=True)
    processed = Column(Integer, nullable=False, default=0)
    outcomes = Column(JSON, nullable=False, default=dict)
    cursor = Column(JSON, nullable=True)
    # Lines in the report, so a page shows the number without counting them.
    reported = Column(Integer, nullable=False, default=0)
    error = Column(Text, nullable=True)
    origin = Column(String(16), nullable=False, default="web")
    # The console's address as the starting request saw it ("https://host/prefix/"): links
    # in mail a job sends are built on it, as the page would have.
    base_url = Column(String(500), nullable=True)
    system = Column(Boolean, nullable=False, default=False)
    created_by_id = Column(Integer, nullable=True, index=True, info=user_key("SET NULL"))
    # Kept when the account goes, so the page still says who started the job.
    created_by_email = Column(String(320), nullable=True)
    created_at = Column(DateTime, nullable=False)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    heartbeat_at = Column(DateTime, nullable=True)
    cancel_requested = Column(Boolean, nullable=False, default=False)
    run_token = Column(String(32), nullable=True)
    attempts = Column(Integer, nullable=False, default=0)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, None while the total is unknown."""
        if self.state == DONE:
            return 100
        if not self.total:
            return None
        return min(100, int(100 * (self.processed or 0) / self.total))


# Interrupted jobs are found by state and age (the workers' periodic check).
Index("ix_console_job_state_heartbeat_at", Job.state, Job.heartbeat_at)


class JobReportLine(ConsoleModel):
    """An item a job did not handle, and why (a refusal, an invalid row), in the language
    of the operator who started the job."""

    __tablename__ = "console_job_report"

    id = Column(Integer, primary_key=True)
    job_id = Column(
        Integer, ForeignKey("console_job.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item = Column(String(320), nullable=False)
    code = Column(String(40), nullable=False)
    message = Column(Text, nullable=False)
