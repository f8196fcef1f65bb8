"""Every user matching the list's filters: counted on the confirmation page, run as a job
through the per-account flows, refusals in the job's report."""

from __future__ import annotations

import re

import sqlalchemy as sa

from console.extensions import db
from console.jobs.models import Job, JobReportLine
from console.models import User

from .conftest import JOBS, USERS, fresh


def _matching(client, action, filters, **extra):
    return client.post(
        f"{USERS}action/",
        data={"action": action, "scope": "matching", "filters": filters, **extra},
    )


def _jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).order_by(Job.id)))


def test_the_list_carries_its_filters_for_every_matching_user(signed_in_operator, team):
    body = signed_in_operator.get(f"{USERS}?q=team&active=yes&sort=email").get_data(as_text=True)
    assert 'data-testid="bulk-matching"' in body
    carried = re.findall(
        r'<input type="hidden" name="filters" value="([^"]*)" form="bulk-form">', body
    )
    # Once, with the filters but not the order or page size.
    assert carried == ["q=team&amp;active=yes"]


def test_refusals_of_outranking_accounts_are_listed_in_the_report(
    helpdesk_client, helpdesk, team, auditors, outsider, stored_events
):
    first = _matching(helpdesk_client, "deactivate", "q=team")
    page = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "This applies to all 8 users matching the search and filters." in page
    assert "team" in re.search(r'data-testid="matching-filters">(.*?)</dl>', page, re.S).group(1)
    assert _jobs() == []  # the confirmation writes nothing

    confirmed = _matching(helpdesk_client, "deactivate", "q=team", confirm="yes")
    (job,) = _jobs()
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == f"{JOBS}{job.id}/"
    assert job.state == "done" and job.total == 8 and job.processed == 8
    assert job.outcomes == {"changed": 6, "refused": 2}
    assert job.created_by_id == helpdesk.id and job.params["filters"] == {"q": "team"}

    lines = list(db.session.scalars(sa.select(JobReportLine).order_by(JobReportLine.id)))
    assert [(line.item, line.code) for line in lines] == [
        (auditor.email, "outranked") for auditor in auditors
    ]
    assert all("audit:read" in line.message for line in lines)
    assert [fresh(User, u.id).active for u in team] == [False] * 6
    assert [fresh(User, u.id).active for u in (*auditors, outsider)] == [True] * 3
    assert stored_events("admin.user.deactivated") == {user.id: 1 for user in team}

    report = helpdesk_client.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert "2 items were not handled:" in report
    for auditor in auditors:
        assert auditor.email in report


def test_the_last_administrator_guard_applies_per_account(app, operator, make_user):
    from console.core.permissions import ADMIN_ROLE, all_permissions
    from console.users import bulk
    from console.users.query import ListParams

    second = make_user(
        "second.admin@example.com", password=None, roles=[ADMIN_ROLE], permissions=all_permissions()
    )
    role_id = operator.roles[0].id
    # From the shell (no operator): only the guard can refuse.
    job = bulk.start(None, "deactivate", ListParams(role=role_id))

    job = fresh(Job, job.id)
    assert job.outcomes == {"changed": 1, "refused": 1}
    (line,) = db.session.scalars(sa.select(JobReportLine))
    assert line.code == "last_admin" and line.item == second.email
    assert fresh(User, operator.id).active is False and fresh(User, second.id).active is True


def test_a_list_showing_no_row_starts_nothing(signed_in_operator, team):
    response = signed_in_operator.post(
        f"{USERS}action/", data={"action": "deactivate", "scope": "matching"}
    )
    assert response.status_code == 302
    assert _jobs() == []
    assert [fresh(User, u.id).active for u in team] == [True] * 6


def test_a_filter_matching_nobody_or_a_bad_date_starts_nothing(signed_in_operator, team):
    nobody = _matching(signed_in_operator, "deactivate", "q=zzz", confirm="yes")
    bad_day = _matching(
        signed_in_operator, "deactivate", "q=team&created_from=31.12.2026", confirm="yes"
    )
    assert nobody.status_code == 302 and bad_day.status_code == 302
    follow = signed_in_operator.get(bad_day.headers["Location"]).get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in follow
    assert _jobs() == []


def test_a_reader_cannot_start_a_bulk_job(client, make_user, team):
    from tests.conftest import login

    make_user("reader@example.com", password="reader password 1", permissions=["users:read"])
    assert login(client, "reader@example.com", "reader password 1").status_code == 302
    response = _matching(client, "deactivate", "q=team", confirm="yes")
    assert response.status_code == 403
    assert _jobs() == []


def test_permanent_deletion_of_every_match_needs_the_typed_count(
    signed_in_operator, team, stored_events
):
    wrong = _matching(signed_in_operator, "delete", "q=team", confirm="yes", mode="hard", typed="5")
    assert wrong.status_code == 400 and _jobs() == []
    assert "type 6" in wrong.get_data(as_text=True)

    right = _matching(signed_in_operator, "delete", "q=team", confirm="yes", mode="hard", typed="6")
    assert right.status_code == 302
    (job,) = _jobs()
    assert job.params["hard"] is True and job.outcomes == {"changed": 6}
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.email.like("team%"))
        )
        == 0
    )
    assert sum(stored_events("admin.user.deleted").values()) == 6
