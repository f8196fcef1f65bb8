"""Chromium signs in through a local OpenID Connect provider the test starts (authlib's
server components on localhost): a first sign-in creating an account or matching one by its
verified address as the policy says, linking from the security page, unlinking, a refused
sign-in after unlinking, the second factor a require-MFA role still asks for, and
re-authentication without a password. Every new page passes axe (both themes) and fits at
every width."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.a11y.test_axe import COLOUR_RULES, describe, set_theme, violations
from tests.browser.test_layout import HEIGHT, OVERFLOW, THEMES, WIDTHS
from tests.mfa.browser_steps import enter_code, sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

PASSWORD = "browser password 1"


@pytest.fixture
def browser_page(browser) -> Any:
    """A page in a context with the console's real CSP (its form-action must let the sign-in
    forms lead to the provider), light scheme, no motion."""
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def check_page(page: Any) -> None:
    """axe in the light theme (every rule) and the dark one (colour rules), and the layout at
    every width in both themes; the page is left as it was."""
    found = violations(page)
    assert not found, f"{page.url} (light):\n{describe(found)}"
    set_theme(page, "dark")
    found = violations(page, COLOUR_RULES)
    assert not found, f"{page.url} (dark):\n{describe(found)}"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        for theme in THEMES:
            set_theme(page, theme)
            overflow = page.evaluate(OVERFLOW)
            assert not overflow, f"{page.url} at {width}px, {theme}: {overflow[:5]}"
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    set_theme(page, "light")


def at_provider(page: Any, oidc: Any, sub: str) -> None:
    """On the provider's sign-in page: sign in there as `sub`, and come back."""
    page.wait_for_url(re.compile(re.escape(oidc.url) + r"/authorize.*"))
    page.fill("input[name=sub]", sub)
    with page.expect_navigation():
        page.click("button[type=submit]")


def provider_sign_in(page: Any, base: str, oidc: Any, sub: str) -> None:
    page.goto(f"{base}/login")
    page.click("[data-testid=provider-sign-in] button[data-provider=corp]")
    at_provider(page, oidc, sub)


def signed_in_as(page: Any) -> str | None:
    found = page.locator("[data-testid=signed-in-as]")
    return found.inner_text() if found.count() else None


def flash_text(page: Any) -> str:
    return " ".join(page.locator("[data-flash]").all_inner_texts())


def _link_id(sub: str) -> int:
    from sqlalchemy import select

    from console.extensions import db
    from console.identity.models import LinkedIdentity

    return db.session.scalar(select(LinkedIdentity.id).where(LinkedIdentity.subject == sub))


def _sub() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}"


@pytest.mark.settings(
    CONSOLE_OIDC_CREATE_ACCOUNTS=True,
    SECURITY_FRESHNESS=timedelta(seconds=3),
    SECURITY_FRESHNESS_GRACE_PERIOD=timedelta(0),
)
def test_a_first_sign_in_creates_an_account_that_reauthenticates_through_the_provider(
    browser_page, live_server, oidc
):
    page, base = browser_page, live_server.url
    sub = oidc.person(_sub(), "newcomer@example.com", name="Nora Newcomer")
    for path in ("/login", "/us-signin"):
        page.goto(base + path)
        # The console's sign-in page and Flask-Security's own one-time-code page.
        found = "form[action$='/login/oauthstart/corp'], [formaction$='/login/oauthstart/corp']"
        assert page.locator(found).count() == 1
        check_page(page)
    provider_sign_in(page, base, oidc, sub)
    assert signed_in_as(page) == "newcomer@example.com"

    page.goto(f"{base}/account/")
    section = page.locator("[data-section=identities]")
    assert "Corp ID" in section.inner_text()
    # No password, no passkey: the provider is the only way in, so it offers no unlink.
    assert section.locator("[data-testid=only-way-in]").count() == 1
    assert section.locator("a", has_text="Unlink").count() == 0
    check_page(page)

    # Past the (short) freshness window a protected page asks to confirm it is you: with no
    # password, through the provider.
    link_id = _link_id(sub)
    time.sleep(3.5)
    page.goto(f"{base}/account/identities/{link_id}/unlink")
    assert "/verify" in page.url
    assert page.locator("[data-testid=reauth-providers]").count() == 1
    check_page(page)
    page.click("[data-testid=reauth-providers] button[data-provider=corp]")
    at_provider(page, oidc, sub)
    assert f"/account/identities/{link_id}/unlink" in page.url
    # Confirmed; and the last way in is refused with the reason.
    assert "only way you can sign in" in page.inner_text("main")
    check_page(page)
    # The re-authentication page of a user's own changes offers the provider as well.
    page.goto(f"{base}/us-verify")
    assert page.locator("[data-testid=reauth-providers] button").count() == 1
    check_page(page)


def test_matching_linking_unlinking_and_the_refused_sign_in_after_it(
    browser_page, live_server, oidc, make_user
):
    page, base = browser_page, live_server.url
    user = make_user("match@example.com", password=PASSWORD)
    sub = oidc.person(_sub(), user.email)

    # A first sign-in with the account's verified address links it (the default policy).
    provider_sign_in(page, base, oidc, sub)
    assert signed_in_as(page) == user.email

    # Unlink it from the security page, after a confirmation.
    page.goto(f"{base}/account/")
    with page.expect_navigation():
        page.click("[data-section=identities] a:has-text('Unlink')")
    assert "Unlink Corp ID?" in page.inner_text("h1")
    check_page(page)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Corp ID can no longer be used to sign in" in flash_text(page)
    assert page.locator("[data-section=identities] [data-provider]").count() == 0
    sign_out(page)

    # The unlinked identity no longer signs in, though its address is the account's.
    provider_sign_in(page, base, oidc, sub)
    assert "/login" in page.url and signed_in_as(page) is None
    assert "not linked to an account here" in flash_text(page)

    # Link it again from the security page: a recent sign-in, then the provider.
    sign_in_with_password(page, base, user.email, PASSWORD)
    page.goto(f"{base}/account/")
    with page.expect_navigation():
        page.click("[data-section=identities] a[data-link-provider=corp]")
    assert "Link Corp ID" in page.inner_text("h1")
    check_page(page)
    page.click("main form button[type=submit]")
    at_provider(page, oidc, sub)
    assert page.url.endswith("/account/")
    assert "You can now sign in to your account with Corp ID" in flash_text(page)
    assert page.locator("[data-section=identities] [data-provider=corp]").count() == 1
    sign_out(page)
    provider_sign_in(page, base, oidc, sub)
    assert signed_in_as(page) == user.email


def test_a_require_mfa_role_still_asks_for_the_second_factor_and_operators_remove_a_link(
    browser_page, live_server, oidc, make_user, operator
):
    from flask_security.proxies import _security

    from console.extensions import db

    page, base = browser_page, live_server.url
    secret = _security._totp_factory.generate_totp_secret()
    user = make_user(
        "guarded@example.com",
        password=PASSWORD,
        roles=["Guarded"],
        tf_primary_method="authenticator",
        tf_totp_secret=secret,
    )
    user.roles[0].require_mfa = True
    db.session.commit()
    sub = oidc.person(_sub(), user.email)

    provider_sign_in(page, base, oidc, sub)
    assert "/tf-validate" in page.url and signed_in_as(page) is None
    enter_code(page, _security._totp_factory.generate_totp_password(secret))
    assert signed_in_as(page) == user.email
    sign_out(page)

    # The operator sees the link on the user's page and removes it, with a reason.
    sign_in_with_password(page, base, operator.email, "operator password 1")
    page.goto(f"{base}/admin/users/{user.id}/")
    section = page.locator("[data-section=identities]")
    assert sub in section.inner_text()
    check_page(page)
    with page.expect_navigation():
        section.locator("a", has_text="Remove").click()
    check_page(page)
    page.fill("#reason", "The provider account was compromised")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "will no longer sign in to guarded@example.com" in flash_text(page)
    assert page.locator("[data-section=identities] [data-provider]").count() == 0
