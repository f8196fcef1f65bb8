"""The operators' audit pages, the exports and a user's own activity."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from flask_security import naive_utcnow

from tests.conftest import login


def _seed(operator, make_user):
    from console.audit import flows
    from console.extensions import db

    alice = make_user("alice@example.com", password=None)
    bob = make_user("bob@example.org", password=None)
    long_ago = naive_utcnow() - timedelta(days=10)
    flows.record("user.login", actor=alice, subject=alice, created_at=long_ago)
    flows.record("user.login_failed", subject=bob)
    flows.record(
        "admin.user.updated",
        actor=operator,
        subject=bob,
        details={"changes": {"name": ["Bob", '=HYPERLINK("http://x")'], "password": ["a", "b"]}},
    )
    db.session.commit()
    return alice, bob


def _actions(response) -> list[str]:
    import re

    return re.findall(r'data-action="([^"]+)"', response.get_data(as_text=True))


def test_the_trail_needs_the_permission(client, make_user):
    assert client.get("/admin/audit/").status_code == 302
    make_user("plain@example.com", password="plain password 123")
    login(client, "plain@example.com", "plain password 123")
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_filters(signed_in_operator, operator, make_user):
    alice, bob = _seed(operator, make_user)
    get = signed_in_operator.get
    page = get("/admin/audit/")
    assert page.status_code == 200
    assert set(_actions(page)) >= {"user.login", "user.login_failed", "admin.user.updated"}
    assert _actions(get("/admin/audit/?actor=ALI")) == ["user.login"]
    assert _actions(get("/admin/audit/?action=user.login_")) == ["user.login_failed"]
    assert sorted(_actions(get("/admin/audit/?subject=bob@"))) == [
        "admin.user.updated",
        "user.login_failed",
    ]
    assert _actions(get(f"/admin/audit/?subject={alice.id}")) == ["user.login"]
    assert _actions(get("/admin/audit/?ip=10.9.9.9")) == []
    week_ago = (naive_utcnow() - timedelta(days=7)).date().isoformat()
    until = (naive_utcnow() - timedelta(days=9)).date().isoformat()
    assert _actions(get(f"/admin/audit/?since={week_ago}&actor=alice")) == []
    earlier = (naive_utcnow() - timedelta(days=11)).date().isoformat()
    assert _actions(get(f"/admin/audit/?since={earlier}&actor=alice")) == ["user.login"]
    assert _actions(get(f"/admin/audit/?until={until}&action=user.")) == ["user.login"]


def test_bad_filters_get_a_message_and_no_rows(signed_in_operator, operator, make_user):
    _seed(operator, make_user)
    response = signed_in_operator.get("/admin/audit/?since=yesterday&ip=999.1.1.1")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'aria-describedby="filter-since-error"' in body
    assert 'id="filter-ip-error"' in body
    assert _actions(response) == []


def test_keyset_pages_and_the_htmx_fragment(signed_in_operator, stored_events):
    from console.audit import flows
    from console.extensions import db

    for index in range(5):
        flows.record("user.login", details={"n": index})
    db.session.commit()
    ids = [e.id for e in stored_events("user.login")][::-1]
    first = signed_in_operator.get("/admin/audit/?action=user.login&size=2")
    body = first.get_data(as_text=True)
    assert f"before={ids[1]}" in body
    more = signed_in_operator.get(
        f"/admin/audit/?action=user.login&size=2&before={ids[1]}", headers={"HX-Request": "true"}
    )
    fragment = more.get_data(as_text=True)
    assert "<html" not in fragment and "HX-Request" in more.headers["Vary"]
    assert f'data-event="{ids[2]}"' in fragment and f'data-event="{ids[3]}"' in fragment
    assert f'data-event="{ids[1]}"' not in fragment


def test_pages_never_count(signed_in_operator, count_queries):
    with count_queries() as counter:
        signed_in_operator.get("/admin/audit/?action=user.&before=1000")
    event_queries = [s for s in counter.statements if "audit_event" in s]
    assert event_queries
    assert not any("count(" in s.lower() for s in event_queries)
    assert any("audit_event.id < " in s for s in event_queries)


def test_detail_shows_the_diff_without_secrets(
    signed_in_operator, operator, make_user, stored_events
):
    _seed(operator, make_user)
    edit = stored_events("admin.user.updated")[0]
    body = signed_in_operator.get(f"/admin/audit/{edit.id}").get_data(as_text=True)
    assert 'id="audit-changes"' in body
    assert "Bob" in body and "[redacted]" in body
    assert signed_in_operator.get("/admin/audit/999999").status_code == 404


def test_csv_export_neutralizes_formulas_and_is_audited(
    signed_in_operator, operator, make_user, stored_events
):
    _seed(operator, make_user)
    response = signed_in_operator.get("/admin/audit/export.csv?subject=bob@")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["admin.user.updated", "user.login_failed"]
    assert rows[0]["details"].startswith("{")
    assert "=HYPERLINK" in rows[0]["details"]
    exported = stored_events("audit.exported")
    assert len(exported) == 1 and exported[0].actor_id == operator.id
    assert json.loads(exported[0].details) == {"format": "csv", "subject": "bob@"}


def test_csv_cells_that_start_a_formula_are_prefixed():
    from console.audit.flows import neutralize

    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralize(value) == "'" + value
    assert neutralize("plain") == "plain"
    assert neutralize(None) == ""


def test_jsonl_export(signed_in_operator, operator, make_user):
    _seed(operator, make_user)
    response = signed_in_operator.get("/admin/audit/export.jsonl?action=admin.")
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["action"] for line in lines] == ["admin.user.updated"]
    assert lines[0]["details"]["changes"]["password"] == ["[redacted]", "[redacted]"]
    assert lines[0]["created_at"].endswith("Z")


def test_users_see_only_their_own_activity(client, make_user):
    from console.audit import flows
    from console.extensions import db

    mine = make_user("me@example.com", password="my password 1234")
    other = make_user("other@example.com", password=None)
    flows.record("admin.user.updated", subject=other)
    db.session.commit()
    login(client, mine.email, "my password 1234")
    page = client.get("/account/activity")
    assert page.status_code == 200
    assert _actions(page) == ["user.login"]
    assert client.get("/admin/audit/").status_code == 403


def test_activity_needs_a_sign_in(client):
    assert client.get("/account/activity").status_code == 302


def test_activity_section_on_the_user_page(app, operator, make_user):
    from flask import render_template
    from flask_login import login_user

    from console.audit import flows
    from console.audit.views import user_section_context
    from console.core import sections
    from console.extensions import db

    user = make_user("sec@example.com", password=None)
    flows.record("user.login", actor=user, subject=user)
    db.session.commit()
    with app.test_request_context("/"):
        login_user(operator)
        (section,) = [s for s in sections.visible("user") if s.key == "activity"]
        html = render_template(section.template, **user_section_context(user))
    assert "Signed in" in html
    assert f"subject={user.id}" in html
