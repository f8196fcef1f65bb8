"""Flask-Security's pages speak in the console's voice, in every language: none of its stock
phrases, the sign-in page offers only what is enabled, and an invitation reads as one."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_security_pages import ANONYMOUS_PAGES, SIGNED_IN_PAGES
from tests.conftest import login
from tests.i18n.test_pages_translated import TextNodes
from tests.users.conftest import BASE

LANGUAGES = ("en", "de", "fr", "es", "ja")
STOCK_PHRASES = (
    "reauthenticate to access this endpoint",
    "Passcode",
    "Unified Sign In",
    "Retype Password",
    "You successfully reset your password",
)
PASSWORD = "pages password 1"


def visible_text(response) -> str:
    parser = TextNodes()
    parser.feed(response.get_data(as_text=True))
    return "\n".join(parser.texts)


def card(html: str) -> str:
    """The Flask-Security page itself, without the layout around it."""
    return html.split("data-fs-page", 1)[1].split("</main>", 1)[0]


def stock_phrases_in(text: str) -> list[str]:
    return [phrase for phrase in STOCK_PHRASES if phrase.lower() in text.lower()]


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_security_page_uses_a_stock_phrase(app, make_user, language):
    make_user("pages@example.com", password=PASSWORD)
    client = app.test_client()
    client.post("/language", data={"language": language, "next": "/login"})
    found: dict[str, list[str]] = {}
    for path in ANONYMOUS_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = stock_phrases_in(visible_text(response))
    assert login(client, "pages@example.com", PASSWORD).status_code == 302
    # A stale sign-in: the protected pages send the user to re-authenticate first.
    with client.session_transaction() as session:
        session["fs_paa"] = 0
    for path in SIGNED_IN_PAGES:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        found[path] = stock_phrases_in(visible_text(response))
    assert not {path: phrases for path, phrases in found.items() if phrases}


def test_reauthentication_is_calm_and_offers_only_what_the_user_has(client, make_user):
    make_user("pages@example.com", password=PASSWORD)
    login(client, "pages@example.com", PASSWORD)
    with client.session_transaction() as session:
        session["fs_paa"] = 0
    html = client.get("/tf-setup", follow_redirects=True).get_data(as_text=True)
    assert "Confirm it is you" in html and "Signed in as pages@example.com" in html
    assert "alert-danger" not in html
    # Password only: no code field, no "send a code", no passkey; one primary button.
    assert 'name="passcode"' in html and "Email me a code" not in html
    assert "passkey" not in html.split('name="us_verify_form"', 1)[1].lower()
    assert card(html).count("btn-primary") == 1


@pytest.mark.parametrize(
    "registerable",
    [False, pytest.param(True, marks=pytest.mark.settings(SECURITY_REGISTERABLE=True))],
)
def test_sign_in_page_links_only_enabled_features_and_not_itself(app, registerable):
    html = app.test_client().get("/login").get_data(as_text=True)
    form = html.split('name="login_user_form"', 1)[1].split("</form>", 1)[0]
    assert len(re.findall(r'<input[^>]+name="(?:email|username)"', form)) == 1
    assert card(html).count("btn-primary") == 1
    assert 'href="/login"' not in card(html)
    assert ('href="/register"' in html) is registerable
    for title_case in ("Unified Sign In", "Recover Username", "Register", "Remember Me"):
        assert title_case not in html


def test_sign_in_by_username_in_the_one_field(client, make_user):
    make_user("named@example.com", password=PASSWORD, username="named")
    response = login(client, "named", PASSWORD)
    assert response.status_code == 302, visible_text(response)


def test_registration_is_off_by_default(client):
    assert client.get("/register").status_code == 404


def test_an_invitation_lands_on_setting_up_the_account(signed_in_operator, client, outbox):
    response = signed_in_operator.post(f"{BASE}new/", data={"email": "invitee@example.com"})
    assert response.status_code == 302
    message = [m for m in outbox() if "invitee@example.com" in m.recipient_list()][-1]
    path = re.search(r"https?://\S+/reset/\S+", message.body_text).group(0).split("localhost")[1]
    signed_in_operator.post("/logout")

    page = visible_text(client.get(path))
    assert "Set up your account" in page
    assert "Olive Operator invited you to Security Console." in page
    assert "invitee@example.com" in page and "Reset password" not in page
    password = "a fresh invitee password 9"
    response = client.post(
        path, data={"password": password, "password_confirm": password}, follow_redirects=True
    )
    text = visible_text(response)
    assert "Your account is ready" in text
    assert not stock_phrases_in(text)


def test_an_ordinary_reset_still_says_the_password_changed(client, make_user, outbox):
    make_user("reset@example.com", password=PASSWORD)
    client.post("/reset", data={"email": "reset@example.com"})
    message = [m for m in outbox() if "reset@example.com" in m.recipient_list()][-1]
    path = re.search(r"https?://\S+/reset/\S+", message.body_text).group(0).split("localhost")[1]
    assert "Set up your account" not in visible_text(client.get(path))
    password = "another fresh password 7"
    response = client.post(
        path, data={"password": password, "password_confirm": password}, follow_redirects=True
    )
    text = visible_text(response)
    assert "Your password has been changed" in text and not stock_phrases_in(text)
