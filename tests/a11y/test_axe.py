"""axe-core on every console page, in light and dark theme: no serious or critical violation.

Pages are discovered, not listed: the crawl starts from the operator's and the account
navigation, Flask-Security's pages and the two-factor sign-in step, and follows the links
inside each page's <main> a few levels deep. Links are grouped by page type (their path with
ids replaced), so every type is checked once and a few of each are read for further links:
a page added later is checked without anyone adding it here.

Each page is checked with every rule in the light theme, then switched to the dark theme the
way the theme toggle does it (the `data-bs-theme` attribute) and checked again with the rules
that depend on colour: the structure of a page does not change with its theme.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.test_security_pages import ANONYMOUS_PAGES, SIGNED_IN_PAGES, sign_in
from tests.support.keys import add_stored_key

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Links that act rather than show (downloads, exports, sign-out, mailed tokens) and documents
# for programs (the OpenAPI document) are not pages.
SKIP_MARKERS = (
    "/export",
    "/openapi.json",
    "/download",
    "logout",
    ".csv",
    ".jsonl",
    ".txt",
    "/static/",
    "fs-static",
    "/us-verify-link",
)
# Flask-Security's and the console's pages of a sign-in's second step: no link leads to them
# before the password is given (/mfa/break-glass is linked from the security-key step only).
# /tf-select comes last because it ends the pending sign-in when there is nothing to select.
SECOND_STEP_PAGES = ["/mf-recovery", "/tf-rescue", "/mfa/break-glass", "/tf-select"]
MAX_DEPTH = 3  # navigation -> list -> detail -> the detail's forms and actions
READ_PER_TYPE = 2  # pages of one type read for links (e.g. users with and without MFA)
MAX_VISITS = 150  # a bound on one crawl, whatever the pages link to
# Kinds of page the crawl must reach from the navigation: a guard on the discovery itself.
EXPECTED_TYPES = {
    "/login",
    "/tf-validate",
    "/tf-select",
    "/tf-rescue",
    "/mf-recovery",
    "/mfa/break-glass",
    "/account/mfa-required",
    "/admin/dashboard",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/import",
    "/admin/users/{id}",
    "/admin/users/{id}/edit",
    "/admin/users/{id}/impersonate",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/roles/details",
    "/admin/roles/edit",
    "/admin/sessions",
    "/admin/mfa",
    "/admin/mfa/users/{id}/reset",
    "/admin/audit",
    "/admin/audit/{id}",
    "/admin/outbox",
    "/admin/outbox/{id}",
    "/admin/webhooks",
    "/admin/webhooks/new",
    "/admin/webhooks/{id}",
    "/admin/webhooks/{id}/delete",
    "/account",
    "/account/profile",
    "/account/passkeys",
    "/account/sessions",
    "/account/activity",
    "/account/data",
    "/account/delete",
    "/api/v1/docs",
}
# Rules whose answer depends on the colours, and so on the theme.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
ID_SEGMENT = re.compile(r"/(\d+|[0-9a-f]{8,}|[A-Za-z0-9_-]{32,})(?=/|$)")


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make test` to install it")
    return AXE.read_text()


def violations(page, rules: list[str] | None = None) -> list[dict]:
    """Serious and critical violations on the page, for all rules or only `rules`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async (rules) => await axe.run(document, rules
            ? {resultTypes: ['violations'], runOnly: {type: 'rule', values: rules}}
            : {resultTypes: ['violations']})""",
        rules,
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def set_theme(page, theme: str) -> None:
    """What the theme toggle does; transitions are off (reduced motion), so colours settle."""
    page.evaluate("t => document.documentElement.setAttribute('data-bs-theme', t)", theme)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def assert_passes_axe_in_both_themes(page) -> None:
    """Every rule in the light theme, the colour rules in the dark one; the page is left in
    the light theme."""
    found = violations(page)
    assert not found, f"{page.url} (light):\n{describe(found)}"
    set_theme(page, "dark")
    found = violations(page, COLOUR_RULES)
    assert not found, f"{page.url} (dark):\n{describe(found)}"
    set_theme(page, "light")


def describe(found: list[dict]) -> str:
    return json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "nodes": [
                    {"target": n["target"], "summary": n.get("failureSummary", "")[:300]}
                    for n in v["nodes"][:3]
                ],
            }
            for v in found
        ],
        indent=1,
    )


def page_type(url: str) -> str:
    """`/admin/users/12/edit/?x=1` -> `/admin/users/{id}/edit/`: one check per type."""
    return ID_SEGMENT.sub("/{id}", urlparse(url).path.rstrip("/") or "/")


@dataclass
class Crawl:
    """Pages checked so far (by type) and the violations found, shared by every start."""

    base: str
    checked: dict[str, str] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def inside(self, url: str) -> bool:
        return urlparse(url).netloc == urlparse(self.base).netloc and not any(
            marker in url for marker in SKIP_MARKERS
        )

    def check(self, page, url: str) -> None:
        assert page.get_attribute("html", "data-bs-theme") == "light", url
        self.checked[page_type(page.url)] = url
        if found := violations(page):
            self.failures[f"{url} (light)"] = describe(found)
        set_theme(page, "dark")
        if found := violations(page, COLOUR_RULES):
            self.failures[f"{url} (dark)"] = describe(found)

    def walk(self, page, starts: list[str]) -> None:
        """Breadth first from `starts`; checks each new page type, reads a few of each."""
        queue = [(url, 0) for url in starts]
        visits = 0
        while queue and visits < MAX_VISITS:
            url, depth = queue.pop(0)
            url = urljoin(self.base, url).split("#")[0]
            kind = page_type(url)
            if not self.inside(url) or self.read.get(kind, 0) >= READ_PER_TYPE:
                continue
            self.read[kind] = self.read.get(kind, 0) + 1
            visits += 1
            # A page of a type already checked is only read for its links: no need to wait
            # for its styles and scripts.
            known = kind in self.checked
            response = page.goto(url, wait_until="domcontentloaded" if known else "load")
            assert response is not None and response.status < 500, url
            if response.status >= 400:
                continue
            if page_type(page.url) not in self.checked:
                page.wait_for_load_state("load")
                self.check(page, url)
            if depth < MAX_DEPTH:
                hrefs = page.eval_on_selector_all(
                    "main a[href]", "els => els.map(e => e.getAttribute('href'))"
                )
                queue += [
                    (urljoin(page.url, h), depth + 1)
                    for h in hrefs
                    if h and not h.startswith(("http", "mailto:", "#", "javascript:"))
                ]


def seed_pages(make_user) -> None:
    """Demo data from every feature, a mail in the outbox, users at each second step (an
    authenticator app; a choice between app and security key) and a require-MFA member."""
    from flask_mailman import EmailMessage
    from flask_security.proxies import _security

    from console.demo import seed
    from console.extensions import db

    seed(12)
    EmailMessage("Welcome", "Hello from the console.", to=["ada.lovelace@example.com"]).send()
    make_user(
        "totp-pages@example.com",
        password="totp pages password",
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    chooser = make_user(
        "select-pages@example.com",
        password="select pages password",
        tf_primary_method="authenticator",
        tf_totp_secret=_security._totp_factory.generate_totp_secret(),
    )
    add_stored_key(chooser.id, "Second-step key")
    guarded = make_user("guarded-pages@example.com", "guarded pages password", roles=["Guarded"])
    guarded.roles[0].require_mfa = True
    db.session.commit()


def crawl_console(browser, base: str, operator, make_user, crawl: Crawl) -> None:
    """Seed every feature's pages and walk them all with `crawl`: anonymous, in the middle
    of each kind of sign-in, then as the operator from the navigation."""
    seed_pages(make_user)
    context = browser.new_context(color_scheme="light", reduced_motion="reduce", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        crawl.walk(page, [base + p for p in ANONYMOUS_PAGES])
        # Pages that exist only in the middle of a sign-in: the second step after a password
        # (with one factor, or a choice of two), and the enrolment a require-MFA role imposes;
        # each one's links are followed too.
        sign_in(page, base, "totp-pages@example.com", "totp pages password")
        crawl.walk(page, [page.url, *(base + p for p in SECOND_STEP_PAGES)])
        context.clear_cookies()
        sign_in(page, base, "select-pages@example.com", "select pages password")
        crawl.walk(page, [page.url])
        context.clear_cookies()
        sign_in(page, base, "guarded-pages@example.com", "guarded pages password")
        crawl.walk(page, [page.url])
        context.clear_cookies()

        sign_in(page, base, operator.email, "operator password 1")
        page.goto(base + "/")
        navigation = page.eval_on_selector_all(
            "a[data-nav]", "els => els.map(e => e.getAttribute('href'))"
        )
        assert navigation, "the operator sees no navigation"
        crawl.walk(page, [base + "/", *navigation, *(base + p for p in SIGNED_IN_PAGES)])
    finally:
        context.close()
    missing = sorted(EXPECTED_TYPES - set(crawl.checked))
    assert not missing, f"the crawl did not reach {missing}; it checked {sorted(crawl.checked)}"


def test_every_page_passes_axe_in_both_themes(browser, live_server, operator, make_user):
    crawl = Crawl(live_server.url)
    crawl_console(browser, live_server.url, operator, make_user, crawl)
    assert not crawl.failures, "\n".join(f"{url}:\n{text}" for url, text in crawl.failures.items())


def test_switching_the_attribute_gives_the_system_dark_theme(browser, live_server):
    """The dark check sets `data-bs-theme` as the toggle does: the same colours as the OS's."""
    context = browser.new_context(color_scheme="dark", reduced_motion="reduce")
    page = context.new_page()
    background = "() => getComputedStyle(document.body).backgroundColor"
    try:
        page.goto(live_server.url + "/login")
        assert page.get_attribute("html", "data-bs-theme") == "dark"
        system = page.evaluate(background)
        set_theme(page, "light")
        assert page.evaluate(background) != system
        set_theme(page, "dark")
        assert page.evaluate(background) == system
    finally:
        context.close()
