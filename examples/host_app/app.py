"""An example host: its own pages, guarded by Flask-Security, and the console under /console.

Run it with `make example`, or by hand:

    flask --app examples.host_app.app db upgrade heads     # the console's and the host's
    flask --app examples.host_app.app console demo         # demo accounts (prints a password)
    flask --app examples.host_app.app run --port 5001
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_migrate import Migrate
from flask_security import auth_required, current_user, permissions_required

from console import SecurityConsole, resource_dir
from console.config import from_environment
from console.extensions import db

HERE = Path(__file__).resolve().parent

# `flask db` runs the console's migration environment over two histories: the console's
# revisions and the host's own (examples/host_app/migrations, a branch labelled host_app).
host_migrate = Migrate()


@host_migrate.configure
def _both_histories(config: Any) -> Any:
    console_versions = resource_dir("migrations") / "versions"
    config.set_main_option("version_locations", f"{console_versions} {HERE / 'migrations'}")
    return config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The host application with the console embedded under /console."""
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    # The same environment variables as the standalone console (DATABASE_URL, SECRET_KEY,
    # REDIS_URL, MAIL_*, CONSOLE_PROXY_FIX...), with a database of the example's own.
    app.config.update(from_environment())
    if not os.environ.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path)}/host_app.db"
    # Back to the host's home page after signing out of the console.
    app.config["SECURITY_POST_LOGOUT_VIEW"] = "home"
    app.config.update(config or {})

    _register_pages(app)
    # The console brings the database (console.extensions.db, with console.models), the
    # migrations (`flask db ...`), Flask-Security and its sign-in pages, all under /console.
    SecurityConsole().init_app(app, url_prefix="/console")
    host_migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    return app


def _register_pages(app: Flask) -> None:
    @app.get("/")
    def home() -> Any:
        """Public: anyone may read it."""
        return render_template("host/home.html")

    @app.get("/reports")
    @auth_required()
    def reports() -> Any:
        """Any signed-in account: signing in happens on the console's page."""
        from sqlalchemy import select

        from .models import Report

        latest = db.session.scalars(select(Report).order_by(Report.id.desc()).limit(20))
        return render_template("host/reports.html", user=current_user, reports=list(latest))

    @app.get("/directory")
    @permissions_required("users:read")
    def directory() -> Any:
        """Only for roles holding the console's users:read permission."""
        from sqlalchemy import func, select

        from console.models import User

        total = db.session.scalar(select(func.count()).select_from(User).where(User.active))
        return render_template("host/directory.html", total=total)


app = create_app()
