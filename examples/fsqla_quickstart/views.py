"""The application's pages, guarded by Flask-Security's decorators (unchanged by adoption)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string
from flask_security import auth_required, current_user, permissions_required, roles_required


def register(app: Flask) -> None:
    """Add the application's routes to `app`."""

    @app.route("/")
    @auth_required()
    def home() -> Any:
        return render_template_string("Hello {{ current_user.email }}")

    @app.route("/me")
    @auth_required()
    def me() -> Any:
        return jsonify(current_user.get_security_payload())

    @app.route("/admin-area")
    @auth_required()
    @roles_required("admin")
    def admin_area() -> Any:
        return render_template_string("Admin area, {{ current_user.first_name }}")

    @app.route("/user-area")
    @auth_required()
    @permissions_required("user-read")
    def user_area() -> Any:
        return render_template_string("Reading as {{ current_user.first_name }}")

    @app.route("/settings")
    @auth_required()
    @permissions_required("admin-write")
    def settings() -> Any:
        return render_template_string("Settings editor for {{ current_user.email }}")
