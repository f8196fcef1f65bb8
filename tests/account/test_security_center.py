"""The security center: the account's whole security state and what to do about it."""

from __future__ import annotations

import re

from jinja2 import DictLoader

from tests.account.helpers import page_text


def _warnings(body: str) -> set[str]:
    return set(re.findall(r'data-warning="([a-z_]+)"', body))


def test_anonymous_visitors_sign_in_first(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.get("/account/", headers={"HX-Request": "true"})
    assert "/login" in htmx.headers["HX-Redirect"]


def test_every_signed_in_user_has_the_page_in_the_navigation(member_client):
    body = page_text(member_client.get("/account/"))
    assert 'data-nav="account.security"' in body
    assert "<caption" in body and 'scope="row"' in body


def test_the_password_and_address_are_shown(member_client):
    body = page_text(member_client.get("/account/"))
    assert "member@example.com" in body and "Confirmed" in body
    assert "Last changed" in body


def test_unconfirmed_email_is_warned(app, make_user):
    from console.account.summary import summarize

    user = make_user("new@example.com", confirmed=False)
    assert "email_unconfirmed" in [w.key for w in summarize(user).warnings]


def test_sections_from_other_features_are_shown(app, member_client):
    from console.core import sections

    app.jinja_loader.loaders.insert(  # type: ignore[union-attr]
        0, DictLoader({"test/_section.html": "<p data-test-section>{{ greeting }}</p>"})
    )
    sections.register(
        app,
        "account",
        sections.Section(
            "test", "From a feature", "test/_section.html", lambda u: {"greeting": u.email}
        ),
    )
    body = page_text(member_client.get("/account/"))
    assert "<p data-test-section>member@example.com</p>" in body


def test_alerts_of_sections_come_before_the_centers_own(app, member_client, member):
    from console.core import sections
    from console.extensions import db

    app.jinja_loader.loaders.insert(  # type: ignore[union-attr]
        0, DictLoader({"test/_section.html": "<p>{{ greeting }}</p>"})
    )
    sections.register(
        app,
        "account",
        sections.Section(
            "test",
            "From a feature",
            "test/_section.html",
            lambda u: {"greeting": u.email},
            alerts=lambda u: [sections.Alert("test_alert", "info", f"Hello {u.email}")],
        ),
    )
    member.confirmed_at = None
    db.session.commit()
    body = page_text(member_client.get("/account/"))
    assert "Hello member@example.com" in body
    found = re.findall(r'data-warning="([a-z_]+)"', body)
    assert found.index("test_alert") < found.index("email_unconfirmed")
