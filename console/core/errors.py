"""Friendly error pages for browsers and JSON for API clients; never a traceback."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from . import problems
from .paths import under_prefix

log = logging.getLogger(__name__)

# The database is down, unreachable, restarting or out of pooled connections: a 503.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)


def is_database_down(error: BaseException) -> bool:
    """True for a failure of the database or of the connection to it, not of the query."""
    return isinstance(error, DATABASE_DOWN) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


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


def render_error(
    code: int,
    retry_after: str | None = None,
    message: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error response for `code`, as JSON or as a page inside the console layout.

    `message` replaces the code's generic text where the reason is worth telling. Under an
    API path it is a problem+json document (console.core.problems).
    """
    title, text = MESSAGES.get(code, MESSAGES[500])
    text = message if message is not None else text
    if problems.is_api_request():
        response = problems.problem(code, title=title, detail=text)
    elif wants_json():
        response = jsonify({"error": {"code": code, "title": str(title), "message": str(text)}})
    else:
        response = Response(
            render_template("console/error.html", code=code, title=title, message=text),
            mimetype="text/html",
        )
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and "\x00" not in value


def wrong_json_field(body: dict[str, Any]) -> str | None:
    """The first field of a JSON body a form cannot take, else None; booleans become text.

    Flask-WTF and Flask-Security turn a JSON body into form data as it stands, and form
    fields expect text there: a number, an object or null reaches validators such as
    Length() as is and fails inside them. Text, lists of text (multiple choices) and
    booleans (Flask-Security's "remember": true) are what HTML forms can send too; the
    booleans are rewritten in the request's cached body as the text a checkbox sends.
    """
    for name, value in body.items():
        if isinstance(value, bool):
            body[name] = "true" if value else "false"
        elif isinstance(value, list):
            if not all(_is_text(item) for item in value):
                return name
        elif not _is_text(value):
            return name
    return None


def _forget_user() -> None:
    """Render the error page as for a visitor, so the layout does not query the database."""
    g._login_user = current_app.login_manager.anonymous_user()


def _retry_after(error: HTTPException) -> str:
    """Seconds to wait, from werkzeug's TooManyRequests(retry_after=...); a minute if unknown."""
    value = getattr(error, "retry_after", None)
    if isinstance(value, datetime):
        seconds = (value - datetime.now(value.tzinfo or UTC)).total_seconds()
        return str(max(1, math.ceil(seconds)))
    if isinstance(value, int | float) and value > 0:
        return str(math.ceil(value))
    return "60"


def init_app(app: Flask, prefix: str) -> None:
    """Register the handlers; in extension mode they answer only for the console's paths.

    On the host's paths the host's own handlers (registered before the console) still apply.
    """
    host = dict(app.error_handler_spec.get(None, {}).get(None, {}))

    def mine() -> bool:
        return under_prefix(prefix)

    def database_down(error: Exception) -> Response:
        log.warning("database unavailable: %s", getattr(error, "orig", error))
        from .. import extensions

        try:
            extensions.db.session.rollback()
        except SQLAlchemyError:
            log.debug("rollback after a database failure failed too", exc_info=True)
        _forget_user()
        return render_error(ServiceUnavailable.code, retry_after="5")

    @app.before_request
    def _refuse_malformed_input() -> Response | None:
        if not mine():
            return None
        # PostgreSQL refuses NUL characters in text, so one in any field would fail deep in
        # a query; no legitimate input carries one.
        if any("\x00" in value for value in request.args.values()) or (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and any("\x00" in value for value in request.form.values())
        ):
            return render_error(400)
        if not request.is_json or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if problems.is_api_request():
            # The API reads JSON bodies through its own schemas, which take numbers, nulls
            # and lists of ids, and refuse what they do not describe.
            return None
        if not request.get_data(cache=True):
            return None
        # Every console and Flask-Security endpoint reads a JSON body as an object of
        # fields; anything else ("a string", [1, 2]) would fail deep inside a view.
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or any(
            isinstance(value, str) and "\x00" in value for value in body.values()
        ):
            return render_error(400)
        wrong = wrong_json_field(body)
        if wrong is not None:
            return render_error(
                400,
                message=_l(
                    "The field “%(field)s” must be text (or a list of texts, or true or false).",
                    field=wrong,
                ),
            )
        return None

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        if not mine():
            handler = host.get(HTTPException)
            return handler(error) if handler else error
        if error.code is None or error.code < 400:
            return error
        # An error outside the view (an after_request hook) reaches here wrapped in a 500.
        original = getattr(error, "original_exception", None)
        if original is not None and is_database_down(original):
            return database_down(original)
        if isinstance(original, DataError):
            return bad_data(original)
        retry = error.response.headers.get("Retry-After") if error.response is not None else None
        if error.code == 429 and retry is None:
            retry = _retry_after(error)
        # What the client needs to retry differently (the methods a 405 allows).
        kept = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "www-authenticate")}
        return render_error(error.code, retry_after=retry, headers=kept)

    def _database_error(error: Exception) -> Response:
        if not mine():
            handler = next((host[cls] for cls in type(error).__mro__ if cls in host), None)
            if handler is None:
                raise error
            return handler(error)
        return database_down(error)

    def bad_data(error: DataError) -> Response:
        # The database refused a value (a NUL character, a number out of range): the input
        # was bad, not the console.
        log.info("database refused a value: %s", getattr(error, "orig", error))
        from .. import extensions

        extensions.db.session.rollback()
        return render_error(400)

    @app.errorhandler(DataError)
    def _data_error(error: DataError) -> Response:
        if not mine():
            raise error
        return bad_data(error)

    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, _database_error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return _http_error(error)  # type: ignore[return-value]
        if is_database_down(error):
            return _database_error(error)
        if not mine():
            handler = host.get(Exception)
            if handler is None:
                raise error
            return handler(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
