"""The API's blueprints and what they answer when anything goes wrong: problem details."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from ..core.errors import is_database_down, render_error
from ..extensions import db
from . import problems

log = logging.getLogger(__name__)


def handle(error: Exception) -> Response:
    """Every exception raised by an API view or before it, as problem details."""
    if isinstance(error, CSRFError):
        # 400, as for every other form of the console.
        return problems.respond(400, "csrf_failed", error.description)
    if isinstance(error, HTTPException):
        return problems.for_http(error)
    known = problems.for_exception(error)
    if known is not None:
        return known
    db.session.rollback()
    if is_database_down(error):
        log.warning("database unavailable: %s", getattr(error, "orig", error))
        return render_error(503, retry_after="5")
    if isinstance(error, DataError):
        return render_error(400)
    log.exception("unhandled error in the API")
    return render_error(500)


def escape_markup(response: Response) -> Response:
    """Write <, > and & inside JSON strings as \\u escapes: the same JSON, which no
    browser sniffing the body can take for HTML holding a user's name or notes. A streamed
    answer (a download) escapes its chunks itself: reading it here would hold it whole."""
    if response.is_json and not response.direct_passthrough and not response.is_streamed:
        body = response.get_data(as_text=True)
        escaped = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        if escaped != body:
            response.set_data(escaped)
    return response


def blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A resource's blueprint, answering its errors itself (a host's handlers never see
    them, and the console's HTML error pages never answer an API client)."""
    blp = Blueprint(name, import_name, description=description)
    blp.register_error_handler(Exception, handle)
    blp.after_request(escape_markup)
    return blp


def documents_problems(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the problem responses an operation gives besides `default` (the shared
    components of console.api.spec, each a problem+json document)."""

    def decorator(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorator
