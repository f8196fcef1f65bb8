"""Behind a reverse proxy (CONSOLE_PROXY_FIX): the scheme, host and an outer prefix hold."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import PREFIX
from .test_pages import urls_in

PROXY_HEADERS = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "accounts.example.com",
    "X-Forwarded-Prefix": "/site",
}
OUTER = f"/site{PREFIX}"

pytestmark = pytest.mark.settings(CONSOLE_PROXY_FIX=1)


def test_links_and_redirects_carry_the_proxys_prefix(client):
    page = client.get(f"{PREFIX}/login", headers=PROXY_HEADERS)
    assert page.status_code == 200
    for _tag, _attribute, value in urls_in(page.get_data(as_text=True)):
        if value.startswith("/"):
            assert value.startswith(f"{OUTER}/"), value
    redirect = client.get(f"{PREFIX}/admin/outbox/", headers=PROXY_HEADERS)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert location.netloc in ("", "accounts.example.com")
    assert location.path == f"{OUTER}/login"
    assert unquote(location.query) == f"next={OUTER}/admin/outbox/"


def test_mailed_links_use_the_public_scheme_host_and_prefix(client, make_user, outbox):
    user = make_user("proxied@example.com")
    client.post(f"{PREFIX}/reset", data={"email": user.email}, headers=PROXY_HEADERS)
    [message] = [m for m in outbox() if user.email in m.recipient_list()]
    links = re.findall(r"https?://[^\s\"'<>]+/reset/[^\s\"'<>]+", message.body_text)
    assert links
    assert all(link.startswith(f"https://accounts.example.com{OUTER}/reset/") for link in links)
