"""A host's own Flask-Security and Flask-Admin next to the console: refused with what to
change, or living beside it, with the host's admin views gated by console permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from console import PermissionGatedView, SecurityConsole, declare_permissions
from console.config import ConfigError
from examples.fsqla_quickstart import app as quickstart
from examples.fsqla_quickstart import settings

from .conftest import PREFIX, sign_in

MODELS = {
    "db": quickstart.db,
    "user_model": quickstart.User,
    "role_model": quickstart.Role,
    "webauthn_model": quickstart.WebAuthn,
}
PASSWORD = "coexisting password 1"


class PeopleView(PermissionGatedView, ModelView):
    """The application's own list of its users, for holders of admin-read."""

    required_permission = "admin-read"
    column_list = ("email", "first_name", "last_name")


def _host(host_config: dict[str, Any]) -> Flask:
    app = Flask("coexisting_host")
    settings.configure(app, host_config)
    quickstart.db.init_app(app)
    return app


def test_a_hosts_own_security_is_refused_with_what_to_change(host_config: dict[str, Any]):
    from flask_security import Security, SQLAlchemyUserDatastore

    app = _host(host_config)
    datastore = SQLAlchemyUserDatastore(
        quickstart.db, quickstart.User, quickstart.Role, quickstart.WebAuthn
    )
    Security(app, datastore)
    with pytest.raises(ConfigError, match=r"remove your Security\(app, \.\.\.\) call"):
        SecurityConsole(app, url_prefix=PREFIX, **MODELS)


def test_a_hosts_admin_view_named_like_the_consoles_is_refused(host_config: dict[str, Any]):
    app = _host(host_config)
    Admin(app).add_view(PeopleView(quickstart.User, quickstart.db, endpoint="users"))
    with pytest.raises(ConfigError, match="give it another name"):
        SecurityConsole(app, url_prefix=PREFIX, **MODELS)


def test_a_hosts_admin_where_the_console_puts_its_pages_is_refused(host_config: dict[str, Any]):
    app = _host(host_config)
    Admin(app, url="/admin")
    with pytest.raises(ConfigError, match="Flask-Admin of its own at /admin"):
        SecurityConsole(app, url_prefix="", **MODELS)


@pytest.fixture
def with_admin(host_config: dict[str, Any]) -> Iterator[Flask]:
    """The application with its own Admin(app) and a gated view, then the console."""
    from console.accounts import create_account, create_operator, ensure_role

    app = _host(host_config)
    admin = Admin(app, name="Quickstart admin")
    admin.add_view(PeopleView(quickstart.User, quickstart.db, name="People"))
    SecurityConsole(app, url_prefix=PREFIX, **MODELS)
    declare_permissions(app, quickstart.PERMISSIONS)
    with app.app_context():
        quickstart.db.create_all()
        reader = ensure_role("reader", ["admin-read"])
        create_account("reader@me.com", PASSWORD, roles=[reader], first_name="Rita")
        create_account("plain@me.com", PASSWORD)
        create_operator("ops@me.com", PASSWORD)
        quickstart.db.session.commit()
    yield app
    with app.app_context():
        quickstart.db.session.remove()
        quickstart.db.drop_all()
        quickstart.db.engine.dispose()


def test_the_hosts_admin_lives_beside_the_consoles(with_admin: Flask):
    anonymous = with_admin.test_client().get("/admin/user/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith(f"{PREFIX}/login?next=")

    plain = with_admin.test_client()
    assert sign_in(plain, "plain@me.com", PASSWORD, PREFIX).status_code == 302
    assert plain.get("/admin/user/").status_code == 403

    reader = with_admin.test_client()
    assert sign_in(reader, "reader@me.com", PASSWORD, PREFIX).status_code == 302
    people = reader.get("/admin/user/")
    assert people.status_code == 200 and "Rita" in people.get_data(as_text=True)
    assert reader.get(f"{PREFIX}/admin/users/").status_code == 403

    ops = with_admin.test_client()
    assert sign_in(ops, "ops@me.com", PASSWORD, PREFIX).status_code == 302
    listing = ops.get(f"{PREFIX}/admin/users/")
    assert listing.status_code == 200 and "reader@me.com" in listing.get_data(as_text=True)
    # The console's own Admin has an endpoint of its own; the host's keeps "admin".
    assert [a.endpoint for a in with_admin.extensions["admin"]] == ["admin", "console_admin"]


def test_an_undeclared_permission_on_a_gated_view_is_a_loud_error(with_admin: Flask):
    from console.core.permissions import UnknownPermission

    class Typo(PermissionGatedView, ModelView):
        required_permission = "admin-raed"

    view = Typo(quickstart.User, quickstart.db, endpoint="typo")
    with with_admin.test_request_context(), pytest.raises(UnknownPermission):
        view.is_accessible()
