"""axe-core on every console page, in light and dark theme: no serious or critical violation.

Pages are discovered, not listed: the operator's navigation, the account navigation and the
links each of those pages offers inside the console, plus Flask-Security's pages. A page
added later is checked without anyone adding it here.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.test_security_pages import ANONYMOUS_PAGES, SIGNED_IN_PAGES, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Links that act rather than show (downloads, exports, sign-out) are not pages to check.
SKIP_MARKERS = ("/export", "/download", "logout", ".csv", ".jsonl", ".txt", "/static/", "fs-static")
MAX_PAGES = 60


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make test` to install it")
    return AXE.read_text()


def violations(page) -> list[dict]:
    page.evaluate(axe_source())
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(found: list[dict]) -> str:
    return json.dumps(
        [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in found
        ],
        indent=1,
    )


def discover(page, base: str) -> list[str]:
    """Navigation entries, then the in-console links each of those pages offers."""
    seen: list[str] = []
    queue = [base + "/"]
    page.goto(base + "/")
    queue += [urljoin(base, h) for h in page.eval_on_selector_all(
        "a[data-nav]", "els => els.map(e => e.getAttribute('href'))")]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0).split("#")[0]
        if url in seen or urlparse(url).netloc != urlparse(base).netloc:
            continue
        if any(marker in url for marker in SKIP_MARKERS):
            continue
        seen.append(url)
        if len(seen) > 12:
            continue  # follow links from the navigation pages only, not from every page
        response = page.goto(url)
        if response is None or response.status >= 400:
            continue
        hrefs = page.eval_on_selector_all(
            "main a[href]", "els => els.map(e => e.getAttribute('href'))"
        )
        queue += [urljoin(url, h) for h in hrefs if h and not h.startswith(("http", "mailto:"))]
    return seen


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_passes_axe(browser, live_server, operator, make_user, theme):
    context = browser.new_context(color_scheme=theme, bypass_csp=True)
    page = context.new_page()
    failures: dict[str, str] = {}
    try:
        for path in ANONYMOUS_PAGES:
            page.goto(live_server.url + path)
            if found := violations(page):
                failures[path] = describe(found)
        sign_in(page, live_server.url, operator.email, "operator password 1")
        pages = discover(page, live_server.url)
        pages += [live_server.url + p for p in SIGNED_IN_PAGES]
        for url in pages:
            response = page.goto(url)
            assert response is not None and response.status < 500, url
            assert page.get_attribute("html", "data-bs-theme") == theme
            if found := violations(page):
                failures[url] = describe(found)
    finally:
        context.close()
    assert not failures, "\n".join(f"{url}:\n{text}" for url, text in failures.items())
