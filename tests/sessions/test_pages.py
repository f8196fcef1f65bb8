"""The user's sessions page and the operators' Sessions view, section and actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.core.signals import emit
from console.sessions import store
from tests.conftest import login
from tests.sessions.conftest import FAST_HASHING, PASSWORD, records_of, session_id_of
from tests.support.events import flat

pytestmark = FAST_HASHING

SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)


def _record_of(client, user):
    digest = store.digest(session_id_of(client))
    return next(r for r in records_of(user) if r.token_hash == digest)


def test_your_sessions_lists_them_and_marks_this_one(app, browser_of, member):
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = SAFARI
    assert login(phone, member.email, PASSWORD).status_code == 302
    laptop = browser_of(member)
    page = laptop.get("/account/sessions/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Safari 18 on Mac OS X 14.6" in html
    assert html.count('data-current="true"') == 1
    assert f'data-session="{_record_of(laptop, member).short_id}" data-current="true"' in html
    assert f"/account/sessions/{_record_of(phone, member).key}/end" in html
    assert "Sign out everywhere else" in html
    assert "Vary" in page.headers and "HX-Request" in page.headers["Vary"]


def test_ending_one_session_over_htmx_returns_the_list_fragment(browser_of, member):
    first, second = browser_of(member), browser_of(member)
    other = _record_of(second, member)
    response = first.post(f"/account/sessions/{other.key}/end", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-announce="The session was ended."' in html
    assert other.short_id not in html
    assert second.get("/account/sessions/").status_code == 302


def test_a_user_cannot_end_someone_elses_session(browser_of, member, make_user):
    stranger = make_user("stranger@example.com", password=PASSWORD)
    theirs = _record_of(browser_of(stranger), stranger)
    response = browser_of(member).post(f"/account/sessions/{theirs.key}/end")
    assert response.status_code == 404
    assert records_of(stranger)[0].ended_at is None


def test_the_current_session_is_not_ended_from_the_list(browser_of, member):
    client = browser_of(member)
    mine = _record_of(client, member)
    response = client.post(f"/account/sessions/{mine.key}/end", follow_redirects=True)
    assert "sign out to end it" in response.get_data(as_text=True)
    assert records_of(member)[0].ended_at is None


def test_sign_out_everywhere_else_asks_first_without_javascript(browser_of, member, events):
    first, second, third = browser_of(member), browser_of(member), browser_of(member)
    confirm = first.post("/account/sessions/end-others")
    assert confirm.status_code == 200
    assert 'name="confirmed" value="1"' in confirm.get_data(as_text=True)
    assert all(r.ended_at is None for r in records_of(member))
    done = first.post("/account/sessions/end-others", data={"confirmed": "1"})
    assert done.status_code == 302
    assert second.get("/account/sessions/").status_code == 302
    assert third.get("/account/sessions/").status_code == 302
    assert first.get("/account/sessions/").status_code == 200
    ended = [d for a, d in flat(events) if a == "session.ended_others"]
    assert len(ended) == 2 and all(d["reason"] == "ended_others" for d in ended)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/account/sessions/").status_code == 302
    response = client.get("/account/sessions/", headers={"HX-Request": "true"})
    assert "/login" in response.headers["HX-Redirect"]


def test_second_factor_is_recorded(app, make_user):
    from flask_security.proxies import _security

    with app.test_request_context():
        secret = _security._totp_factory.generate_totp_secret()
    user = make_user(
        "tf@example.com",
        password=PASSWORD,
        tf_primary_method="authenticator",
        tf_totp_secret=secret,
    )
    client = app.test_client()
    first = login(client, user.email, PASSWORD)
    assert first.status_code == 302 and "/tf-" in first.headers["Location"]
    assert records_of(user) == []
    with app.test_request_context():
        code = _security._totp_factory.generate_totp_password(secret)
    done = client.post("/tf-validate", data={"code": code})
    assert done.status_code == 302, done.get_data(as_text=True)
    [record] = records_of(user)
    assert (record.auth_method, record.second_factor) == ("password", "authenticator")
    page = client.get("/account/sessions/").get_data(as_text=True)
    assert "Password + authenticator app" in page


def test_operator_sees_every_live_session_and_filters(browser_of, member, make_user, operator):
    other = make_user("zed@example.org", password=PASSWORD)
    browser_of(member)
    browser_of(other)
    admin = browser_of(operator, password="operator password 1")
    page = admin.get("/admin/sessions/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for email in (member.email, other.email, operator.email):
        assert email in html
    filtered = admin.get("/admin/sessions/?email=ZED").get_data(as_text=True)
    assert other.email in filtered and member.email not in filtered
    assert admin.get("/admin/sessions/?ip=10.9.").get_data(as_text=True).count("<code>") == 0
    assert other.email in admin.get("/admin/sessions/?age=1h&method=password").get_data(
        as_text=True
    )
    assert other.email not in admin.get("/admin/sessions/?age=older7d").get_data(as_text=True)
    # Nonsense never breaks the page.
    odd = admin.get("/admin/sessions/?age=forever&method=magic&before=not-a-cursor&email=%25")
    assert odd.status_code == 200


@pytest.mark.settings(CONSOLE_PAGE_SIZE=2)
def test_operator_list_pages_by_keyset(clock, browser_of, member, operator):
    for _ in range(4):
        browser_of(member)
        clock.advance(seconds=90)
    admin = browser_of(operator, password="operator password 1")
    first = admin.get("/admin/sessions/").get_data(as_text=True)
    assert first.count("<code>") == 2
    import re

    more = (
        re.search(r'href="(/admin/sessions/\?before=[^"]+)"', first).group(1).replace("&amp;", "&")
    )
    second = admin.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second
    assert second.count("<code>") == 2
    seen = set(re.findall(r"<code>(\w+)</code>", first + second))
    assert len(seen) == 4


def test_operator_ends_sessions_in_bulk_after_confirming(browser_of, member, operator, events):
    first, second = browser_of(member), browser_of(member)
    keys = [_record_of(first, member).key, _record_of(second, member).key]
    admin = browser_of(operator, password="operator password 1")
    confirm = admin.post("/admin/sessions/end", data={"key": keys})
    assert confirm.status_code == 200
    assert "End these 2 sessions?" in confirm.get_data(as_text=True)
    done = admin.post("/admin/sessions/end", data={"key": keys, "confirmed": "1"})
    assert done.status_code == 302
    assert first.get("/account/sessions/").status_code == 302
    assert second.get("/account/sessions/").status_code == 302
    revoked = [d for a, d in flat(events) if a == "session.revoked"]
    assert {d["session"] for d in revoked} == {k[:8] for k in keys}
    assert all(d["actor"].id == operator.id and d["subject"].id == member.id for d in revoked)


def test_htmx_end_answers_with_hx_redirect(browser_of, member, operator):
    key = _record_of(browser_of(member), member).key
    admin = browser_of(operator, password="operator password 1")
    response = admin.post(
        "/admin/sessions/end",
        data={"key": key, "confirmed": "1", "next": "//evil.example/"},
        headers={"HX-Request": "true"},
    )
    assert response.headers["HX-Redirect"] == "/admin/sessions/"


def test_reading_and_revoking_need_their_permissions(browser_of, member, make_user):
    key = _record_of(browser_of(member), member).key
    plain = make_user("plain@example.com", password=PASSWORD)
    assert browser_of(plain).get("/admin/sessions/").status_code == 403
    reader = make_user("reader@example.com", password=PASSWORD, permissions=["sessions:read"])
    reading = browser_of(reader)
    page = reading.get("/admin/sessions/")
    assert page.status_code == 200
    assert 'name="key"' not in page.get_data(as_text=True)
    assert (
        reading.post("/admin/sessions/end", data={"key": key, "confirmed": "1"}).status_code == 403
    )
    assert records_of(member)[0].ended_at is None


def test_user_detail_section(app, browser_of, member, operator):
    from console.core import sections
    from console.sessions.admin import user_section_context

    browser_of(member)
    [section] = [s for s in app.extensions["console"].user_sections if s.key == "sessions"]
    assert section.permission == "sessions:read"
    with app.test_request_context("/admin/users/1"):
        from flask import g
        from flask_login import login_user

        # The test's app context outlives the client's requests; start from a clean `g`.
        for name in list(vars(g)):
            delattr(g, name)
        login_user(operator)
        assert section in sections.visible("user")
        context = user_section_context(member)
        html = app.jinja_env.get_template(section.template).render(**context)
    assert len(context["sessions_of_user"]) == 1
    assert "/admin/sessions/end" in html


def test_a_deactivation_announced_by_any_flow_ends_the_sessions(app, browser_of, member, operator):
    from console.extensions import db

    client = browser_of(member)
    with app.test_request_context():
        member.active = False
        emit("admin.user.deactivated", actor=operator, subject=member)
        db.session.commit()
    assert [r.end_reason for r in records_of(member)] == ["deactivated"]
    assert client.get("/account/sessions/").status_code == 302


@pytest.mark.settings(SECURITY_REFRESH_TOKEN=True)
def test_refresh_token_families_appear_and_are_revoked(app, browser_of, member, operator, events):
    from console.extensions import db

    datastore = app.extensions["security"].datastore
    with app.test_request_context():
        tracker = datastore.create_refresh_tracker(
            member, name="CLI on build host", expires_at=store.now() + timedelta(days=30)
        )
        db.session.commit()
    family = tracker.refresh_family
    client = browser_of(member)
    assert "CLI on build host" in client.get("/account/sessions/").get_data(as_text=True)
    admin = browser_of(operator, password="operator password 1")
    done = admin.post(f"/admin/sessions/tokens/{family}/revoke")
    assert done.status_code == 302
    db.session.expire_all()
    assert datastore.find_refresh_tracker(family).revoked_at is not None
    assert "CLI on build host" not in client.get("/account/sessions/").get_data(as_text=True)
    assert ("session.revoked", "refresh_token") in [(a, d.get("kind")) for a, d in flat(events)]


def test_navigation_entries(app, browser_of, member, operator):
    html = browser_of(operator, password="operator password 1").get("/account/sessions/")
    text = html.get_data(as_text=True)
    assert 'data-nav="sessions_admin.index"' in text
    assert 'data-nav="sessions.mine"' in text
    member_page = browser_of(member).get("/account/sessions/").get_data(as_text=True)
    assert 'data-nav="sessions_admin.index"' not in member_page
