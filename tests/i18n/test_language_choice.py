"""Language: the user's saved choice, else the switcher's, else Accept-Language, else English."""

from __future__ import annotations

import re

from console.extensions import db
from tests.conftest import login


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_default_is_english(client):
    assert html_lang(client.get("/login")) == "en"


def test_accept_language_is_followed(client):
    response = client.get("/login", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert html_lang(response) == "fr"


def test_switcher_choice_beats_the_browser(client):
    response = client.post("/language", data={"language": "es", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert html_lang(client.get("/login", headers={"Accept-Language": "de"})) == "es"


def test_unknown_language_and_offsite_next_are_ignored(client):
    response = client.post("/language", data={"language": "xx", "next": "//evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert html_lang(client.get("/login")) == "en"


def test_signed_in_choice_is_saved_on_the_account(client, make_user, app):
    user = make_user("polyglot@example.com", password="polyglot password 1")
    login(client, user.email, "polyglot password 1")
    client.post("/language", data={"language": "ja", "next": "/"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).locale == "ja"
    other_browser = app.test_client()
    login(other_browser, user.email, "polyglot password 1")
    page = other_browser.get("/change", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert html_lang(page) == "ja"
    assert "サインアウト" in page.get_data(as_text=True)  # "Sign out", from the catalogue
