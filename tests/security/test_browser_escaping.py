"""In a real browser: markup typed into a name, a passkey name and a note stays text."""

from __future__ import annotations

import pytest

from tests.security.routes import routes

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert('name')</script>"
IMG = "<img src=x onerror=alert('img')>"
HOSTILE = SCRIPT + IMG


@pytest.fixture
def hostile_user(app, make_user):
    """An account whose name, operator note and passkey name all carry markup."""
    from flask_security import naive_utcnow

    from console.extensions import db
    from console.models import WebAuthn

    user = make_user("hostile@example.com", name=HOSTILE, password="hostile password 1")
    user.notes = HOSTILE
    db.session.add(
        WebAuthn(
            user_id=user.id,
            credential_id=b"hostile-credential",
            public_key=b"not a real key",
            sign_count=0,
            transports=["usb"],
            backup_state=False,
            device_type="single_device",
            lastuse_datetime=naive_utcnow(),
            name=HOSTILE[:64],
            usage="secondary",
        )
    )
    db.session.commit()
    return user


def _sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit][name=submit], #submit")


def _visit_all(page, app, base: str, extra: list[str]) -> list[str]:
    """Open every page without arguments plus `extra`; returns the pages that loaded."""
    urls = [
        route.url
        for route in routes(app)
        if "GET" in route.methods
        and not route.endpoint.endswith("static")
        and "sample" not in route.url
        and "/1" not in route.url
        and "export" not in route.url
        and route.endpoint not in ("security.logout", "security.two_factor_token_validation")
    ]
    loaded = []
    for url in [*urls, *extra]:
        response = page.goto(f"{base}{url}")
        if response is not None and response.ok:
            loaded.append(url)
    return loaded


def test_markup_is_shown_as_text_and_never_runs(page, app, live_server, operator, hostile_user):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # The operator's view: lists, the user's page (name, note, passkey), every other page.
    _sign_in(page, live_server.url, operator.email, "operator password 1")
    user_page = f"/admin/users/{hostile_user.id}/"
    loaded = _visit_all(page, app, live_server.url, [user_page, "/admin/users/?q=hostile"])
    assert user_page in loaded
    page.goto(f"{live_server.url}{user_page}")
    text = page.locator("main").inner_text()
    assert SCRIPT in text  # shown, as text
    assert page.locator("main img[src=x]").count() == 0

    # The user's own view: security center, passkeys, profile.
    page.context.clear_cookies()
    _sign_in(page, live_server.url, hostile_user.email, "hostile password 1")
    mine = _visit_all(page, app, live_server.url, [])
    assert len(mine) >= 3
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
