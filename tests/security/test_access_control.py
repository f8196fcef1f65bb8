"""Every page needs a sign-in unless allow-listed, and operator pages need a permission.

The routes are read from the app's URL map, so pages added later are covered without a
change here; a new public page must be added to routes.PUBLIC_ENDPOINTS on purpose.
"""

from __future__ import annotations

from tests.conftest import login
from tests.security.routes import MUTATING, routes


def _is_sign_in_redirect(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and "/login" in location


def _refused(response, client) -> bool:
    if response.status_code in (302, 303) and not _is_sign_in_redirect(response):
        # A redirect to another console page (the admin index to the home page) is fine
        # as long as that page sends the visitor to sign in.
        response = client.get(response.headers["Location"])
    return response.status_code in (401, 403, 404, 405) or _is_sign_in_redirect(response)


def test_anonymous_visitors_reach_only_public_pages(client):
    leaks = []
    for route in routes(client.application):
        if route.public:
            continue
        if "GET" in route.methods:
            response = client.get(route.url)
            if not _refused(response, client):
                leaks.append(("GET", route.url, response.status_code))
        for method in sorted(route.methods & MUTATING):
            response = client.open(route.url, method=method, data={})
            if not _refused(response, client):
                leaks.append((method, route.url, response.status_code))
    assert leaks == []


def test_signed_in_users_without_permissions_get_no_operator_page(client, make_user):
    make_user("plain@example.com", password="plain password 123")
    assert login(client, "plain@example.com", "plain password 123").status_code == 302
    leaks = []
    for route in routes(client.application):
        if not route.operator_only:
            continue
        if "GET" in route.methods:
            response = client.get(route.url)
            if response.status_code not in (403, 404):
                leaks.append(("GET", route.url, response.status_code))
        for method in sorted(route.methods & MUTATING):
            response = client.open(route.url, method=method, data={})
            if response.status_code not in (403, 404):
                leaks.append((method, route.url, response.status_code))
    assert leaks == []


def test_operator_pages_exist_and_open_for_the_operator(signed_in_operator):
    """Guards the test above against passing because the pages were never reached."""
    opened = [
        route.url
        for route in routes(signed_in_operator.application)
        if route.operator_only
        and "GET" in route.methods
        and "/1" not in route.url
        and "sample" not in route.url
        and signed_in_operator.get(route.url).status_code == 200
    ]
    assert "/admin/roles/" in opened and "/admin/outbox/" in opened


def test_sign_in_redirects_answer_htmx_with_hx_redirect(client):
    response = client.get("/admin/roles/", headers={"HX-Request": "true"})
    assert response.status_code in (200, 204, 401)
    assert "/login" in response.headers.get("HX-Redirect", "")
