"""Cross-site requests are refused by their Origin (or Sec-Fetch-Site), token or not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.settings(WTF_CSRF_ENABLED=True)

SCHEMES = ("http", "https")
CROSS_SITE = (
    {"Origin": "https://evil.com"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.com"},
    {"Origin": "https://localhost:8443"},
    {"Sec-Fetch-Site": "cross-site"},
)


class Browser:
    """A signed-in operator's browser on `scheme`://localhost, sending the CSRF token."""

    def __init__(self, app: Any, scheme: str) -> None:
        self.client = app.test_client()
        self.base = f"{scheme}://localhost"
        self.token = ""

    def get(self, path: str) -> Any:
        return self.client.get(path, base_url=self.base)

    def post(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        # Over HTTPS Flask-WTF also wants a same-site Referer: a real browser sends one.
        headers = {"Referer": f"{self.base}/admin/", **headers}
        return self.client.post(
            path,
            data={**(data or {}), "csrf_token": self.token},
            headers=headers,
            base_url=self.base,
        )

    def sign_in(self, email: str, password: str) -> None:
        self.token = _token(self.get("/login").get_data(as_text=True))
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.token = _token(self.get("/admin/roles/").get_data(as_text=True))

    def signed_in(self) -> bool:
        return self.get("/admin/roles/").status_code == 200


def _token(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, html[:500]
    return match.group(1)


def _role_count() -> int:
    from console.extensions import db
    from console.models import Role

    return db.session.scalar(sa.select(sa.func.count()).select_from(Role))


def _audit_count() -> int:
    from console.audit.models import AuditEvent
    from console.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@pytest.fixture
def browser(app: Any, operator: Any) -> Callable[[str], Browser]:
    def make(scheme: str) -> Browser:
        browser = Browser(app, scheme)
        browser.sign_in(operator.email, "operator password 1")
        return browser

    return make


@pytest.fixture
def mfa_user(make_user: Callable[..., Any]) -> Any:
    """A user with an authenticator app and recovery codes."""
    from flask_security.proxies import _datastore, _security

    user = make_user("phone.lost@example.com")
    _datastore.tf_set(user, "authenticator", _security._totp_factory.generate_totp_secret())
    _security._mf_recovery_codes_util.create_recovery_codes(user)
    _datastore.commit()
    return user


def _mfa_of(user: Any) -> Any:
    from console.extensions import db

    db.session.expire_all()
    return user.tf_primary_method


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)[:500]
    if response.is_json:
        assert response.get_json()["error"]["code"] == 403
    else:
        assert 'data-error-code="403"' in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: ",".join(h.values()))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_cross_site_sign_out_is_refused(browser, scheme, headers):
    operator = browser(scheme)
    audited = _audit_count()
    _refused(operator.post("/logout", **headers))
    assert operator.signed_in()
    assert _audit_count() == audited


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: ",".join(h.values()))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_cross_site_role_creation_is_refused(browser, scheme, headers):
    operator = browser(scheme)
    roles = _role_count()
    _refused(operator.post("/admin/roles/new/", {"name": "Forged"}, **headers))
    assert _role_count() == roles
    assert operator.signed_in()


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: ",".join(h.values()))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_cross_site_mfa_reset_is_refused(browser, mfa_user, outbox, scheme, headers):
    operator = browser(scheme)
    mails = len(outbox())
    audited = _audit_count()
    url = f"/admin/mfa/users/{mfa_user.id}/reset"
    _refused(operator.post(url, {"reason": "forged by another site"}, **headers))
    assert _mfa_of(mfa_user) == "authenticator"
    assert len(outbox()) == mails
    assert _audit_count() == audited


@pytest.mark.parametrize("scheme", SCHEMES)
def test_same_origin_requests_go_through(browser, mfa_user, scheme):
    operator = browser(scheme)
    same = {"Origin": operator.base, "Sec-Fetch-Site": "same-origin"}
    roles = _role_count()
    created = operator.post("/admin/roles/new/", {"name": "Helpdesk"}, **same)
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    assert _role_count() == roles + 1
    url = f"/admin/mfa/users/{mfa_user.id}/reset"
    reset = operator.post(url, {"reason": "lost the phone, checked by video"}, **same)
    assert reset.status_code == 302, reset.get_data(as_text=True)[:500]
    assert _mfa_of(mfa_user) is None
    signed_out = operator.post("/logout", **same)
    assert signed_out.status_code == 302
    assert not operator.signed_in()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_requests_without_origin_or_fetch_metadata_rely_on_the_token(browser, scheme):
    operator = browser(scheme)
    roles = _role_count()
    assert operator.post("/admin/roles/new/", {"name": "Auditors"}).status_code == 302
    assert _role_count() == roles + 1
    token, operator.token = operator.token, "forged"
    assert operator.post("/admin/roles/new/", {"name": "Forged"}).status_code == 400
    operator.token = token
    assert _role_count() == roles + 1
    assert operator.post("/logout").status_code == 302
    assert not operator.signed_in()


@pytest.mark.settings(CONSOLE_TRUSTED_ORIGINS=["https://portal.example.com"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_trusted_origin_is_accepted(browser, scheme):
    operator = browser(scheme)
    roles = _role_count()
    trusted = {"Origin": "https://portal.example.com", "Sec-Fetch-Site": "cross-site"}
    created = operator.post("/admin/roles/new/", {"name": "Portal"}, **trusted)
    assert created.status_code == 302
    assert _role_count() == roles + 1
    _refused(operator.post("/admin/roles/new/", {"name": "Other"}, Origin="https://other.example"))
    assert _role_count() == roles + 1


def test_a_same_site_fetch_without_origin_is_accepted(browser):
    operator = browser("http")
    roles = _role_count()
    response = operator.post(
        "/admin/roles/new/", {"name": "Sibling"}, **{"Sec-Fetch-Site": "same-site"}
    )
    assert response.status_code == 302
    assert _role_count() == roles + 1


def test_a_json_client_gets_json(browser):
    operator = browser("http")
    response = operator.client.post(
        "/logout",
        json={"csrf_token": operator.token},
        headers={"Origin": "https://evil.com", "X-CSRFToken": operator.token},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == 403
    assert operator.signed_in()


def test_cross_site_sign_in_is_refused_too(app, operator):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "email": operator.email,
            "password": "operator password 1",
            "csrf_token": _token(page),
        },
        headers={"Origin": "https://evil.com"},
    )
    assert response.status_code == 403
    assert client.get("/admin/roles/").status_code != 200


def test_the_origin_comparison():
    from console.core.origin import normalize_origin

    assert normalize_origin("HTTPS://LocalHost:443") == "https://localhost"
    assert normalize_origin("http://localhost:80/") == "http://localhost"
    assert normalize_origin("http://localhost:8080") == "http://localhost:8080"
    assert normalize_origin("http://[::1]:8080") == "http://[::1]:8080"
    assert normalize_origin("null") is None
    assert normalize_origin("file://") is None
    assert normalize_origin("http://localhost:99999") is None
