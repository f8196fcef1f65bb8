"""Where the queue lives: a SQLite file beside a SQLite database or in the instance folder,
Redis when REDIS_URL (or CONSOLE_JOBS_REDIS_URL) is set; a Redis consumer runs jobs too."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from huey import RedisHuey, SqliteHuey

from console import create_app
from console.config import from_environment
from console.extensions import db
from console.jobs.models import Job
from console.jobs.queue import queue, sqlite_path
from console.models import User
from console.users import bulk
from console.users.query import ListParams
from tests.deploy.conftest import REDIS_URL

from .conftest import fresh


def test_redis_url_sets_the_queue_and_its_own_setting_wins():
    assert from_environment({"REDIS_URL": "redis://cache:6379/2"})["CONSOLE_JOBS_REDIS_URL"] == (
        "redis://cache:6379/2"
    )
    both = from_environment(
        {"REDIS_URL": "redis://cache:6379/2", "CONSOLE_JOBS_REDIS_URL": "redis://jobs:6379/0"}
    )
    assert both["CONSOLE_JOBS_REDIS_URL"] == "redis://jobs:6379/0"
    assert both["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"
    assert "CONSOLE_JOBS_REDIS_URL" not in from_environment({})


def test_the_sqlite_queue_sits_beside_a_sqlite_database_else_in_the_instance_folder(tmp_path):
    beside = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'console.db'}"})
    assert sqlite_path(beside) == tmp_path / "console-jobs.db"
    elsewhere = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'console.db'}",
            "CONSOLE_JOBS_SQLITE_PATH": str(tmp_path / "q" / "jobs.db"),
        }
    )
    assert sqlite_path(elsewhere) == tmp_path / "q" / "jobs.db"
    postgres = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db.internal/console"})
    assert sqlite_path(postgres) == Path(postgres.instance_path) / "console-jobs.db"
    # Nothing is opened until a job is queued.
    assert not (tmp_path / "console-jobs.db").exists()
    with beside.app_context():
        huey = queue().huey
        assert isinstance(huey, SqliteHuey)
        # The workers' periodic work (interrupted and old jobs, kept mail, purges, the
        # dashboard) is scheduled on it.
        scheduled = {type(task).__name__ for task in huey._registry.periodic_tasks}
        assert scheduled == set(beside.extensions["console"].periodic_jobs)
        assert {"check_jobs", "mail.retry", "dashboard.refresh", "sessions.purge"} <= scheduled
    assert (tmp_path / "console-jobs.db").is_file()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A queue in Redis, under a name of this test's own."""
    return {
        **app_config,
        "CONSOLE_JOBS_IMMEDIATE": False,
        "CONSOLE_JOBS_REDIS_URL": REDIS_URL,
        "CONSOLE_JOBS_QUEUE_NAME": f"console-test-{uuid.uuid4().hex[:8]}",
    }


def test_a_redis_consumer_runs_a_job_queued_by_another_process(app, operator, team):
    huey = queue().huey
    assert isinstance(huey, RedisHuey)
    try:
        job = bulk.start(operator, "deactivate", ListParams(q="team"))
        assert huey.pending_count() == 1
        # Another "host": an app of its own with the same settings, consuming from Redis.
        worker = create_app(app.config)
        with worker.app_context():
            consumer = queue().consumer(1, embedded=True)
            consumer.start()
        try:
            deadline = time.monotonic() + 30
            while fresh(Job, job.id).state != "done" and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.05)
        finally:
            consumer.stop(graceful=True)
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
        assert fresh(Job, job.id).processed == 6
        assert [fresh(User, user.id).active for user in team] == [False] * 6
    finally:
        huey.flush()
