"""Every console page, found in the URL map, renders under the prefix with prefixed links."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import Rule

from .conftest import PREFIX, sign_in

# Attributes that hold a URL the browser will request or navigate to.
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "data-url",
}
OK_REDIRECTS = {301, 302, 303, 307, 308}
MISSING_ARGUMENTS = {400, 404}


class UrlCollector(HTMLParser):
    """(tag, attribute, value) for every URL-bearing attribute in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))


def urls_in(html: str) -> list[tuple[str, str, str]]:
    collector = UrlCollector()
    collector.feed(html)
    return collector.urls


def outside_prefix(value: str) -> bool:
    """A same-site URL that escapes the console's prefix (relative and anchors stay inside)."""
    value = value.strip()
    if not value or value.startswith(("#", "mailto:", "data:", "tel:")):
        return False
    parts = urlsplit(value)
    if parts.netloc and parts.hostname != "localhost":
        return False  # another site, e.g. documentation
    if not parts.netloc and not value.startswith("/"):
        return False  # relative to the page, which is itself under the prefix
    return not (parts.path == PREFIX or parts.path.startswith(PREFIX + "/"))


def console_pages(app: Flask, mode: str) -> list[str]:
    """GET URLs of the console that need no URL arguments, from the URL map."""
    paths = []
    for rule in app.url_map.iter_rules():
        assert isinstance(rule, Rule)
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        if rule.arguments - set(rule.defaults or {}):
            continue
        path = rule.rule if mode == "extension" else PREFIX + rule.rule
        if path == PREFIX or path.startswith(PREFIX + "/"):
            paths.append(path)
    return sorted(set(paths))


def check_page(client: Any, path: str, checked_static: set[str], **headers: str) -> list[str]:
    """Problems with one page: its status, its redirect, its URLs and its static files."""
    response = client.get(path, headers=headers)
    problems = []
    if response.status_code in OK_REDIRECTS:
        location = response.headers["Location"]
        if outside_prefix(location):
            problems.append(f"{path} redirects outside the prefix: {location}")
        return problems
    body = response.get_data(as_text=True)
    if response.status_code in MISSING_ARGUMENTS:
        # A page that needs a query argument (?id=...) answers with the console's own
        # error page, whose links must honour the prefix like any other page.
        if f'data-error-code="{response.status_code}"' not in body:
            return [f"{path} answered {response.status_code} without the console's error page"]
    elif response.status_code == 401 and response.is_json:
        return problems  # an API endpoint refusing a visitor, as it should
    elif response.status_code == 204 and "HX-Redirect" in response.headers:
        location = response.headers["HX-Redirect"]
        return [f"{path} sends htmx outside the prefix: {location}"] * outside_prefix(location)
    elif response.status_code != 200:
        return [f"{path} answered {response.status_code}"]
    if "html" not in response.content_type:
        return problems
    for tag, attribute, value in urls_in(body):
        if outside_prefix(value):
            problems.append(f"{path}: <{tag} {attribute}={value!r}> is outside {PREFIX}")
        elif tag in ("script", "link", "img") and value.startswith(PREFIX):
            asset = value.split("?", 1)[0]
            if asset not in checked_static:
                checked_static.add(asset)
                asset_response = client.get(asset)
                status = asset_response.status_code
                asset_response.close()  # static files are streamed from an open file
                if status != 200:
                    problems.append(f"{path}: {asset} answered {status}")
    return problems


def test_discovery_finds_the_console_pages(app, mode):
    pages = console_pages(app, mode)
    assert f"{PREFIX}/login" in pages
    assert f"{PREFIX}/admin/outbox/" in pages
    assert f"{PREFIX}/healthz" in pages


def test_every_page_for_a_visitor_and_an_operator_stays_under_the_prefix(
    app, mode, client, operator
):
    pages = console_pages(app, mode)
    checked: set[str] = set()
    problems = [p for path in pages for p in check_page(client, path, checked)]
    assert not problems, "\n".join(problems)
    assert any(asset.endswith("console.js") for asset in checked)

    assert sign_in(client, operator.email, "operator password 1").status_code == 302
    for path in pages:
        problems += check_page(client, path, checked)
        problems += check_page(client, path, checked, **{"HX-Request": "true"})
    assert not problems, "\n".join(problems)


def test_the_checker_notices_a_link_outside_the_prefix():
    assert outside_prefix("/login")
    assert outside_prefix("http://localhost/static/x.css")
    assert not outside_prefix(f"{PREFIX}/login")
    assert not outside_prefix(f"http://localhost{PREFIX}/reset/abc")
    assert not outside_prefix("?page=2")
    assert not outside_prefix("https://flask-security.readthedocs.io/")
    assert not outside_prefix("#main")
