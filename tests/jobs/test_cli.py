"""`flask console users bulk`: every account matching a filter, as a job run in the shell
with a progress bar; and `flask console jobs` to list and resume jobs."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from console.extensions import db
from console.jobs.models import Job
from console.models import User
from console.users import flows as user_flows

from .conftest import fresh


def _invoke(app, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["console", *args])


def _jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).order_by(Job.id)))


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=4)
def test_bulk_deactivates_every_match_in_batches(app, operator, team, outsider, stored_events):
    result = _invoke(app, "users", "bulk", "deactivate", "--filter", "q=team", "--yes")

    assert result.exit_code == 0, result.output + result.stderr
    assert "deactivate: 6 account(s) match (Search: team)." in result.output
    (job,) = _jobs()
    assert f"Job {job.id} Done: 6 processed (Changed 6)." in result.output
    assert job.state == "done" and job.origin == "cli" and job.system is True
    assert [fresh(User, u.id).active for u in team] == [False] * 6
    assert fresh(User, outsider.id).active is True
    assert stored_events("admin.user.deactivated") == {user.id: 1 for user in team}


def test_bulk_as_an_operator_lists_refusals_and_fails(app, helpdesk, team, auditors):
    result = _invoke(
        app, "users", "bulk", "deactivate", "--filter", "q=team", "--as", helpdesk.email, "--yes"
    )

    assert result.exit_code == 1
    assert "Changed 6, Refused 2" in result.output
    for auditor in auditors:
        assert f"{auditor.email}: {auditor.email} holds permissions you do not hold" in (
            result.stderr
        )
    assert [fresh(User, u.id).active for u in auditors] == [True, True]


def test_bulk_filters_by_role_name_and_asks_before_acting(app, operator, team, auditors):
    declined = _invoke(app, "users", "bulk", "unlock", "--filter", "role=Auditor")
    assert declined.exit_code == 1 and "2 account(s) match (Role: Auditor)" in declined.output
    assert _jobs() == []

    agreed = app.test_cli_runner().invoke(
        args=["console", "users", "bulk", "require_password_change", "--filter", "role=Auditor"],
        input="y\n",
    )
    assert agreed.exit_code == 0, agreed.output + agreed.stderr
    assert [fresh(User, u.id).password_change_required for u in auditors] == [True, True]
    assert not any(fresh(User, u.id).password_change_required for u in team)


def test_bulk_refuses_a_bad_filter_and_writes_nothing(app, operator, team):
    unknown = _invoke(app, "users", "bulk", "deactivate", "--filter", "colour=red", "--yes")
    bad_day = _invoke(
        app, "users", "bulk", "deactivate", "--filter", "created_from=yesterday", "--yes"
    )
    no_role = _invoke(app, "users", "bulk", "deactivate", "--filter", "role=Nobody", "--yes")

    assert unknown.exit_code == bad_day.exit_code == no_role.exit_code == 2
    assert "KEY one of q, active" in unknown.stderr
    assert "not a date" in bad_day.stderr and "no role is named 'Nobody'" in no_role.stderr
    assert _jobs() == []
    assert all(fresh(User, u.id).active for u in team)


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=2)
def test_jobs_resume_goes_on_after_the_last_batch(app, operator, team, monkeypatch, stored_events):
    real = user_flows.ACTIONS["deactivate"]

    def crash_on_the_fifth(actor: Any, user: Any, **options: Any) -> bool:
        if user.id == team[4].id:
            raise RuntimeError("disk full")
        return real(actor, user, **options)

    monkeypatch.setitem(user_flows.ACTIONS, "deactivate", crash_on_the_fifth)
    failed = _invoke(app, "users", "bulk", "deactivate", "--filter", "q=team", "--yes")
    (job,) = _jobs()
    assert failed.exit_code == 1 and "Error: RuntimeError: disk full" in failed.stderr
    assert job.state == "failed" and job.processed == 4

    listed = _invoke(app, "jobs", "list")
    assert f"{job.id:>6}  users.bulk" in listed.output and "4/6" in listed.output

    monkeypatch.setitem(user_flows.ACTIONS, "deactivate", real)
    resumed = _invoke(app, "jobs", "resume", str(job.id))
    assert resumed.exit_code == 0, resumed.output + resumed.stderr
    assert fresh(Job, job.id).processed == 6
    assert stored_events("admin.user.deactivated") == {user.id: 1 for user in team}


def test_the_worker_refuses_to_start_in_immediate_mode(app):
    result = _invoke(app, "worker")
    assert result.exit_code == 1 and "CONSOLE_JOBS_IMMEDIATE" in result.stderr
