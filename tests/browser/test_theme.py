"""The colour theme without JavaScript: a form posts the choice, a cookie keeps it, and the
layout renders `data-bs-theme` from it and says which theme is on; the layout around it."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_security_pages import sign_in
from tests.conftest import login


def html_tag(body: str) -> str:
    return re.search(r"<html[^>]*>", body).group(0)


def theme_toggle(body: str) -> str:
    return re.search(r'<button[^>]*id="theme-toggle"[^>]*>([^<]*)</button>', body).group(0)


def test_the_theme_form_sets_dark_for_the_next_page(client):
    response = client.post("/theme", data={"theme": "dark", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("console_theme=dark;") and "HttpOnly" in cookie

    body = client.get("/login").get_data(as_text=True)
    assert 'data-bs-theme="dark"' in html_tag(body)
    assert 'data-theme="dark"' in html_tag(body)
    toggle = theme_toggle(body)
    assert "Theme: Dark" in toggle and 'value="light"' in toggle

    client.post("/theme", data={"theme": "light", "next": "/login"})
    body = client.get("/login").get_data(as_text=True)
    assert 'data-bs-theme="light"' in html_tag(body)
    assert "Theme: Light" in theme_toggle(body)


def test_auto_follows_the_system_and_is_the_default(client):
    body = client.get("/login").get_data(as_text=True)
    assert 'data-theme="auto"' in html_tag(body)
    assert "Theme: Auto" in theme_toggle(body)
    client.post("/theme", data={"theme": "dark"})
    client.post("/theme", data={"theme": "auto"})
    assert 'data-theme="auto"' in html_tag(client.get("/login").get_data(as_text=True))


def test_the_account_menu_shows_the_chosen_theme(client, operator):
    assert login(client, operator.email, "operator password 1").status_code == 302
    response = client.post("/theme", data={"theme": "dark", "next": "/account/"})
    assert response.headers["Location"].endswith("/account/")
    body = client.get("/account/").get_data(as_text=True)
    assert 'data-bs-theme="dark"' in html_tag(body)
    assert re.search(r"<p[^>]*data-theme-state[^>]*>Theme: Dark</p>", body)
    pressed = re.findall(r'<button[^>]*aria-pressed="true"[^>]*data-theme-choice="(\w+)"', body)
    assert pressed == ["dark"]


def test_a_bad_choice_or_target_changes_nothing(client):
    response = client.post("/theme", data={"theme": "purple", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert "Set-Cookie" not in response.headers
    assert 'data-theme="auto"' in html_tag(client.get("/login").get_data(as_text=True))


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_the_theme_form_needs_its_csrf_token(client):
    response = client.post("/theme", data={"theme": "dark", "next": "/login"})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "console_theme" not in str(
        response.headers.getlist("Set-Cookie")
    )


def test_the_favicon_is_linked_and_served(client):
    body = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', body).group(1)
    svg = client.get(icon)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 200 and legacy.data == svg.data
    assert "<svg" in svg.get_data(as_text=True)


def test_operators_get_a_grouped_side_navigation_and_users_a_top_bar(client, operator, make_user):
    assert login(client, operator.email, "operator password 1").status_code == 302
    body = client.get("/admin/users/").get_data(as_text=True)
    side = re.search(r'<details class="console-collapse console-sidenav".*?</details>', body, re.S)
    assert side, "operators have a side navigation"
    groups = re.findall(r'class="console-sidenav-heading" id="nav-group-(\w+)"', side.group(0))
    assert groups[:2] == ["overview", "people"] and "audit" in groups
    current = re.findall(r'aria-current="page" href="([^"]+)"', side.group(0))
    assert current == ["/admin/users/"]
    menu = re.search(r'<details class="account-menu.*?</details>', body, re.S).group(0)
    for endpoint in ("account.security", "account.profile", "sessions.mine", "audit.activity"):
        assert f'data-nav="{endpoint}"' in menu
    assert "Sign out" in menu and 'id="language-select"' in menu

    client.post("/logout")
    member = make_user("plain.member@example.com", password="member password 1")
    assert login(client, member.email, "member password 1").status_code == 302
    body = client.get("/account/").get_data(as_text=True)
    assert "console-sidenav" not in body
    bar = re.search(r'<details class="console-collapse console-topnav.*?</details>', body, re.S)
    assert bar and 'aria-current="page" href="/account/"' in bar.group(0)


@pytest.mark.browser
def test_without_javascript_the_menus_and_the_theme_still_work(browser, live_server, operator):
    context = browser.new_context(java_script_enabled=False, color_scheme="light")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, operator.email, "operator password 1")
        page.goto(f"{live_server.url}/admin/users/")
        assert page.get_attribute("html", "data-bs-theme") == "light"
        page.click("header details.account-menu > summary")
        with page.expect_navigation():
            page.click("header [data-theme-choice=dark]")
        assert page.url.endswith("/admin/users/")
        assert page.get_attribute("html", "data-bs-theme") == "dark"
        page.click("header details.account-menu > summary")
        assert page.inner_text("header [data-theme-state]") == "Theme: Dark"
        page.click("header details.account-menu > summary")  # no script closes it: click again
        # On a phone the side navigation folds into "Menu", which opens without a script.
        page.set_viewport_size({"width": 390, "height": 800})
        assert not page.is_visible(".console-sidenav a[data-nav='roles.index_view']")
        page.click(".console-sidenav > summary")
        with page.expect_navigation():
            page.click(".console-sidenav a[data-nav='roles.index_view']")
        assert "/admin/roles/" in page.url
    finally:
        context.close()
