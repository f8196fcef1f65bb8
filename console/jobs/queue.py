"""The queue of one application: a Huey instance, made on first use, that runs console jobs.

Storage: Redis when CONSOLE_JOBS_REDIS_URL is set (REDIS_URL sets it), shared by every web
process and worker on any host; else a SQLite file next to a SQLite database (or in the
instance folder), shared by the processes of one machine. With CONSOLE_JOBS_IMMEDIATE a
job runs in the process that starts it, before the call returns (tests, scripts).

The queue carries only job ids: what a job is, how far it got and whether it should stop
live in the job table, so a lost message costs nothing but a delay (the workers' periodic
check queues interrupted jobs again).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer

from ..settings import setting

log = logging.getLogger(__name__)


def sqlite_path(app: Flask) -> Path:
    """The SQLite file of the queue: the setting, else beside a SQLite database (its name
    with "-jobs"), else in the instance folder."""
    configured = setting("CONSOLE_JOBS_SQLITE_PATH", app.config)
    if configured:
        return Path(configured)
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        database = Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
        return database.with_name(f"{database.stem}-jobs.db")
    return Path(app.instance_path) / "console-jobs.db"


class JobQueue:
    """The Huey instance of `app` with the console's tasks registered on it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._run_job: TaskWrapper | None = None
        self._run_task: TaskWrapper | None = None
        self._lock = threading.Lock()

    def _ready(self) -> tuple[Huey, TaskWrapper]:
        # Made on first use: an application that never queues a job opens no storage
        # (each test app, `flask db upgrade`).
        with self._lock:
            if self._huey is None or self._run_job is None:
                self._huey = self._build()
                self._run_job, self._run_task = self._register(self._huey)
            return self._huey, self._run_job

    @property
    def huey(self) -> Huey:
        return self._ready()[0]

    @property
    def immediate(self) -> bool:
        """Whether jobs run in the process that starts them (tests, scripts)."""
        return bool(setting("CONSOLE_JOBS_IMMEDIATE", self.app.config))

    def describe(self) -> str:
        """Where the queue lives, for the worker's first line."""
        config = self.app.config
        if setting("CONSOLE_JOBS_IMMEDIATE", config):
            return "immediate (in the starting process)"
        if setting("CONSOLE_JOBS_REDIS_URL", config):
            return "Redis"
        return f"SQLite {sqlite_path(self.app)}"

    def _build(self) -> Huey:
        config = self.app.config
        name = setting("CONSOLE_JOBS_QUEUE_NAME", config)
        options: dict[str, Any] = {"results": False, "utc": True}
        if setting("CONSOLE_JOBS_IMMEDIATE", config):
            return MemoryHuey(name, immediate=True, **options)
        if setting("CONSOLE_JOBS_REDIS_URL", config):
            return RedisHuey(name, url=setting("CONSOLE_JOBS_REDIS_URL", config), **options)
        path = sqlite_path(self.app)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), **options)

    def _register(self, huey: Huey) -> tuple[TaskWrapper, TaskWrapper]:
        app = self.app

        def run_job(job_id: int) -> None:
            from . import runner

            # Each task in an application context of its own: its own database session,
            # removed when the job ends.
            with app.app_context():
                runner.run(job_id)

        for periodic in app.extensions["console"].periodic_jobs.values():
            huey.periodic_task(
                crontab(minute=periodic.minute, hour=periodic.hour), name=periodic.key
            )(_in_context(app, periodic.run))

        def run_task(key: str, arguments: dict[str, Any]) -> None:
            from ..core import jobs

            with app.app_context():
                jobs.run_task(key, arguments)

        # A failed task is tried again a few times (a mail server or database restarting);
        # mail that still fails is kept by its own retry (console.core.notify).
        task = huey.task(name="run_task", retries=3, retry_delay=30)(run_task)
        return huey.task(name="run_job")(run_job), task

    def defer(self, key: str, arguments: dict[str, Any]) -> bool:
        """Queue task `key` with `arguments`; False (the caller does the work) when the
        queue's storage cannot take it."""
        try:
            self._ready()
            assert self._run_task is not None
            self._run_task(key, arguments)
        except Exception:  # noqa: BLE001 - storage down: the work is still done, inline
            log.exception("could not queue the %s task; doing it in this process", key)
            return False
        return True

    def enqueue(self, job_id: int) -> None:
        """Queue job `job_id` (immediate mode: run it now, in this process)."""
        _huey, run_job = self._ready()
        run_job(job_id)

    def consumer(self, workers: int, *, embedded: bool = False) -> Consumer:
        """A Huey consumer of this queue with `workers` threads; `embedded` for one run
        inside another program (a test), which keeps its own signal handlers."""
        cls = EmbeddedConsumer if embedded else Consumer
        return cls(self.huey, workers=workers, worker_type="thread", periodic=True)


def _in_context(app: Flask, work: Any) -> Any:
    def run() -> None:
        with app.app_context():
            work()

    run.__name__ = getattr(work, "__name__", "periodic")
    return run


class EmbeddedConsumer(Consumer):
    """A consumer started inside a program that owns the signals (signal handlers can only
    be set from the main thread, and stopping is that program's business)."""

    def _set_signal_handlers(self) -> None:
        return None


def queue() -> JobQueue:
    """The current application's queue."""
    return current_app.extensions["console"].jobs
