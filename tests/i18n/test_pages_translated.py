"""Every console page, in every language, shows no console string left in English."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from tests.browser.test_security_pages import ANONYMOUS_PAGES

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr", "es", "ja")
SKIP = ("/export", "/download", "logout", ".csv", ".jsonl", ".txt", "/static/", "fs-static")
MAX_PAGES = 40


class TextNodes(HTMLParser):
    """The visible text of a page, one stripped string per text node or label attribute.

    Parts of a page declared English (`lang="en"` below <html>: the API reference's text,
    which comes from the code's OpenAPI document) are English on purpose, not strings left
    untranslated.
    """

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0
        # [tag, depth] of each open element declared English, innermost last.
        self._english: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if self._english and tag == self._english[-1][0]:
            self._english[-1][1] += 1
        elif tag != "html" and (dict(attrs).get("lang") or "").startswith("en"):
            self._english.append([tag, 1])
        if self._english:
            return
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.texts.append(value.strip())
            if name == "value" and value and dict(attrs).get("type") in ("submit", "button"):
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        if self._english and tag == self._english[-1][0]:
            self._english[-1][1] -= 1
            if not self._english[-1][1]:
                self._english.pop()

    def handle_data(self, data):
        if not self._hidden and not self._english and data.strip():
            self.texts.append(" ".join(data.split()))


def english_strings(language: str) -> set[str]:
    """Console msgids that the catalogue translates to something different."""
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        catalogue = read_po(f, locale=language)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or "%" in message.id:
            continue
        if message.string and message.string != message.id and len(message.id) > 2:
            found.add(" ".join(message.id.split()))
    return found


def discover(client) -> list[str]:
    """Navigation pages and the console links they offer (bounded)."""
    pages, queue = [], ["/"]
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        if path in pages or any(marker in path for marker in SKIP):
            continue
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages.append(path)
        html = response.get_data(as_text=True)
        for href in re.findall(r'href="(/[^"#]*)"', html):
            target = urlsplit(href.replace("&amp;", "&"))
            if not target.netloc:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_have_no_untranslated_console_string(app, signed_in_operator, language):
    english = english_strings(language)
    anonymous = app.test_client()
    anonymous.post("/language", data={"language": language, "next": "/login"})
    signed_in_operator.post("/language", data={"language": language, "next": "/"})
    leftovers: dict[str, set[str]] = {}
    checks = [(anonymous, p) for p in ANONYMOUS_PAGES]
    checks += [(signed_in_operator, p) for p in discover(signed_in_operator)]
    for client, path in checks:
        response = client.get(path)
        parser = TextNodes()
        parser.feed(response.get_data(as_text=True))
        found = {text for text in parser.texts if text in english}
        if found:
            leftovers[path] = found
    assert not leftovers, "\n".join(f"{p}: {sorted(t)}" for p, t in leftovers.items())
