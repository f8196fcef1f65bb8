"""Keyboard only: the operator's journeys and shortcuts, with no mouse click anywhere.

Chromium is driven with key presses and typing alone (page.goto only opens the first page):
sign in with an authenticator app, find a user, edit them, end a session, reset a user's
MFA through re-authentication and a reason; then the shortcuts, which stay quiet while the
user types in a field.
"""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest

from tests.a11y.test_axe import describe, violations
from tests.support.keys import add_stored_key

pytestmark = pytest.mark.browser

PASSWORD = "keyboard password 1"
REAUTH_WITHIN = timedelta(seconds=12)


def oathtool(secret: str) -> str:
    """The current code for the base32 `secret`, as Debian's oathtool computes it."""
    result = subprocess.run(
        ["oathtool", "--totp", "-b", secret], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def active(page: Any, selector: str) -> bool:
    return page.evaluate(
        "s => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if active(page, selector):
            return
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"Tab never reached {selector}; focus is on {focused}")


def open_account_menu(page: Any) -> None:
    """The operator's own pages are in the account menu: Tab to it and open it with Enter."""
    tab_to(page, "header details.account-menu > summary")
    page.keyboard.press("Enter")
    assert page.get_attribute("header details.account-menu", "open") is not None


def press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def go(page: Any, keys: str) -> None:
    """A two-key shortcut such as "g u" that opens another page."""
    first, second = keys.split()
    page.keyboard.press(first)
    press_and_wait(page, second)


def sign_in(page: Any, base: str, email: str, secret: str) -> None:
    """Email and password, then the authenticator code, typed into the forms."""
    page.goto(f"{base}/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    press_and_wait(page, "Enter")
    if "/tf-select" in page.url:  # a security key too: choose the authenticator app
        tab_to(page, "input[type=radio][value=authenticator]")
        page.keyboard.press("Space")
        press_and_wait(page, "Enter")
    assert "/tf-validate" in page.url, page.url
    if not active(page, "input[name=code]"):
        tab_to(page, "input[name=code]")
    page.keyboard.type(oathtool(secret))
    press_and_wait(page, "Enter")
    assert "/tf-validate" not in page.url, page.url


def live_region(page: Any) -> str:
    return page.inner_text("#live-region")


def wait_for_announcement(page: Any) -> str:
    """The live region's text once something was announced into it."""
    try:
        page.wait_for_function("() => document.getElementById('live-region').textContent !== ''")
    except Exception as error:  # a timeout: say where the page stood
        focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
        raise AssertionError(f"nothing announced on {page.url}; focus on {focused}") from error
    return live_region(page)


@pytest.fixture
def keyboard_operator(make_user: Any) -> tuple[Any, str]:
    """An administrator who signs in with a password and an authenticator app."""
    from flask_security.proxies import _security

    from console.core.permissions import ADMIN_ROLE, all_permissions

    factory = _security._totp_factory
    secret = factory.generate_totp_secret()
    user = make_user(
        "keys.operator@example.com",
        password=PASSWORD,
        roles=[ADMIN_ROLE],
        permissions=all_permissions(),
        name="Kim Keys",
        tf_primary_method="authenticator",
        tf_totp_secret=secret,
    )
    return user, factory.get_totp_b32_key(secret)


@pytest.mark.settings(CONSOLE_MFA_REAUTH_WITHIN=REAUTH_WITHIN)
def test_operator_journeys_by_keyboard(page, live_server, keyboard_operator, make_user):
    from flask_security.proxies import _security
    from sqlalchemy import select

    from console.extensions import db
    from console.models import User
    from console.sessions import flows as session_flows
    from console.sessions import store

    operator, secret = keyboard_operator
    casey = make_user(
        "casey.quill@example.com",
        name="Casey Quill",
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    make_user("casimir.other@example.com", name="Casimir Other")
    # The operator is also signed in on a phone: a session to end from "Your sessions".
    store.create(
        operator,
        auth_method="password",
        second_factor="authenticator",
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148",
        lifetime=session_flows.lifetime(),
    )
    db.session.commit()
    base = live_server.url

    # Sign in with MFA; the skip link is the first stop and leads into the page's content.
    sign_in(page, base, operator.email, secret)
    signed_in_at = time.monotonic()
    assert page.inner_text("[data-testid=signed-in-as]") == operator.email
    page.keyboard.press("Tab")
    assert active(page, "a.skip-link")
    page.keyboard.press("Enter")
    assert active(page, "main#main")

    # Find a user: "/" goes to the search box, the rows follow the typing, Tab reaches them.
    go(page, "g u")
    assert "/admin/users" in page.url
    page.keyboard.press("/")
    assert active(page, "input[type=search]")
    page.keyboard.type("casey")
    page.wait_for_function(
        "() => document.querySelectorAll('#user-rows tr[data-user-id]').length === 1"
    )
    wait_for_announcement(page)
    assert "1" in live_region(page)
    tab_to(page, f"#user-rows a[href$='/admin/users/{casey.id}/']")
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/admin/users/{casey.id}/")

    # Edit the user: Tab to "Edit", change the name, Enter saves.
    tab_to(page, f"main a[href$='/admin/users/{casey.id}/edit/']")
    press_and_wait(page, "Enter")
    tab_to(page, "input[name=name]")
    page.keyboard.press("Control+A")
    page.keyboard.type("Casey Keyboard")
    press_and_wait(page, "Enter")
    assert page.inner_text("[data-testid=user-name]") == "Casey Keyboard"
    db.session.expire_all()
    assert db.session.get(User, casey.id).name == "Casey Keyboard"

    # End a session: the phone's session on "Your sessions", announced in the live region.
    open_account_menu(page)
    tab_to(page, "a[data-nav='sessions.mine']")
    press_and_wait(page, "Enter")
    assert page.locator("#my-sessions tr[data-session]").count() == 2
    tab_to(page, "#my-sessions tr[data-session]:not([data-current]) button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#my-sessions tr[data-session]').length === 1"
    )
    wait_for_announcement(page)
    assert live_region(page) == page.inner_text("#my-sessions [data-announce]")
    assert not active(page, "body"), "the focus was lost with the swapped table"

    # Reset the user's MFA: re-authenticate, a reason is required, then the factors go.
    time.sleep(max(0.0, signed_in_at + REAUTH_WITHIN.total_seconds() + 1 - time.monotonic()))
    go(page, "g u")
    page.keyboard.press("/")
    page.keyboard.type("casey.q")
    page.wait_for_function(
        "() => document.querySelectorAll('#user-rows tr[data-user-id]').length === 1"
    )
    tab_to(page, f"#user-rows a[href$='/admin/users/{casey.id}/']")
    press_and_wait(page, "Enter")
    tab_to(page, f"main a[href$='/admin/mfa/users/{casey.id}/reset']")
    press_and_wait(page, "Enter")
    assert "/verify" in page.url, "an old sign-in must re-authenticate first"
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/admin/mfa/users/{casey.id}/reset"), page.url
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    # The form came back with an error: the keyboard is on the field, which names its error.
    assert active(page, "textarea[name=reason][aria-invalid=true]")
    described = page.evaluate(
        "() => document.getElementById("
        "document.activeElement.getAttribute('aria-describedby')).textContent"
    )
    assert described.strip()
    assert not violations(page), describe(violations(page))
    page.keyboard.type("Lost phone, identity checked by video call")
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    assert page.locator(".alert-success, [data-flash=success]").count() >= 1
    db.session.expire_all()
    reset = db.session.scalar(select(User).where(User.id == casey.id))
    assert reset.tf_totp_secret is None and reset.tf_primary_method is None


def test_shortcuts_and_their_silence_while_typing(page, live_server, keyboard_operator):
    operator, secret = keyboard_operator
    base = live_server.url
    sign_in(page, base, operator.email, secret)

    go(page, "g s")
    assert "/admin/sessions" in page.url
    go(page, "g a")
    assert "/admin/audit" in page.url
    go(page, "g u")
    assert "/admin/users" in page.url

    # "?" opens the list of shortcuts; Escape closes it.
    page.keyboard.press("?")
    page.wait_for_selector("#shortcuts-dialog.show", state="visible")
    page.wait_for_function(
        "() => document.getElementById('shortcuts-dialog').contains(document.activeElement)"
    )
    assert page.locator("#shortcuts-dialog kbd", has_text="g u").count() == 1
    page.keyboard.press("Escape")
    page.wait_for_selector("#shortcuts-dialog", state="hidden")

    # "/" focuses the search box; inside it, every shortcut key is just text.
    page.keyboard.press("/")
    assert active(page, "input[type=search]")
    url = page.url
    page.keyboard.type("g a?/")
    page.wait_for_timeout(300)
    assert page.url.split("?")[0] == url.split("?")[0]
    assert page.input_value("input[type=search]") == "g a?/"
    assert not page.locator("#shortcuts-dialog.show").count()

    # Also in an ordinary text field of a form, e.g. the operator notes of a user.
    page.goto(f"{base}/admin/users/{operator.id}/")
    tab_to(page, "textarea[name=notes]")
    page.keyboard.type("g u")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/admin/users/{operator.id}/")
    assert page.input_value("textarea[name=notes]") == "g u"


def test_arrow_keys_on_the_language_switcher_wait_for_enter(page, live_server):
    page.goto(f"{live_server.url}/login")
    tab_to(page, "#language-select")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url.endswith("/login") and page.get_attribute("html", "lang") == "en"
    assert page.is_visible("#language-form button[type=submit]")
    chosen = page.input_value("#language-select")
    press_and_wait(page, "Enter")
    assert page.get_attribute("html", "lang") == chosen


def test_a_failed_sign_in_puts_the_keyboard_on_the_error(page, live_server, keyboard_operator):
    operator, _secret = keyboard_operator
    page.goto(f"{live_server.url}/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(operator.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type("not the password")
    press_and_wait(page, "Enter")
    assert "/login" in page.url
    focused = page.evaluate("() => document.activeElement.outerHTML")
    assert active(page, "[aria-invalid=true], .alert-danger[role=alert]"), focused
    assert page.evaluate("() => document.activeElement.textContent.trim()") or active(
        page, "[aria-describedby]"
    ), focused
    found = violations(page)
    assert not found, describe(found)


@pytest.mark.settings(CONSOLE_PAGE_SIZE=2)
def test_htmx_swaps_keep_the_keyboard_in_place_and_are_announced(
    page, live_server, keyboard_operator
):

    from console.extensions import db

    operator, secret = keyboard_operator
    key = add_stored_key(operator.id, "Blue key")
    db.session.commit()
    sign_in(page, live_server.url, operator.email, secret)

    # Rename a passkey in place: the swapped-in form starts at its field, the new row is read.
    open_account_menu(page)
    tab_to(page, "a[data-nav='mfa.passkeys']")
    press_and_wait(page, "Enter")
    tab_to(page, f"#passkey-{key.id} a[hx-get]")
    # console.js puts the focus on the swapped-in field once htmx has wired its form (an
    # autofocus would do it earlier, and a quick Enter would then post without htmx).
    page.evaluate(
        "() => { window.settled = false; document.addEventListener('htmx:afterSettle',"
        " () => { window.settled = true; }, {once: true}); }"
    )
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.settled")
    assert active(page, "input[name=name]")
    page.keyboard.press("Control+A")
    page.keyboard.type("Work key")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('#passkey-{key.id} th')?.textContent.includes('Work key')"
    )
    wait_for_announcement(page)
    assert live_region(page) == page.get_attribute(f"#passkey-{key.id}", "data-announce")
    assert not active(page, "body")

    # "Older events" replaced by the next rows: the keyboard lands on the first of them.
    go(page, "g a")
    before = page.locator("#audit-rows tr[data-event]").count()
    tab_to(page, "#audit-more a")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('#audit-rows tr[data-event]').length > {before}"
    )
    page.wait_for_function(
        "() => document.activeElement.matches('#audit-rows tr[data-event]')", timeout=3000
    )
    first_new = page.locator("#audit-rows tr[data-event]").nth(before)
    assert first_new.evaluate("row => row === document.activeElement")


FOCUS_RING = """() => {
  const el = document.activeElement;
  if (el === document.body) return {end: true};
  // Focus inside a control's own browser-drawn parts (a date field's calendar button) is
  // ringed by the browser and leaves the control itself unmatched by :focus.
  if (!el.matches(':focus')) return {ring: true, what: 'inner part of ' + el.id};
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {ring: outline || shadow, what: el.outerHTML.slice(0, 120)};
}"""


@pytest.mark.parametrize("path", ["/admin/users/", "/account/"])
def test_every_tab_stop_shows_where_the_focus_is(page, live_server, operator, path):
    page.emulate_media(reduced_motion="reduce")  # the ring is read at once, not mid-transition
    page.goto(f"{live_server.url}/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(operator.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type("operator password 1")
    press_and_wait(page, "Enter")
    page.goto(live_server.url + path)
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_RING)
        if stop.get("end"):
            break
        assert stop["ring"], f"no visible focus on {stop['what']}"
        seen.add(stop["what"])
    assert len(seen) > 10
