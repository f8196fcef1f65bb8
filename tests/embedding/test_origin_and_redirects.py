"""Embedded or mounted: cross-site requests are refused and redirects keep the prefix."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import PREFIX

PUBLIC = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "accounts.example.com",
}


def _signed_in(client: Any, **headers: str) -> bool:
    return client.get(f"{PREFIX}/admin/roles/", headers=headers).status_code == 200


def test_a_cross_site_sign_out_is_refused_under_the_prefix(signed_in_operator):
    refused = signed_in_operator.post(f"{PREFIX}/logout", headers={"Origin": "https://evil.com"})
    assert refused.status_code == 403
    assert 'data-error-code="403"' in refused.get_data(as_text=True)
    assert _signed_in(signed_in_operator)
    done = signed_in_operator.post(f"{PREFIX}/logout", headers={"Origin": "http://localhost"})
    assert done.status_code == 302
    assert not _signed_in(signed_in_operator)


def test_cross_site_fetch_metadata_is_refused_under_the_prefix(signed_in_operator):
    refused = signed_in_operator.post(
        f"{PREFIX}/admin/roles/new/",
        data={"name": "Forged"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    created = signed_in_operator.post(f"{PREFIX}/admin/roles/new/", data={"name": "Kept"})
    assert created.status_code == 302


@pytest.mark.settings(CONSOLE_PROXY_FIX=1)
def test_behind_a_proxy_the_public_origin_is_the_sites_own(client, operator):
    signed_in = client.post(
        f"{PREFIX}/login",
        data={"email": operator.email, "password": "operator password 1"},
        headers={**PUBLIC, "Origin": "https://accounts.example.com"},
    )
    assert signed_in.status_code == 302
    # The address the proxy reached the application at is not the site's origin.
    internal = client.post(f"{PREFIX}/logout", headers={**PUBLIC, "Origin": "http://localhost"})
    assert internal.status_code == 403
    assert _signed_in(client, **PUBLIC)
    done = client.post(
        f"{PREFIX}/logout", headers={**PUBLIC, "Origin": "https://accounts.example.com"}
    )
    assert done.status_code == 302


@pytest.mark.parametrize("payload", ["/%09/evil.com", "/%0D%0A/evil.com", "//evil.com"])
def test_an_unsafe_next_falls_back_to_the_prefixed_page(signed_in_operator, payload):
    response = signed_in_operator.post(f"{PREFIX}/admin/sessions/end?next={payload}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"{PREFIX}/admin/sessions/"
    htmx = signed_in_operator.post(
        f"{PREFIX}/admin/sessions/end?next={payload}", headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"] == f"{PREFIX}/admin/sessions/"
    language = signed_in_operator.post(
        f"{PREFIX}/language", data={"language": "en", "next": payload}
    )
    assert language.status_code == 302
    assert urlsplit(language.headers["Location"]).path == f"{PREFIX}/"


def test_the_pages_next_fields_carry_the_prefix(signed_in_operator):
    page = signed_in_operator.get(f"{PREFIX}/admin/users/").get_data(as_text=True)
    assert f'name="next" value="{PREFIX}/admin/users/' in page
    back = signed_in_operator.post(
        f"{PREFIX}/admin/users/action/", data={"next": f"{PREFIX}/admin/users/?q=a"}
    )
    assert back.status_code == 302
    assert back.headers["Location"] == f"{PREFIX}/admin/users/?q=a"
