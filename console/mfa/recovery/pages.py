"""Flask-Security's recovery codes page in the console's terms: codes are shown once, when
made, and can be downloaded as a text file."""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask, redirect, request
from flask_security import url_for_security

from ...core.errors import render_error, wants_json


def recovery_codes_guard() -> Any:
    """Recovery codes are shown once, when made: Flask-Security would show them again on
    GET /mf-recovery-codes?show_codes and in its JSON answer to a GET."""
    if request.endpoint != "security.mf_recovery_codes" or request.method != "GET":
        return None
    if wants_json():
        return render_error(403)
    if "show_codes" in request.args:
        return redirect(url_for_security("mf_recovery_codes"))
    return None


def b64encode(text: str) -> str:
    """Base64 of `text` as UTF-8, for data: links (the recovery codes download)."""
    return base64.b64encode(str(text).encode()).decode("ascii")


def init_app(app: Flask) -> None:
    """Guard Flask-Security's page and give the codes' template its download filter."""
    app.before_request(recovery_codes_guard)
    app.add_template_filter(b64encode, "b64encode")
