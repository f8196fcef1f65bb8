"""The dashboard's figures match the data, its charts are accessible SVG, and it is fast."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_security import naive_utcnow

from tests.conftest import login


def _figure(body: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}"[^>]*>([^<]*)<', body)
    assert match, key
    return match.group(1).strip()


def test_user_figures_match_the_fixture(app, population):
    from console.dashboard import snapshot

    users = snapshot.refresh().users
    # The operator plus the seven accounts the fixture made.
    assert users.total == 8
    assert users.active == 7
    assert users.locked == 1
    assert users.unconfirmed == 1
    assert users.with_mfa == 2  # an authenticator app and a passkey
    assert users.mfa_percent == 25
    assert users.dormant == 1  # the inactive one does not count
    per_role = {r.name: (r.members, r.with_mfa, r.percent) for r in users.roles}
    assert per_role["Support"] == (2, 1, 50)
    assert per_role["Administrator"] == (1, 0, 0)


def test_daily_sign_ins_come_from_the_counters(app, population, count_queries):
    from console.dashboard import figures

    with count_queries() as counter:
        days = figures.daily(30)
    assert len(days) == 30
    assert days[-1].day == naive_utcnow().date()
    assert (days[-1].sign_ins, days[-1].failures) == (3, 1)
    assert days[-3].sign_ins == 2
    assert sum(d.sign_ins for d in days) == 5
    assert len(counter) == 1 and "audit_event" not in counter.statements[0]


def test_the_page_shows_the_figures(signed_in_operator, population):
    from console.dashboard import snapshot

    stored = snapshot.refresh()
    body = signed_in_operator.get("/admin/dashboard/").get_data(as_text=True)
    assert _figure(body, "users-total") == "8"
    assert _figure(body, "users-active") == "7"
    assert _figure(body, "users-locked") == "1"
    assert _figure(body, "users-unconfirmed") == "1"
    assert _figure(body, "mfa-coverage") == "25%"
    assert _figure(body, "dormant") == "1"
    # The operator's own sign-in is one more today.
    assert _figure(body, "sign-ins-30") == "6"
    assert _figure(body, "failures-30") == "1"
    today = naive_utcnow().date().isoformat()
    assert re.search(rf'data-day="{today}"><th scope="row">[^<]*</th><td>4</td><td>1</td>', body)
    if stored.live_sessions is not None:
        assert stored.live_sessions >= 1  # the operator's own session
        assert _figure(body, "live-sessions") == str(stored.live_sessions)
    assert 'data-action="user.login_failed"' in body


def test_dormant_accounts_link_to_the_filtered_user_list(signed_in_operator, population):
    from console.dashboard import snapshot

    snapshot.refresh()
    body = signed_in_operator.get("/admin/dashboard/").get_data(as_text=True)
    cutoff = (naive_utcnow() - timedelta(days=90)).date().isoformat()
    link = re.search(r'href="([^"]+)" data-testid="dormant-link"', body)
    assert link, "the users list is registered, so the figure links to it"
    assert f"login_before={cutoff}" in link.group(1)
    listing = signed_in_operator.get(link.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200
    listed = listing.get_data(as_text=True)
    assert population.users["dormant"].email in listed
    assert population.users["inactive"].email not in listed
    assert population.users["passkey"].email not in listed


def test_charts_are_inline_svg_with_text_alternatives_and_no_styles(signed_in_operator, population):
    from console.dashboard import snapshot

    snapshot.refresh()
    body = signed_in_operator.get("/admin/dashboard/").get_data(as_text=True)
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="signins-title signins-desc"', body)
    assert '<title id="signins-title">' in body and '<desc id="signins-desc">' in body
    assert 'id="signins-table"' in body and 'id="mfa-coverage"' in body
    assert body.count("<rect") >= 60
    assert " style=" not in body and "<style" not in body
    assert "<script>" not in body


def test_operators_land_on_the_dashboard(signed_in_operator):
    response = signed_in_operator.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/dashboard/")


def test_the_dashboard_needs_users_read(client, make_user):
    make_user("plain@example.com", password="plain password 123")
    login(client, "plain@example.com", "plain password 123")
    assert client.get("/admin/dashboard/").status_code == 403
