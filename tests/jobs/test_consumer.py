"""A real Huey consumer on the SQLite queue storage runs the console's jobs: from the page
that starts them to every account changed, and stopped between batches when cancelled."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from console.extensions import db
from console.jobs import flows as job_flows
from console.jobs.models import Job
from console.models import User
from console.users import bulk
from console.users import flows as user_flows
from console.users.query import ListParams

from .conftest import USERS, fresh, through_the_queue


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return through_the_queue(app_config, tmp_path)


def _wait_for(job_id: int, done: Any, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A fresh read each time: the worker commits from its own session.
        db.session.rollback()
        job = fresh(Job, job_id)
        if done(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {fresh(Job, job_id).state} after {timeout}s")


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=4)
def test_a_job_started_from_the_page_runs_in_the_consumer(
    app, tmp_path, consumer, signed_in_operator, team, outsider, stored_events
):
    data = {"action": "deactivate", "scope": "matching", "filters": "q=team", "confirm": "yes"}
    response = signed_in_operator.post(f"{USERS}action/", data=data)

    assert response.status_code == 302
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert (tmp_path / "queue.db").is_file()
    job = _wait_for(job_id, lambda job: job.state == "done")
    assert job.processed == job.total == 6 and job.outcomes == {"changed": 6}
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert [fresh(User, u.id).active for u in team] == [False] * 6
    assert fresh(User, outsider.id).active is True
    assert stored_events("admin.user.deactivated") == {user.id: 1 for user in team}


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=2)
def test_a_job_running_in_the_consumer_stops_between_batches(
    app, consumer, operator, make_user, monkeypatch
):
    people = [make_user(f"crew{i:02}@example.com", password=None) for i in range(30)]
    real = user_flows.ACTIONS["require_password_change"]

    def slow(actor: Any, user: Any, **options: Any) -> bool:
        time.sleep(0.05)
        return real(actor, user, **options)

    monkeypatch.setitem(user_flows.ACTIONS, "require_password_change", slow)
    job = bulk.start(operator, "require_password_change", ListParams(q="crew"))
    _wait_for(job.id, lambda job: job.processed >= 2)

    job_flows.cancel(operator, fresh(Job, job.id))
    ended = _wait_for(job.id, lambda job: job.state == "cancelled")

    # Whole batches only, and not all of them.
    assert 2 <= ended.processed < len(people) and ended.processed % 2 == 0
    assert ended.outcomes == {"changed": ended.processed}
    changed = [fresh(User, u.id).password_change_required for u in people]
    assert changed == [True] * ended.processed + [False] * (len(people) - ended.processed)


def test_mail_sent_by_a_job_in_the_consumer_links_to_the_starting_address(
    app, consumer, signed_in_operator, team, outbox
):
    data = {"action": "send_password_reset", "scope": "matching", "filters": "q=team0"}
    response = signed_in_operator.post(f"{USERS}action/", data={**data, "confirm": "yes"})
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    job = _wait_for(job_id, lambda job: job.state != "queued" and not job.active)

    assert job.state == "done" and job.outcomes == {"changed": 1}, job.error
    # The job hands the mail to the queue after its batch commits: the consumer sends it
    # as a task of its own, which may still be running when the job is done.
    deadline = time.monotonic() + 30
    while not (sent := [m for m in outbox() if "team0@example.com" in m.recipients]):
        assert time.monotonic() < deadline, "the reset mail was not sent within 30 s"
        db.session.rollback()
        time.sleep(0.05)
    (message,) = sent
    # No request and no SERVER_NAME in the worker: the link is built on the address the
    # operator used.
    assert "http://localhost/reset/" in message.body_text
