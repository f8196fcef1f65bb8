"""The profile: display name, language and time zone, and nothing else."""

from __future__ import annotations

import pytest

from tests.account.helpers import page_text
from tests.support.events import actions


def _reload(user):
    from console.extensions import db

    db.session.expire_all()
    return db.session.get(type(user), user.id)


def test_the_form_shows_the_current_values(member_client):
    body = page_text(member_client.get("/account/profile"))
    assert 'value="Mia Member"' in body
    assert 'name="timezone"' in body and "Europe/Berlin" in body


def test_saving_changes_the_profile_signals_and_mails(member_client, member, events, outbox):
    response = member_client.post(
        "/account/profile", data={"name": "  Mia M.  ", "locale": "de", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    user = _reload(member)
    assert (user.name, user.locale, user.timezone) == ("Mia M.", "de", "Europe/Berlin")
    assert actions(events) == ["account.profile.updated"]
    changes = events[0]["details"]["changes"]
    assert changes["timezone"] == [None, "Europe/Berlin"]
    mails = [m for m in outbox() if member.email in m.recipient_list()]
    assert mails and mails[-1].subject  # sent in the user's new language


def test_fields_that_are_not_on_the_form_are_ignored(member_client, member, events):
    before = _reload(member)
    roles, email, uniquifier = list(before.roles), before.email, before.fs_uniquifier
    response = member_client.post(
        "/account/profile",
        data={
            "name": "Mia",
            "locale": "",
            "timezone": "",
            "roles": "1",
            "active": "false",
            "email": "evil@example.com",
            "tf_primary_method": "email",
            "password": "x",
            "fs_uniquifier": "x",
            "edit_version": "99",
        },
    )
    assert response.status_code == 302
    user = _reload(member)
    assert user.name == "Mia" and user.active is True
    assert user.email == email and list(user.roles) == roles
    assert user.fs_uniquifier == uniquifier and user.tf_primary_method is None
    assert user.edit_version == 1


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x" * 256},
        {"name": "nul\x00byte"},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"locale": "xx"},
    ],
)
def test_bad_values_change_nothing(member_client, member, events, data):
    response = member_client.post("/account/profile", data={"name": "Other", **data})
    # A NUL may be turned away before the form sees it (400); otherwise the form says why.
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or "is-invalid" in page_text(response)
    user = _reload(member)
    assert user.name == "Mia Member" and user.timezone is None and user.locale is None
    assert events == []


def test_htmx_gets_the_form_fragment(member_client, member):
    response = member_client.post(
        "/account/profile",
        data={"name": "Via htmx", "locale": "", "timezone": "UTC"},
        headers={"HX-Request": "true"},
    )
    body = page_text(response)
    assert response.status_code == 200 and "<html" not in body
    assert "data-announce" in body
    assert "HX-Request" in response.headers["Vary"]
    assert _reload(member).name == "Via htmx"
    invalid = member_client.post(
        "/account/profile", data={"timezone": "Nowhere"}, headers={"HX-Request": "true"}
    )
    assert invalid.status_code == 422 and 'aria-describedby="timezone-errors"' in page_text(invalid)
