"""The runner: a batch per transaction, resumed after an interruption without applying
anything twice, stopped between batches, and never run by two runs at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from console.extensions import db
from console.jobs import flows as job_flows
from console.jobs import runner
from console.jobs.errors import JobError
from console.jobs.models import Job
from console.users import bulk
from console.users import flows as user_flows
from console.users.query import ListParams

from .conftest import fresh

TEAM = ListParams(q="team")


def _active(users: list[Any]) -> list[bool]:
    db.session.expire_all()
    return [fresh(type(user), user.id).active for user in users]


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=2)
def test_a_job_interrupted_mid_batch_resumes_and_applies_nothing_twice(
    operator, team, stored_events, monkeypatch
):
    real = user_flows.ACTIONS["deactivate"]
    fourth = team[3].id

    def crash_on_the_fourth(actor: Any, user: Any, **options: Any) -> bool:
        changed = real(actor, user, **options)
        if user.id == fourth:
            # The process dies after changing the account, before its batch commits.
            raise RuntimeError("worker lost")
        return changed

    monkeypatch.setitem(user_flows.ACTIONS, "deactivate", crash_on_the_fourth)
    job = bulk.start(operator, "deactivate", TEAM)

    job = fresh(Job, job.id)
    assert job.state == "failed" and "worker lost" in job.error
    # The first batch (team0, team1) committed with its progress; the second rolled back
    # whole, the third account's change included.
    assert job.processed == 2 and job.cursor == team[1].id and job.total == 6
    assert _active(team) == [False, False, True, True, True, True]
    assert stored_events("admin.user.deactivated") == {team[0].id: 1, team[1].id: 1}

    monkeypatch.setitem(user_flows.ACTIONS, "deactivate", real)
    job_flows.resume(operator, job)

    job = fresh(Job, job.id)
    assert job.state == "done" and job.error is None and job.attempts == 2
    assert job.processed == 6 and job.outcomes == {"changed": 6}
    assert _active(team) == [False] * 6
    # One event per account: the accounts of the committed batch were not done again.
    assert stored_events("admin.user.deactivated") == {user.id: 1 for user in team}


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=2)
def test_a_job_stops_between_batches_when_cancelled(operator, team, stored_events):
    job = bulk.start(operator, "deactivate", TEAM, enqueue=False)
    seen: list[int] = []

    def cancel_after_the_first_batch(running: Job) -> None:
        seen.append(running.processed)
        if len(seen) == 1:
            job_flows.cancel(operator, fresh(Job, running.id))

    ended = runner.run(job.id, on_batch=cancel_after_the_first_batch)

    assert ended is not None and ended.state == "cancelled" and ended.finished_at is not None
    assert seen == [2] and ended.processed == 2
    assert _active(team) == [False, False, True, True, True, True]
    assert sum(stored_events("admin.user.deactivated").values()) == 2
    assert sum(stored_events("admin.job.cancelled").values()) == 1
    # A stopped job is not resumed, and a second run finds nothing to do.
    with pytest.raises(JobError):
        job_flows.resume(operator, fresh(Job, job.id))
    assert runner.run(job.id) is None
    assert _active(team)[2:] == [True] * 4


def test_a_queued_job_cancelled_never_runs(operator, team):
    job = bulk.start(operator, "deactivate", TEAM, enqueue=False)
    job_flows.cancel(operator, job)

    assert fresh(Job, job.id).state == "cancelled"
    assert runner.run(job.id) is None
    assert _active(team) == [True] * 6


def test_a_finished_job_cannot_be_stopped_or_resumed(operator, team):
    job = bulk.start(operator, "unlock", TEAM)
    assert fresh(Job, job.id).state == "done"
    with pytest.raises(JobError) as stopped:
        job_flows.cancel(operator, fresh(Job, job.id))
    assert stopped.value.code == "finished"
    with pytest.raises(JobError) as resumed:
        job_flows.resume(operator, fresh(Job, job.id))
    assert resumed.value.code == "not_resumable"


def test_a_running_job_is_taken_over_only_once_its_run_stops_reporting(operator, team):
    job = bulk.start(operator, "deactivate", TEAM, enqueue=False)
    row = fresh(Job, job.id)
    row.state, row.heartbeat_at, row.run_token = "running", naive_utcnow(), "a" * 32
    db.session.commit()

    # A live run owns it: neither a second message nor the periodic check runs it.
    assert runner.run(job.id) is None
    assert job_flows.recover() == 0
    assert _active(team) == [True] * 6

    row = fresh(Job, job.id)
    row.heartbeat_at = naive_utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert job_flows.is_stale(fresh(Job, job.id))

    # The periodic check queues it again (immediate mode runs it at once).
    assert job_flows.recover() == 1
    ended = fresh(Job, job.id)
    assert ended.state == "done" and ended.processed == 6
    assert _active(team) == [False] * 6


def test_a_job_whose_operator_lost_the_permission_stops(operator, team, make_user):
    from console.accounts import ensure_role

    lead = make_user("lead@example.com", password=None, roles=["Lead"], permissions=["users:write"])
    job = bulk.start(lead, "deactivate", TEAM, enqueue=False)
    ensure_role("Lead", ["users:read"])
    db.session.commit()

    ended = runner.run(job.id)

    assert ended is not None and ended.state == "failed"
    assert "no longer holds the permission users:write" in ended.error
    assert ended.processed == 0 and _active(team) == [True] * 6


def test_old_finished_jobs_are_purged_and_young_ones_kept(operator, team):
    job_id = bulk.start(operator, "unlock", TEAM).id
    assert job_flows.purge_finished() == 0
    row = fresh(Job, job_id)
    row.finished_at = naive_utcnow() - timedelta(days=400)
    db.session.commit()

    assert job_flows.purge_finished() == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Job).where(Job.id == job_id)) is None
