"""A host that brings its own SQLAlchemy object and Flask-Security models (fsqla v3 and v4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from console import SecurityConsole
from console.config import ConfigError
from tests.support import db as dbsupport

from .conftest import PREFIX, OwnContext, sign_in
from .hosts import fsqla_v3, fsqla_v4
from .test_pages import console_pages

HOSTS = {"fsqla_v3": fsqla_v3, "fsqla_v4": fsqla_v4}
OPERATOR_PASSWORD = "operator password 1"
MEMBER_PASSWORD = "member password 1"
USERS = f"{PREFIX}/admin/users/"
OPERATOR_LISTS = {"dashboard", "users", "roles", "sessions", "mfa", "audit", "permissions"}


@pytest.fixture(scope="module", params=sorted(HOSTS))
def host_models(request: pytest.FixtureRequest) -> ModuleType:
    return HOSTS[request.param]


@pytest.fixture(scope="module")
def host_database(
    backend: str, host_models: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database for the host's schema, which its own create_all() makes."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('host') / 'host.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def _config(url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        "CONSOLE_LOCKOUT_REFUSAL_INTERVAL": timedelta(0),
    }


def make_host(url: str, host_models: ModuleType) -> Flask:
    """The host: its own db object initialised first, its own pages, then the console."""
    from flask_security import auth_required, current_user, permissions_required

    host = Flask("host_with_models")
    host.config.update(_config(url))
    host_models.db.init_app(host)

    @host.get("/reports")
    @auth_required()
    def reports() -> Any:
        return jsonify({"reports_for": current_user.email, "first_name": current_user.first_name})

    @host.get("/team")
    @permissions_required("users:read")
    def team() -> Any:
        return jsonify({"team_for": current_user.email})

    SecurityConsole(host, url_prefix=PREFIX, db=host_models.db, **host_models.MODELS)
    return host


@pytest.fixture
def host(host_database: str, host_models: ModuleType) -> Iterator[Flask]:
    app = make_host(host_database, host_models)
    db = host_models.db
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(host: Flask) -> Any:
    from werkzeug.test import Client

    return Client(OwnContext(host))


def _account(email: str, password: str, permissions: list[str] | None = None, **fields: Any):
    from console.accounts import create_account, ensure_role
    from console.extensions import db

    roles = [ensure_role(f"role for {email}", permissions)] if permissions else []
    user = create_account(email, password, roles=roles, **fields)
    db.session.commit()
    return user


@pytest.fixture
def operator(host: Flask) -> Any:
    from console.core.permissions import all_permissions

    return _account(
        "operator@example.com", OPERATOR_PASSWORD, all_permissions(), name="Olive Operator"
    )


@pytest.fixture
def signed_in_operator(client: Any, operator: Any) -> Any:
    response = sign_in(client, operator.email, OPERATOR_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_the_console_uses_the_hosts_object_and_models(host: Flask, host_models: ModuleType):
    from console.core.models import models
    from console.extensions import db

    configured = models()
    assert configured.db is host_models.db and configured.User is host_models.User
    assert configured.Role is host_models.Role and configured.WebAuthn is host_models.WebAuthn
    # console.extensions.db hands out the host's session, so features write to one session.
    assert db.session is host_models.db.session
    assert db.engine is host_models.db.engine


def test_an_operator_signs_in_lists_searches_and_edits_users(
    signed_in_operator: Any, host_models: ModuleType
):
    from console.extensions import db

    ada = _account(
        "ada@example.com", MEMBER_PASSWORD, name="Ada Lovelace", first_name="Ada", last_name="L"
    )
    _account("bob@example.com", MEMBER_PASSWORD, name="Bob Builder")

    listing = signed_in_operator.get(USERS)
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "ada@example.com" in html and "bob@example.com" in html
    found = signed_in_operator.get(USERS, query_string={"q": "ada"}).get_data(as_text=True)
    assert "ada@example.com" in found and "bob@example.com" not in found

    response = signed_in_operator.post(
        f"{USERS}{ada.id}/edit/",
        data={
            "email": ada.email,
            "name": "Ada King",
            "timezone": "Europe/London",
            "active": "y",
            "version": str(ada.edit_version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(host_models.User, ada.id)
    assert (fresh.name, fresh.timezone, fresh.edit_version) == ("Ada King", "Europe/London", 2)
    # The host's own columns are the host's: the console's edit leaves them alone.
    assert (fresh.first_name, fresh.last_name) == ("Ada", "L")
    detail = signed_in_operator.get(f"{USERS}{ada.id}/")
    assert detail.status_code == 200 and "Ada King" in detail.get_data(as_text=True)


def test_the_hosts_own_guarded_routes_see_the_consoles_sign_in(client: Any, operator: Any):
    _account("member@example.com", MEMBER_PASSWORD, first_name="Mia")
    assert client.get("/reports", headers={"Accept": "application/json"}).status_code == 401
    assert sign_in(client, "member@example.com", MEMBER_PASSWORD).status_code == 302
    reports = client.get("/reports", headers={"Accept": "application/json"})
    assert reports.status_code == 200
    assert reports.get_json() == {"reports_for": "member@example.com", "first_name": "Mia"}
    assert client.get("/team", headers={"Accept": "application/json"}).status_code == 403
    client.post(f"{PREFIX}/logout")
    assert sign_in(client, operator.email, OPERATOR_PASSWORD).status_code == 302
    team = client.get("/team", headers={"Accept": "application/json"})
    assert team.status_code == 200 and team.get_json() == {"team_for": operator.email}


def test_every_console_page_renders_on_the_hosts_models(host: Flask, signed_in_operator: Any):
    _account("someone@example.com", MEMBER_PASSWORD, name="Some One")
    problems = []
    for path in console_pages(host, "extension"):
        response = signed_in_operator.get(path)
        response.get_data()  # exports stream: read them whole, then end their context
        response.close()
        # The operator's lists must render; any other page may redirect, never fail.
        listed = path.removeprefix(f"{PREFIX}/admin/").strip("/") in OPERATOR_LISTS
        if response.status_code >= 500 or (listed and response.status_code != 200):
            problems.append(f"{path}: {response.status_code}")
    assert not problems, problems


def test_the_consoles_tables_live_in_the_hosts_schema(
    host: Flask, host_models: ModuleType, signed_in_operator: Any
):
    from werkzeug.test import Client

    from console.extensions import db
    from console.sessions.models import SessionRecord

    user_table = host_models.User.__table__.name
    inspector = sa.inspect(db.engine)
    keys = [
        (key["referred_table"], key["constrained_columns"], key["options"].get("ondelete"))
        for key in inspector.get_foreign_keys("user_session")
    ]
    assert keys == [(user_table, ["user_id"], "CASCADE")]
    assert "audit_event" in inspector.get_table_names()

    member = _account("member@example.com", MEMBER_PASSWORD, permissions=["users:read"])
    member_id, role_id = member.id, member.roles[0].id
    # Kept by the triggers create_all() made on the host's user-role table.
    assert db.session.get(host_models.Role, role_id).member_count == 1
    other = Client(OwnContext(host))
    assert sign_in(other, member.email, MEMBER_PASSWORD).status_code == 302
    records = db.session.scalars(
        sa.select(SessionRecord).where(SessionRecord.user_id == member_id)
    ).all()
    assert [record.user for record in records] == [member]

    data = {"action": "delete", "rowid": [str(member_id)], "mode": "hard", "typed": member.email}
    assert signed_in_operator.post(f"{USERS}action/", data=data).status_code == 200
    deleted = signed_in_operator.post(f"{USERS}action/", data={**data, "confirm": "yes"})
    assert deleted.status_code == 302, deleted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(host_models.User, member_id) is None
    # The database's keys took the member's sessions and memberships along.
    left = db.session.scalar(sa.select(sa.func.count()).where(SessionRecord.user_id == member_id))
    assert left == 0
    assert db.session.get(host_models.Role, role_id).member_count == 0
    assert other.get("/reports", headers={"Accept": "application/json"}).status_code == 401


def _declare(db: SQLAlchemy, *, mixins: bool) -> dict[str, type]:
    """User, Role and WebAuthn models on `db` (fsqla v3), with or without the console's mixins;
    Flask-Security's FsModels is left as it was found."""
    from flask_security.models import fsqla_v3 as fsqla

    from console.mixins import ConsoleRoleMixin, ConsoleUserMixin, ConsoleWebAuthnMixin

    names = ("db", "roles_users", "user_table_name", "role_table_name", "webauthn_table_name")
    saved = {name: getattr(fsqla.FsModels, name) for name in names}
    fsqla.FsModels.set_db_info(db)
    extra: tuple[tuple[type, ...], ...] = (
        (
            (ConsoleRoleMixin,),
            (ConsoleUserMixin,),
            (ConsoleWebAuthnMixin,),
        )
        if mixins
        else ((), (), ())
    )
    try:
        role = type("Role", (db.Model, *extra[0], fsqla.FsRoleMixin), {})
        user = type("User", (db.Model, *extra[1], fsqla.FsUserMixin), {})
        webauthn = type("WebAuthn", (db.Model, *extra[2], fsqla.FsWebAuthnMixin), {})
    finally:
        for name, value in saved.items():
            setattr(fsqla.FsModels, name, value)
    return {"user_model": user, "role_model": role, "webauthn_model": webauthn}


def test_models_without_the_consoles_mixins_are_refused(tmp_path: Path):
    db = SQLAlchemy()
    plain = _declare(db, mixins=False)
    host = Flask("host_with_plain_models")
    host.config.update(_config(f"sqlite:///{tmp_path / 'host.db'}"))
    with pytest.raises(ConfigError, match="ConsoleUserMixin"):
        SecurityConsole(host, db=db, **plain)


def test_a_host_table_named_like_one_of_the_consoles_is_refused(tmp_path: Path):
    db = SQLAlchemy()
    declared = _declare(db, mixins=True)
    sa.Table("audit_event", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    host = Flask("host_with_a_clashing_table")
    host.config.update(_config(f"sqlite:///{tmp_path / 'host.db'}"))
    with pytest.raises(ConfigError, match="'audit_event'"):
        SecurityConsole(host, db=db, **declared)


def test_models_of_another_db_object_are_refused(tmp_path: Path):
    host = Flask("host_with_mixed_objects")
    host.config.update(_config(f"sqlite:///{tmp_path / 'host.db'}"))
    with pytest.raises(ConfigError, match="not a model of the SQLAlchemy object"):
        SecurityConsole(host, db=fsqla_v4.db, **fsqla_v3.MODELS)


def test_only_the_hosts_own_text_columns_can_be_declared_as_user_fields(host: Flask):
    from console import HostUserField, declare_user_fields
    from console.core.user_fields import host_user_fields

    for wrong in (
        HostUserField("password", "Password"),
        HostUserField("fs_uniquifier", "Identifier"),
        HostUserField("failed_login_count", "Failures"),
        HostUserField("nickname", "Nickname"),
        HostUserField("first_name", "First name", max_length=500),
    ):
        with pytest.raises(ValueError):
            declare_user_fields(host, [wrong])
    declare_user_fields(host, [HostUserField("first_name", "First name")])
    declare_user_fields(host, [HostUserField("first_name", "First name")])  # harmless again
    with host.app_context():
        assert list(host_user_fields()) == ["first_name"]


def test_a_declared_user_field_is_edited_on_the_users_page(host: Flask, signed_in_operator: Any):
    from console import HostUserField, declare_user_fields

    declare_user_fields(host, [HostUserField("first_name", "Given name")])
    user = _account("ada@example.com", MEMBER_PASSWORD, first_name="Ada")
    form = signed_in_operator.get(f"{USERS}{user.id}/edit/").get_data(as_text=True)
    assert "Given name" in form and 'value="Ada"' in form
    response = signed_in_operator.post(
        f"{USERS}{user.id}/edit/",
        data={
            "email": user.email,
            "first_name": "Augusta",
            "active": "y",
            "version": str(user.edit_version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with host.app_context():
        from console.core.models import models

        assert models().db.session.get(models().User, user.id).first_name == "Augusta"
    detail = signed_in_operator.get(f"{USERS}{user.id}/").get_data(as_text=True)
    assert "Given name" in detail and "Augusta" in detail
