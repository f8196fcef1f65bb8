"""The console's own blueprint: static files, home, health check, language and theme."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text

from . import resource_dir
from .core import i18n, nav
from .core.errors import DATABASE_DOWN
from .core.guards import login_redirect
from .core.redirects import next_url
from .extensions import db
from .settings import setting

if TYPE_CHECKING:
    from . import ConsoleState

log = logging.getLogger(__name__)

bp = Blueprint(
    "console",
    __name__,
    static_folder=str(resource_dir("static")),
    static_url_path="/static",
)


@bp.get("/")
def home() -> Any:
    """Operators land on their first console page; everyone else on their account."""
    if not current_user.is_authenticated:
        return login_redirect()
    for section in ("admin", "account"):
        items = [item for item in nav.visible(section) if item.endpoint != "console.home"]
        if items:
            return redirect(url_for(items[0].endpoint, **items[0].values))
    return render_template("console/home.html")


@bp.get("/healthz")
def healthz() -> Any:
    """For load balancers: 200 when the database answers, 503 (JSON) when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except DATABASE_DOWN as error:
        log.warning("health check: database unavailable: %s", getattr(error, "orig", error))
        db.session.rollback()
        response = jsonify({"status": "unavailable"})
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    else:
        db.session.rollback()
        response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/me")
def api_me() -> Any:
    """The signed-in account as JSON, for scripts and single-page front ends."""
    if not current_user.is_authenticated:
        return jsonify({"error": {"code": 401, "message": "Sign-in required."}}), 401
    return jsonify(
        {
            "email": current_user.email,
            "username": current_user.username,
            "name": current_user.name,
            "locale": current_user.locale,
            "roles": [role.name for role in current_user.roles],
            "permissions": sorted(
                {p for role in current_user.roles for p in role.get_permissions()}
            ),
        }
    )


@bp.post("/language")
def set_language() -> Any:
    """Remember the chosen language: on the account when signed in, else in the session."""
    chosen = request.form.get("language", "")
    if chosen in setting("CONSOLE_LANGUAGES"):
        i18n.remember_language(chosen)
    return redirect(next_url(url_for("console.home")))


THEME_COOKIE = "console_theme"
THEMES = ("light", "dark", "auto")


def theme_preference() -> str:
    """The visitor's colour theme: "light", "dark" or "auto" (follow the system)."""
    chosen = request.cookies.get(THEME_COOKIE, "")
    return chosen if chosen in THEMES else "auto"


@bp.post("/theme")
def set_theme() -> Any:
    """Remember the chosen colour theme in a cookie, so that it works without JavaScript."""
    response = redirect(next_url(url_for("console.home")))
    chosen = request.form.get("theme", "")
    if chosen in THEMES:
        interface = current_app.session_interface
        response.set_cookie(
            THEME_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            path=interface.get_cookie_path(current_app),
            secure=interface.get_cookie_secure(current_app),
            httponly=True,
            samesite=interface.get_cookie_samesite(current_app) or "Lax",
        )
    return response


@lru_cache(maxsize=1)
def _favicon_svg() -> bytes:
    return (resource_dir("static") / "console" / "favicon.svg").read_bytes()


@bp.get("/favicon.svg")
@bp.get("/favicon.ico")
def favicon() -> Any:
    """The console's icon, served from memory: browsers often drop an icon request half
    way, and a response holding no open file has nothing to leak when they do."""
    response = Response(_favicon_svg(), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the blueprint and the helpers every template uses."""
    app.register_blueprint(bp, url_prefix=state.url_prefix or None)

    @app.context_processor
    def _layout_helpers() -> dict[str, Any]:
        return {
            "console_nav": nav.visible,
            "console_nav_groups": nav.grouped,
            "console_theme": theme_preference,
            "console_site_name": setting("CONSOLE_SITE_NAME", app.config),
            "get_locale": get_locale,
            "console_languages": i18n.language_choices,
        }
