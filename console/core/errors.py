"""Friendly error pages for browsers and JSON for API clients; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    401: (_l("Sign-in required"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than the console accepts.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The console cannot reach its database right now. Please try again shortly."),
    ),
}


def wants_json() -> bool:
    """True for API clients: a JSON body, or an Accept header preferring JSON to HTML."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, retry_after: str | None = None) -> Response:
    """The error response for `code`, as JSON or as a page inside the console layout."""
    title, text = MESSAGES.get(code, MESSAGES[500])
    if wants_json():
        response = jsonify({"error": {"code": code, "title": str(title), "message": str(text)}})
    else:
        response = Response(
            render_template("console/error.html", code=code, title=title, message=text),
            mimetype="text/html",
        )
    response.status_code = code
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def init_app(app: Flask, prefix: str) -> None:
    """Register the handlers; in extension mode they answer only for the console's paths."""

    def mine() -> bool:
        return not prefix or request.path.startswith(prefix)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        if not mine() or error.code is None or error.code < 400:
            return error
        retry = error.response.headers.get("Retry-After") if error.response is not None else None
        if error.code == 429 and retry is None:
            retry = "60"
        return render_error(error.code, retry_after=retry)

    @app.errorhandler(OperationalError)
    def _database_down(error: OperationalError) -> Response:
        if not mine():
            raise error
        log.warning("database unavailable: %s", error.orig)
        from .. import extensions

        extensions.db.session.rollback()
        return render_error(ServiceUnavailable.code, retry_after="5")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return _http_error(error)  # type: ignore[return-value]
        if not mine():
            raise error
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
