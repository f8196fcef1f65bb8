"""The jobs page: state and progress, HTMX polling while a job runs and a self-reloading
page without JavaScript, stopping with a confirmation, and who sees and stops what."""

from __future__ import annotations

from flask_security import naive_utcnow

from console.extensions import db
from console.jobs.models import Job
from console.users import bulk
from console.users.query import ListParams

from .conftest import JOBS, fresh

TEAM = ListParams(q="team")
NOSCRIPT_REFRESH = '<noscript><meta http-equiv="refresh" content="5"></noscript>'


def _half_done(operator) -> Job:
    """A job its worker is running, four of ten items done."""
    job = bulk.start(operator, "deactivate", TEAM, enqueue=False)
    row = fresh(Job, job.id)
    row.state, row.total, row.processed = "running", 10, 4
    row.outcomes, row.cursor = {"changed": 3, "refused": 1}, 4
    row.heartbeat_at, row.run_token = naive_utcnow(), "r" * 32
    db.session.commit()
    return row


def test_a_running_job_shows_its_progress_and_polls(signed_in_operator, operator, team):
    job = _half_done(operator)

    listing = signed_in_operator.get(JOBS)
    body = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert 'value="4" max="10"' in body and "4 of 10 items" in body
    assert (
        'data-job-state="running"' in body
        and "Deactivate: every user matching Search: team" in body
    )
    assert 'hx-trigger="every 2s"' in body
    assert NOSCRIPT_REFRESH in body  # without JavaScript the page reloads itself

    page = signed_in_operator.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert NOSCRIPT_REFRESH in page and 'data-testid="job-reload"' in page
    assert (
        '<dd data-outcome="changed">3</dd>' in page and '<dd data-outcome="refused">1</dd>' in page
    )
    assert 'data-testid="job-cancel"' in page

    # HTMX asks for the progress alone, and keeps polling while the job runs.
    poll = signed_in_operator.get(f"{JOBS}{job.id}/?poll=1", headers={"HX-Request": "true"})
    fragment = poll.get_data(as_text=True)
    assert poll.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="job-progress"') and "every 2s" in fragment
    assert "HX-Refresh" not in poll.headers and "HX-Request" in poll.headers["Vary"]


def test_a_finished_job_stops_polling_and_reloads_the_watching_page(
    signed_in_operator, operator, team
):
    job = _half_done(operator)
    row = fresh(Job, job.id)
    row.state, row.processed, row.finished_at, row.run_token = "done", 10, naive_utcnow(), None
    db.session.commit()

    poll = signed_in_operator.get(f"{JOBS}{job.id}/?poll=1", headers={"HX-Request": "true"})
    assert poll.headers["HX-Refresh"] == "true"
    assert "hx-trigger" not in poll.get_data(as_text=True)
    listing = signed_in_operator.get(JOBS).get_data(as_text=True)
    assert "hx-trigger" not in listing and NOSCRIPT_REFRESH not in listing
    assert 'value="10" max="10"' in listing


def test_stopping_a_job_asks_first(signed_in_operator, operator, team):
    job = _half_done(operator)

    asked = signed_in_operator.post(f"{JOBS}{job.id}/cancel/")
    assert asked.status_code == 200
    assert 'data-testid="confirm-cancel"' in asked.get_data(as_text=True)
    assert fresh(Job, job.id).cancel_requested is False

    done = signed_in_operator.post(f"{JOBS}{job.id}/cancel/", data={"confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"] == f"{JOBS}{job.id}/"
    assert fresh(Job, job.id).cancel_requested is True
    page = signed_in_operator.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert "The job stops after the batch it is working on." in page
    assert "stopping after this batch" in page and 'data-testid="job-cancel"' not in page


def test_an_outranked_operator_cannot_stop_another_operators_job(helpdesk_client, operator, team):
    job = _half_done(operator)
    page = helpdesk_client.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert 'data-testid="job-cancel"' not in page

    refused = helpdesk_client.post(f"{JOBS}{job.id}/cancel/", data={"confirm": "yes"})
    follow = helpdesk_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "holds permissions you do not hold" in follow
    assert fresh(Job, job.id).cancel_requested is False


def test_a_failed_job_is_resumed_from_the_page(signed_in_operator, operator, team):
    job = _half_done(operator)
    row = fresh(Job, job.id)
    row.state, row.error, row.run_token = "failed", "RuntimeError: worker lost", None
    # The four done are the first four accounts (the cursor is the fourth one's id).
    row.cursor, row.processed, row.outcomes = team[3].id, 4, {"changed": 4}
    row.total = None
    db.session.commit()
    page = signed_in_operator.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert 'data-testid="job-error"' in page and "worker lost" in page

    signed_in_operator.post(f"{JOBS}{job.id}/resume/")

    ended = fresh(Job, job.id)
    assert ended.state == "done" and ended.processed == 6
    # Only the accounts after the cursor were handled by the resumed run.
    assert ended.outcomes == {"changed": 6}
    assert [fresh(type(user), user.id).active for user in team] == [True] * 4 + [False] * 2


def test_who_sees_the_jobs_page(client, make_user, operator, team):
    from tests.conftest import login

    job = bulk.start(operator, "unlock", TEAM)
    make_user("reader@example.com", password="reader password 1", permissions=["users:read"])
    make_user("mailer@example.com", password="mailer password 1", permissions=["mail:read"])

    assert login(client, "mailer@example.com", "mailer password 1").status_code == 302
    assert client.get(JOBS).status_code == 403
    client.post("/logout")

    assert login(client, "reader@example.com", "reader password 1").status_code == 302
    page = client.get(f"{JOBS}{job.id}/").get_data(as_text=True)
    assert f"Bulk action on users #{job.id}</h1>" in page
    assert "Unlock: every user matching Search: team" in page
    assert 'data-testid="job-cancel"' not in page and 'data-testid="job-resume"' not in page
    assert client.post(f"{JOBS}{job.id}/cancel/", data={"confirm": "yes"}).status_code == 302
    assert fresh(Job, job.id).state == "done"
    assert client.get(f"{JOBS}999999/").status_code == 404
    assert 'data-nav="jobs.index"' in client.get(JOBS).get_data(as_text=True)
