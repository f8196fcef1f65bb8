"""/dashboard: the figures the dashboard page shows, from the same snapshot and counters, with
the page's permission."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask_security import naive_utcnow

from tests.api.conftest import problem
from tests.dashboard import conftest as dashboard
from tests.dashboard.conftest import Population

# The dashboard tests' population of accounts and sign-ins, whose figures are known.
population = dashboard.population


def _figure(body: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}"[^>]*>([^<]*)<', body)
    assert match, key
    return match.group(1).strip()


def test_the_figures_of_the_page(
    operator_api: Any, signed_in_operator: Any, population: Population
) -> None:
    response = operator_api.get("/dashboard")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    users = body["users"]
    # The operator plus the seven accounts the fixture made (tests/dashboard).
    assert (users["total"], users["active"], users["locked"], users["unconfirmed"]) == (8, 7, 1, 1)
    assert (users["with_mfa"], users["mfa_percent"], users["dormant"]) == (2, 25, 1)
    support = next(r for r in users["roles"] if r["name"] == "Support")
    assert (support["members"], support["with_mfa"], support["percent"]) == (2, 1, 50)
    # The operator's signed-in browser is the one live session.
    assert body["computed_at"] and body["live_sessions"] == 1
    assert len(body["days"]) == 30 and body["days"][-1]["day"] == naive_utcnow().date().isoformat()
    # Today's sign-ins are the fixture's and the operator's own in the browser.
    today = population.sign_ins_today + 1
    assert body["days"][-1]["sign_ins"] == today
    assert body["days"][-3]["sign_ins"] == population.sign_ins_two_days_ago
    assert body["totals"] == {
        "sign_ins": today + population.sign_ins_two_days_ago,
        "failures": population.failures_today,
    }
    assert [e["action"] for e in body["recent_events"]][:1] == ["user.login"]
    assert "details" not in body["recent_events"][0] and "ip" not in body["recent_events"][0]

    page = signed_in_operator.get("/admin/dashboard/").get_data(as_text=True)
    assert _figure(page, "users-total") == str(users["total"])
    assert _figure(page, "users-locked") == str(users["locked"])
    assert _figure(page, "mfa-coverage") == f"{users['mfa_percent']}%"
    assert _figure(page, "dormant") == str(users["dormant"])
    assert _figure(page, "live-sessions") == str(body["live_sessions"])
    assert _figure(page, "sign-ins-30") == str(body["totals"]["sign_ins"])
    assert _figure(page, "failures-30") == str(body["totals"]["failures"])


def test_a_stale_snapshot_is_recomputed_after_the_response(
    operator_api: Any, population: Population, make_user: Any
) -> None:
    import sqlalchemy as sa

    from console.dashboard import snapshot
    from console.dashboard.models import DashboardSnapshot
    from console.extensions import db

    snapshot.refresh()
    db.session.execute(
        sa.update(DashboardSnapshot).values(computed_at=naive_utcnow() - timedelta(minutes=6))
    )
    db.session.commit()
    make_user("newcomer@example.com", password=None)
    response = operator_api.get("/dashboard")
    # Answered from the snapshot there is, without waiting for the recount.
    assert response.get_json()["users"]["total"] == 8
    response.close()
    assert snapshot.load().users.total == 9
    assert operator_api.get("/dashboard").get_json()["users"]["total"] == 9


def test_the_dashboard_needs_users_read(api_as: Any, make_user: Any, client: Any) -> None:
    auditor = make_user(
        "auditor@example.com", password="auditor password 1", permissions=["audit:read"]
    )
    body = problem(api_as(auditor).get("/dashboard"), 403, "permission_denied")
    assert "users:read" in body["detail"]
    from tests.conftest import login

    assert login(client, auditor.email, "auditor password 1").status_code == 302
    assert client.get("/admin/dashboard/").status_code == 403
