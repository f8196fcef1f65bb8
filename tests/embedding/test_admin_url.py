"""CONSOLE_ADMIN_URL moves every operator page, and every link to one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.embedding.conftest import PREFIX

OPS = f"{PREFIX}/ops/"
# Every attribute that names a URL the browser (or htmx) will open.
URL_ATTRIBUTES = re.compile(r'(?:href|action|src|hx-get|hx-post|hx-delete|formaction)="([^"]*)"')
LINKS = re.compile(r'href="([^"]*)"')


def _operator_pages(app: Any) -> list[str]:
    from flask import url_for

    state = app.extensions["console"]
    with app.test_request_context():
        return [
            url_for(item.endpoint, **item.values) for item in state.nav if item.section == "admin"
        ]


def _urls(body: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in URL_ATTRIBUTES.findall(body)]


@pytest.mark.settings(CONSOLE_ADMIN_URL="/ops")
def test_every_operator_page_moves_with_the_admin_url(app, signed_in_operator, make_user):
    make_user("member@example.com", roles=["Auditors"])
    pages = _operator_pages(app)
    assert len(pages) >= 6, pages
    seen: dict[str, str] = {}
    for page in pages:
        assert page.startswith(OPS), page
        response = signed_in_operator.get(page)
        assert response.status_code == 200, page
        seen[page] = response.get_data(as_text=True)
    # One step further: the pages those pages link to under /ops (details, forms...).
    for body in list(seen.values()):
        for url in LINKS.findall(body):
            url = url.replace("&amp;", "&")
            path = url.split("?")[0]
            if path.startswith(OPS) and path not in seen and "export" not in path:
                response = signed_in_operator.get(url)
                assert response.status_code in (200, 302), url
                seen[path] = response.get_data(as_text=True)
    assert len(seen) > len(pages)
    for page, body in seen.items():
        stale = [url for url in _urls(body) if "/admin/" in url or url.endswith("/admin")]
        assert not stale, (page, stale)
    for page in pages:
        old = f"{PREFIX}/admin/{page.removeprefix(OPS)}"
        assert signed_in_operator.get(old).status_code == 404, old
