"""Security headers on every page: strict CSP, no framing, nosniff, referrer, permissions."""

from __future__ import annotations

import re

import pytest

from tests.security.routes import routes


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def _pages(client) -> list:
    """Every page the client can open without arguments, as responses."""
    pages = []
    for route in routes(client.application):
        if "GET" in route.methods and "sample" not in route.url and "/1" not in route.url:
            if route.endpoint.endswith("static"):
                continue
            response = client.get(route.url)
            if response.status_code == 200 and response.mimetype == "text/html":
                response.get_data()
                pages.append((route.url, response))
            else:
                response.close()  # streamed exports end their request here
    return pages


def test_strict_headers_on_pages_and_errors(client):
    for response in (client.get("/login"), client.get("/no-such-page"), client.get("/")):
        csp = _csp(response)
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
        assert csp["default-src"] == "'self'"
        assert csp["script-src"].startswith("'self' 'nonce-")
        assert csp["style-src"] == "'self'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
        assert csp["form-action"] == "'self'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= (
        365 * 24 * 3600
    )


def test_nonce_changes_per_request(client):
    first = _csp(client.get("/login"))["script-src"]
    second = _csp(client.get("/login"))["script-src"]
    assert first != second


def test_htmx_is_configured_for_the_strict_policy(client):
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert match, "the layout must configure htmx"
    config = match.group(1)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config


@pytest.mark.parametrize("who", ["anonymous", "operator"])
def test_no_inline_script_or_style_on_any_page(client, operator, who):
    """Scripts carry the response's nonce or a src; no style attributes, no on* handlers."""
    from tests.conftest import login

    if who == "operator":
        assert login(client, operator.email, "operator password 1").status_code == 302
    pages = _pages(client)
    assert len(pages) >= 3
    for url, response in pages:
        html = response.get_data(as_text=True)
        nonce = _csp(response)["script-src"].split("'nonce-")[1].rstrip("'")
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (url, tag)
            if "src=" in tag:
                assert f'nonce="{nonce}"' in tag or "nonce" not in tag, (url, tag)
        assert not re.search(r"<style\b", html, flags=re.I), url
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), url
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, flags=re.I), url
        assert not re.search(r"javascript:", html, flags=re.I), url


def test_json_and_fragments_get_the_headers_too(signed_in_operator):
    response = signed_in_operator.get("/admin/roles/", headers={"HX-Request": "true"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    api = signed_in_operator.get("/healthz")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
