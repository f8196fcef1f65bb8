"""In Chromium: a job's progress refreshes by HTMX polling, and without JavaScript by the page
reloading itself; the jobs pages and the "every matching user" confirmation pass axe."""

from __future__ import annotations

from typing import Any

import pytest
from flask_security import naive_utcnow

from console.extensions import db
from console.jobs.models import Job
from console.users import bulk
from console.users.query import ListParams
from tests.a11y.test_axe import describe, set_theme, violations
from tests.browser.test_security_pages import sign_in

from .conftest import JOBS, USERS, fresh

pytestmark = pytest.mark.browser


def _running(operator: Any) -> int:
    """A job its worker is running, four of ten items done."""
    job = bulk.start(operator, "deactivate", ListParams(q="team"), enqueue=False)
    row = fresh(Job, job.id)
    row.state, row.total, row.processed, row.outcomes = "running", 10, 4, {"changed": 4}
    row.heartbeat_at, row.run_token = naive_utcnow(), "r" * 32
    db.session.commit()
    return job.id


def _advance(job_id: int, **values: Any) -> None:
    row = fresh(Job, job_id)
    for name, value in values.items():
        setattr(row, name, value)
    row.heartbeat_at = naive_utcnow()
    db.session.commit()


def test_progress_refreshes_by_polling(page, live_server, operator, team):
    job_id = _running(operator)
    sign_in(page, live_server.url, operator.email, "operator password 1")
    page.goto(f"{live_server.url}{JOBS}{job_id}/")
    bar = page.locator("#job-progress [data-testid=job-progress]")
    assert bar.get_attribute("value") == "4"

    _advance(job_id, processed=7, outcomes={"changed": 7})
    page.wait_for_function(
        "() => document.querySelector('#job-progress progress').getAttribute('value') === '7'"
    )
    assert page.locator("[data-outcome=changed]").inner_text() == "7"

    # The job ends: the page reloads whole (its report) and stops polling.
    _advance(job_id, processed=10, state="done", finished_at=naive_utcnow(), run_token=None)
    page.wait_for_selector("#job-progress[data-job-state=done]")
    assert page.locator("#job-progress[hx-trigger]").count() == 0
    assert page.get_by_text("Every item was handled.").is_visible()


def test_progress_refreshes_without_javascript(browser, live_server, operator, team):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        job_id = _running(operator)
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}{JOBS}")
        assert page.locator(f"tr[data-job-id='{job_id}'] progress").get_attribute("value") == "4"

        _advance(job_id, processed=6)
        # The <noscript> refresh reloads the list within five seconds.
        page.wait_for_selector(f"tr[data-job-id='{job_id}'] progress[value='6']")
        page.click(f"tr[data-job-id='{job_id}'] a")
        page.click("[data-testid=job-cancel]")
        page.click("[data-testid=confirm-cancel]")
        assert "The job stops after the batch it is working on." in page.content()
        assert fresh(Job, job_id).cancel_requested is True
    finally:
        context.close()


def test_the_jobs_pages_pass_axe(browser, live_server, operator, team, auditors):
    # As tests/a11y does: no transitions (colours settle at once), axe injected past the CSP.
    context = browser.new_context(color_scheme="light", reduced_motion="reduce", bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}{USERS}?q=team")
        with page.expect_navigation():
            page.click("[data-testid=bulk-matching]")
        assert "This applies to all 8 users" in page.content()
        checked = {"confirmation": violations(page)}
        job_id = _running(operator)
        for name, path in (("list", JOBS), ("job", f"{JOBS}{job_id}/")):
            page.goto(f"{live_server.url}{path}")
            checked[name] = violations(page)
            set_theme(page, "dark")
            checked[f"{name} (dark)"] = violations(page, ["color-contrast"])
    finally:
        context.close()
    assert checked == {name: [] for name in checked}, {
        name: describe(found) for name, found in checked.items() if found
    }
