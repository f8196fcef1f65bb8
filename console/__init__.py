"""Security Console: create_app() for a standalone console, SecurityConsole to embed one."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from . import config as config_module
from . import settings
from .core.admin import PermissionGatedView
from .core.permissions import HostPermission, declare_permissions
from .core.personal_data import register_personal_data
from .core.state import PACKAGE_DIR, ConsoleState, resource_dir
from .core.user_fields import HostUserField, declare_user_fields
from .settings import setting

# Hosts import these from the package itself.
__all__ = [
    "PACKAGE_DIR",
    "ConsoleState",
    "HostPermission",
    "HostUserField",
    "PermissionGatedView",
    "SecurityConsole",
    "create_app",
    "declare_permissions",
    "declare_user_fields",
    "register_personal_data",
    "resource_dir",
]


# Each feature package exposes init_app(app, state). Order matters only for navigation.
FEATURES = (
    "console.web",
    "console.mail",
    "console.jobs",
    "console.users",
    "console.imports",
    "console.roles",
    "console.lockout",
    "console.ratelimit",
    "console.account",
    "console.audit",
    "console.webhooks",
    "console.dashboard",
    "console.mfa",
    "console.sessions",
    # After sessions: its request check reads the session the registry has just accepted.
    "console.impersonation",
    "console.identity",
    "console.api",
    "console.privacy",
    "console.scim",
    "console.adoption",
)


class SecurityConsole:
    """The console as a Flask extension: SecurityConsole().init_app(app, url_prefix="/console").

    A host with its own Flask-SQLAlchemy object and Flask-Security models passes them (built
    on console.mixins): `SecurityConsole(app, db=db, user_model=User, role_model=Role,
    webauthn_model=WebAuthn)`; without them the console uses the models it ships.
    """

    def __init__(self, app: Flask | None = None, **kwargs: Any) -> None:
        # Kept for a later init_app(app): the usual two-step Flask extension pattern.
        self.options = kwargs
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        url_prefix: str | None = None,
        *,
        db: Any = None,
        user_model: type | None = None,
        role_model: type | None = None,
        webauthn_model: type | None = None,
        refresh_tracker_model: type | None = None,
    ) -> None:
        """Configure Flask-Security and the console's features on `app`."""
        from . import extensions
        from .core import (
            dates,
            errors,
            gates,
            headers,
            i18n,
            origin,
            policy,
            ratelimit,
            schema,
            teardown,
        )

        given = {
            "url_prefix": url_prefix,
            "db": db,
            "user_model": user_model,
            "role_model": role_model,
            "webauthn_model": webauthn_model,
            "refresh_tracker_model": refresh_tracker_model,
        }
        options = {**self.options, **{k: v for k, v in given.items() if v is not None}}
        url_prefix = options.pop("url_prefix", None)
        _refuse_own_security(app)
        models = _configured_models(app, **options)

        settings.init_app(app)
        prefix = url_prefix if url_prefix is not None else setting("CONSOLE_URL_PREFIX", app.config)
        prefix = (prefix or "").rstrip("/")
        app.config["CONSOLE_URL_PREFIX"] = prefix
        config_module.check_production(app.config)
        secret = app.config.get("SECRET_KEY") or config_module.DEV_SECRET
        # Flask ships SECRET_KEY = None, so setdefault would leave a host without a key.
        app.config["SECRET_KEY"] = secret
        defaults = config_module.security_defaults(secret, setting("CONSOLE_SITE_NAME", app.config))
        if not models.shipped:
            # A host's own models come with accounts made under Flask-Security's defaults.
            for key in config_module.KEPT_FOR_HOST_MODELS:
                defaults.pop(key)
        for key, value in defaults.items():
            app.config.setdefault(key, value)
        app.config.setdefault("SECURITY_URL_PREFIX", prefix or None)
        app.config.setdefault("SECURITY_STATIC_FOLDER_URL", f"{prefix}/fs-static")
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config))
        app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
        # Flask ships these keys with weak values, so setdefault would never apply.
        app.config["SESSION_COOKIE_HTTPONLY"] = True
        app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
        app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
        app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
        if setting("CONSOLE_ENV", app.config) == "production":
            app.config["SESSION_COOKIE_SECURE"] = True
            app.config["REMEMBER_COOKIE_SECURE"] = True
        _set_cookie_paths(app)
        _apply_proxy_fix(app)

        state = ConsoleState(url_prefix=prefix, models=models)
        app.extensions["console"] = state
        _add_template_folder(app)

        if "sqlalchemy" not in app.extensions:
            models.db.init_app(app)
        _enforce_sqlite_foreign_keys(app)
        if models.shipped:
            # The console's migrations make the shipped models' schema. A host's own models
            # come with its own Alembic history, which sees the console's tables through
            # its metadata (console.core.schema.attach).
            extensions.migrate.init_app(
                app, models.db, directory=str(resource_dir("migrations")), render_as_batch=True
            )
        extensions.csrf.init_app(app)
        # Before every feature's hooks, so a refused request reaches none of them.
        origin.init_app(app, prefix)
        if setting("CONSOLE_MAIL_OUTBOX", app.config):
            app.config.setdefault("MAIL_BACKEND", "console.mail.backend")
        app.config.setdefault("MAIL_DEFAULT_SENDER", app.config["SECURITY_EMAIL_SENDER"])
        extensions.mail.init_app(app)
        i18n.init_app(app)
        dates.init_app(app)
        from flask_security import Security

        from . import datastore as datastore_module

        # A Security object per app: it keeps per-app state, and tests build many apps.
        datastore = datastore_module.ConsoleUserDatastore(
            models.db, models.User, models.Role, models.WebAuthn, models.RefreshTracker
        )
        datastore_module.init_app(app)
        from .account.passwords import ConsolePasswordUtil
        from .account.signin import FORMS as SIGNIN_FORMS
        from .core.notify import ConsoleMailUtil
        from .identity.config import security_options as identity_options
        from .lockout.forms import SECURITY_FORMS
        from .mfa.recovery.codes import ConsoleRecoveryCodesUtil
        from .mfa.totp.replay import ReplayProtectedTotp

        state.security = Security(
            app,
            datastore,
            register_blueprint=True,
            totp_cls=ReplayProtectedTotp,
            mf_recovery_codes_util_cls=ConsoleRecoveryCodesUtil,
            mail_util_cls=ConsoleMailUtil,
            password_util_cls=ConsolePasswordUtil,
            # Flask-Security's OAuth support, on when identity providers are configured.
            **identity_options(app),
            **{**SECURITY_FORMS, **SIGNIN_FORMS},
        )
        headers.init_app(app, prefix)
        errors.init_app(app, prefix)
        policy.init_app(app)
        teardown.init_app(app)
        _init_admin(app, state)
        # Counts the endpoints features declare; before their hooks, so a flood reaches none.
        ratelimit.init_app(app)

        for name in FEATURES:
            module = importlib.import_module(name)
            try:
                module.init_app(app, state)
            except ValueError as error:
                _explain_name_clash(error)
                raise
            state.features.append(name)
        # After every feature is imported, so that all of the console's tables exist.
        schema.attach(
            models.User.__table__.metadata,
            models.User.__table__,
            models.roles_users,
            models.Role.__table__,
        )
        # After every feature's hooks: a revoked session is ended before a gate redirects it.
        gates.init_app(app)

        from .cli import console_cli

        app.cli.add_command(console_cli)


def _configured_models(
    app: Flask,
    db: Any = None,
    user_model: type | None = None,
    role_model: type | None = None,
    webauthn_model: type | None = None,
    refresh_tracker_model: type | None = None,
) -> Any:
    """The host's SQLAlchemy object and models when it passed them, else the shipped ones."""
    from . import extensions
    from .core.models import Models, check

    registered = app.extensions.get("sqlalchemy")
    if db is not None and registered is not None and registered is not db:
        raise config_module.ConfigError(
            "db= must be the SQLAlchemy object the application was initialised with."
        )
    db = db if db is not None else registered
    if user_model is None and role_model is None and webauthn_model is None:
        if db is not None and db is not extensions.db:
            raise config_module.ConfigError(
                "This application has its own SQLAlchemy object: pass it with its models, "
                "SecurityConsole(app, db=db, user_model=User, role_model=Role, "
                "webauthn_model=WebAuthn), built on console.mixins; or declare nothing of "
                "its own and use the console's shipped models on console.extensions.db."
            )
        from . import models as shipped

        return Models(
            extensions.db,
            shipped.User,
            shipped.Role,
            shipped.WebAuthn,
            shipped.FsRefreshTracker,
            shipped=True,
        )
    if user_model is None or role_model is None or webauthn_model is None:
        raise config_module.ConfigError(
            "Pass user_model=, role_model= and webauthn_model= together."
        )
    return check(
        db if db is not None else extensions.db,
        user_model,
        role_model,
        webauthn_model,
        refresh_tracker_model,
    )


def _refuse_own_security(app: Flask) -> None:
    """A Flask-Security the host set up itself cannot be set up again by the console."""
    if "security" in app.extensions:
        raise config_module.ConfigError(
            "This application already set up Flask-Security (Security(app, datastore)). The "
            "console sets it up itself, on your models, with the datastore and hooks it needs: "
            "remove your Security(app, ...) call and use the console's, "
            "app.extensions['security'] (its .datastore works on your models). Your "
            "SECURITY_* settings stay in app.config and the console uses them."
        )


def _explain_name_clash(error: ValueError) -> None:
    """Turn Flask's blueprint-name clash into what the host should change."""
    if "is already registered" in str(error):
        raise config_module.ConfigError(
            f"The console could not register one of its pages: {error} The application has "
            "a blueprint or Flask-Admin view of that name: give it another name (a "
            "Flask-Admin view takes endpoint=...)."
        ) from error


def _set_cookie_paths(app: Flask) -> None:
    """Every cookie the console sets lives where the session cookie lives.

    Extension mode shares the host's session (the host's routes read the same sign-in), so
    the path is the host's; a mounted console has APPLICATION_ROOT set to its prefix.
    """
    from flask_security.core import _default_config

    path = app.config.get("SESSION_COOKIE_PATH") or app.config.get("APPLICATION_ROOT") or "/"
    app.config.setdefault("REMEMBER_COOKIE_PATH", path)
    if path == "/":
        return
    for name in ("TWO_FACTOR_VALIDITY_COOKIE", "REFRESH_TOKEN_COOKIE"):
        key = f"SECURITY_{name}"
        cookie = dict(app.config.get(key) or _default_config[name])
        cookie.setdefault("path", path)
        app.config[key] = cookie


def _apply_proxy_fix(app: Flask) -> None:
    """Trust CONSOLE_PROXY_FIX proxies for client address, scheme, host, port and prefix."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = int(setting("CONSOLE_PROXY_FIX", app.config) or 0)
    if hops and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


def _enforce_sqlite_foreign_keys(app: Flask) -> None:
    """SQLite ignores ON DELETE CASCADE unless each connection turns foreign keys on.

    Also on a host's engine: deleting an account relies on its keys taking the console's
    rows (sessions, break-glass codes) along.
    """
    import sqlalchemy as sa

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_foreign_keys_on
    ):
        sa.event.listen(engine, "connect", _sqlite_foreign_keys_on)


def _sqlite_foreign_keys_on(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Pre-ping; a bounded pool on PostgreSQL and on a SQLite file; a statement timeout on
    PostgreSQL, and on SQLite how long a write waits for the one writer before it fails."""
    uri = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    options: dict[str, Any] = {"pool_pre_ping": True}
    if uri.startswith("sqlite"):
        # SQLite lets one transaction write at a time. Under many concurrent sign-ins the
        # line of writers can be longer than sqlite3's default 5 s, and a write that gives
        # up is a 503; waiting longer (still inside gunicorn's request timeout) serves it.
        options["connect_args"] = {
            "timeout": float(setting("CONSOLE_DB_SQLITE_BUSY_TIMEOUT", config))
        }
        if ":memory:" not in uri and uri.rstrip("/") != "sqlite:":
            # A database file is shared by the threads like a server's: the same bound pool
            # (an in-memory database is one connection, Flask-SQLAlchemy's StaticPool).
            options.update(
                pool_size=int(setting("CONSOLE_DB_POOL_SIZE", config)),
                max_overflow=int(setting("CONSOLE_DB_MAX_OVERFLOW", config)),
            )
    if uri.startswith("postgresql"):
        timeout_ms = int(setting("CONSOLE_DB_STATEMENT_TIMEOUT_MS", config))
        pool_timeout = setting("CONSOLE_DB_POOL_TIMEOUT", config)
        options.update(
            pool_size=int(setting("CONSOLE_DB_POOL_SIZE", config)),
            max_overflow=int(setting("CONSOLE_DB_MAX_OVERFLOW", config)),
            pool_timeout=pool_timeout,
            connect_args={
                "connect_timeout": max(1, int(pool_timeout)),
                "options": f"-c statement_timeout={timeout_ms}",
            },
        )
    return options


def _add_template_folder(app: Flask) -> None:
    """The console's templates come after the host's own, so a host can override any page."""
    ours = FileSystemLoader(str(resource_dir("templates")))
    loaders = [loader for loader in (app.jinja_loader,) if loader is not None]
    app.jinja_loader = ChoiceLoader([*loaders, ours])  # type: ignore[method-assign]


# The endpoint of the console's Flask-Admin (its index view and static files).
ADMIN_ENDPOINT = "console_admin"


def _init_admin(app: Flask, state: ConsoleState) -> None:
    from flask_admin import Admin
    from flask_admin.theme import Bootstrap4Theme

    from .core.admin import ConsoleIndexView
    from .core.paths import admin_path

    url = admin_path(app)
    for other in app.extensions.get("admin", []):
        if other.url == url:
            raise config_module.ConfigError(
                f"The application has a Flask-Admin of its own at {url}, where the console's "
                "operator pages go: mount the console under a prefix "
                "(init_app(app, url_prefix='/console')) or set CONSOLE_ADMIN_URL."
            )
    # An endpoint of its own, so that a host's Admin(app) (endpoint "admin") lives beside it.
    state.admin = Admin(
        app,
        name=setting("CONSOLE_SITE_NAME", app.config),
        url=url,
        endpoint=ADMIN_ENDPOINT,
        index_view=ConsoleIndexView(url=url, endpoint=ADMIN_ENDPOINT),
        theme=Bootstrap4Theme(base_template="admin/console_base.html"),
    )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """A standalone console configured from the environment, then from `config`."""
    app = Flask(
        "console",
        static_folder=None,
        template_folder=None,
        instance_path=str(Path.cwd() / "instance"),
    )
    config_module.configure(app)
    if config:
        app.config.update(config)
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    SecurityConsole().init_app(app)
    return app


def _ensure_sqlite_folder(uri: str) -> None:
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
