"""One date format per context, in the reader's zone and language; date filters are date
pickers whose bad values are refused with a message."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
from flask_security import naive_utcnow

from tests.conftest import login

NBSP = "\u00a0"
THIS_YEAR = naive_utcnow().year
# 13:05 UTC in January is 14:05 in Berlin (CET, "MEZ" in German).
INSTANT = datetime(THIS_YEAR, 1, 15, 13, 5, 30)
OLDER = datetime(THIS_YEAR - 1, 1, 15, 13, 5, 30)
PASSWORD = "berlin password 1"


@pytest.fixture
def berliner(client, make_user):
    """An operator who reads in German, in Berlin, signed in."""
    from console.core.permissions import ADMIN_ROLE, all_permissions

    user = make_user(
        "berlin@example.com",
        password=PASSWORD,
        roles=[ADMIN_ROLE],
        permissions=all_permissions(),
        locale="de",
        timezone="Europe/Berlin",
    )
    assert login(client, user.email, PASSWORD).status_code == 302
    return user


@pytest.fixture
def subject(make_user):
    """The account the pages show: signed in at INSTANT, created a year earlier."""
    return make_user(
        "subject@example.com",
        current_login_at=INSTANT,
        create_datetime=OLDER,
        locale="de",
        timezone="Europe/Berlin",
    )


def test_the_formatter_gives_one_form_per_context(app):
    from console.core import dates

    with app.app_context():
        berlin = dates.zone_of(type("U", (), {"timezone": "Europe/Berlin"})())
        assert dates.format_instant(INSTANT, dates.LIST, zone=berlin, locale="de") == (
            f"15.{NBSP}Jan.,{NBSP}14:05"
        )
        assert dates.format_instant(OLDER, dates.LIST, zone=berlin, locale="de") == (
            f"15.{NBSP}Jan.{NBSP}{THIS_YEAR - 1}"
        )
        assert dates.format_instant(INSTANT, dates.DETAIL, zone=berlin, locale="de") == (
            f"15.01.{THIS_YEAR}, 14:05 MEZ"
        )
        assert dates.format_instant(INSTANT, dates.DETAIL, zone=berlin, locale="en_GB") == (
            f"15 Jan {THIS_YEAR}, 14:05 CET"
        )
        assert dates.iso_utc(INSTANT) == f"{THIS_YEAR}-01-15T13:05:30Z"
        assert dates.iso_utc(None) == ""
        # The audit export keeps the microseconds its hash chain covers.
        assert dates.iso_utc(INSTANT, precise=True) == f"{THIS_YEAR}-01-15T13:05:30.000000Z"


def test_a_zone_babel_cannot_resolve_falls_back_to_the_default(app):
    from console.core import dates

    with app.app_context():
        assert dates.zone_of(type("U", (), {"timezone": "localtime"})()).zone == "UTC"
        assert dates.zone_of(None).zone == "UTC"


def test_list_row_detail_page_and_export_for_the_same_instant(berliner, subject, client):
    rows = client.get("/admin/users/?q=subject").get_data(as_text=True)
    assert f">15.{NBSP}Jan.,{NBSP}14:05</time>" in rows
    assert f'datetime="{INSTANT.isoformat()}Z"' in rows

    page = client.get(f"/admin/users/{subject.id}/").get_data(as_text=True)
    assert f"15.01.{THIS_YEAR}, 14:05 MEZ" in page

    export = client.get("/admin/users/export.csv?q=subject")
    assert export.status_code == 200
    (row,) = [r for r in csv.DictReader(io.StringIO(export.get_data(as_text=True)))]
    assert row["last_sign_in"] == f"{THIS_YEAR}-01-15T13:05:30Z"
    assert row["created"] == f"{THIS_YEAR - 1}-01-15T13:05:30Z"


def test_a_mail_is_dated_in_its_recipients_zone_and_language(app, subject):
    from console.core.notify import render

    # Rendered while nobody (zone: the console's UTC default) is signed in.
    with app.test_request_context():
        message = render(subject, "account/notice", "Betreff", message="x", when=INSTANT)
    expected = f"15.01.{THIS_YEAR}, 14:05 MEZ"
    assert expected in message.body_text
    assert expected in (message.body_html or "")
    assert "UTC" not in message.body_text


def test_a_notice_no_longer_prints_utc(app, subject, outbox):
    from console.account.notify import send_notice

    with app.test_request_context():
        send_notice(subject, "account.profile.updated")
        from console.extensions import db

        db.session.commit()
    bodies = [m.body_text for m in outbox()]
    assert bodies and " UTC" not in bodies[-1]
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d ME(S)?Z", bodies[-1])


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append({k: v or "" for k, v in attrs})


def _inputs(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Inputs()
    parser.feed(response.get_data(as_text=True))
    return parser.inputs


# page -> the date filters it offers
DATE_FILTERS = {
    "/admin/users/": {"login_after", "login_before", "created_from", "created_to"},
    "/admin/audit/": {"since", "until"},
    "/admin/sessions/": set(),
    "/admin/mfa/": set(),
}


def test_every_date_filter_is_a_date_picker(signed_in_operator):
    for url, expected in DATE_FILTERS.items():
        inputs = _inputs(signed_in_operator, url)
        pickers = {i["name"] for i in inputs if i.get("type") == "date"}
        assert pickers == expected, url
        # No free-text date left: nothing asks for a date by its placeholder.
        for field in inputs:
            assert "YYYY" not in field.get("placeholder", "").upper(), (url, field)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/?login_after=2026-13-01",
        "/admin/users/?created_to=yesterday",
        "/admin/audit/?since=2026-02-30",
        "/admin/audit/?until=soon",
    ],
)
def test_a_bad_date_is_refused_with_a_message(signed_in_operator, url):
    response = signed_in_operator.get(url)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in body
    assert 'aria-invalid="true"' in body


def test_a_bad_date_refuses_the_export(signed_in_operator):
    response = signed_in_operator.get("/admin/users/export.csv?login_before=31/12/2026")
    assert response.status_code == 400


def test_a_good_date_filters(signed_in_operator, subject):
    day = INSTANT.date().isoformat()
    response = signed_in_operator.get(f"/admin/users/?login_after={day}&q=subject")
    assert response.status_code == 200
    assert "subject@example.com" in response.get_data(as_text=True)


def test_a_filtered_day_is_the_operators_day(berliner, make_user, client):
    # 23:30 UTC on 14 January is already 15 January in Berlin.
    make_user("late@example.com", current_login_at=datetime(THIS_YEAR, 1, 14, 23, 30))
    day = f"{THIS_YEAR}-01-15"
    after = client.get(f"/admin/users/?login_after={day}&q=late").get_data(as_text=True)
    assert "late@example.com" in after
    before = client.get(f"/admin/users/?login_before={day}&q=late").get_data(as_text=True)
    assert "late@example.com" not in before
