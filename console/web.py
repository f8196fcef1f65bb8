"""The console's own blueprint: static files, the home page and the health check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text

from . import resource_dir
from .core import nav
from .core.permissions import login_redirect
from .extensions import db

if TYPE_CHECKING:
    from . import ConsoleState

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
    """For load balancers: 200 when the database answers (errors become a 503 page)."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the blueprint and the helpers every template uses."""
    app.register_blueprint(bp, url_prefix=state.url_prefix or None)

    @app.context_processor
    def _layout_helpers() -> dict[str, Any]:
        return {
            "console_nav": nav.visible,
            "console_site_name": app.config["CONSOLE_SITE_NAME"],
            "get_locale": get_locale,
        }
