"""The end of a request's database session: a connection that dies there gets the 503 page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from flask import Flask

from .errors import is_database_down

log = logging.getLogger(__name__)

# Set by the WSGI wrapper around each request; the teardown puts a failure there.
_failures: ContextVar[list[BaseException] | None] = ContextVar(
    "console_teardown_failures", default=None
)


def _end_session(exc: BaseException | None) -> None:
    """Close the session as Flask-SQLAlchemy would, but survive a dead connection.

    Closing rolls back the request's open transaction; on a connection the server has ended
    (a restart, pg_terminate_backend) that rollback fails after the response was made, outside
    every error handler, and the WSGI server would answer with its own bare 500.
    """
    from ..extensions import db

    try:
        db.session.remove()
    except Exception as error:
        failures = _failures.get()
        if failures is None or not is_database_down(error):
            raise
        log.warning("database connection lost at the end of a request: %s", error)
        # Drop the session without another round trip, so the next request on this thread
        # cannot inherit its failed transaction; the pool replaces the dead connection.
        db.session().invalidate()
        db.session.remove()
        failures.append(error)


def init_app(app: Flask) -> None:
    """End the session before Flask-SQLAlchemy's teardown; answer 503 when that fails."""
    # Teardown functions run last-registered first: this one runs before Flask-SQLAlchemy's,
    # which then finds nothing left to close.
    app.teardown_appcontext(_end_session)
    wsgi_app = app.wsgi_app

    def guarded(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        failures: list[BaseException] = []
        pending: list[tuple[str, list, Any]] = []
        started: list[Callable[[bytes], Any]] = []

        def begin() -> Callable[[bytes], Any]:
            if not started:
                started.append(start_response(*pending[0]))
            return started[0]

        def deferred(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], Any]:
            # The status line waits for the teardown: until then it may still become a 503.
            pending[:] = [(status, headers, exc_info)]
            return lambda data: begin()(data)

        token = _failures.set(failures)
        try:
            body = wsgi_app(environ, deferred)
        finally:
            _failures.reset(token)
        if not failures or started:
            if pending:
                begin()
            return body
        if hasattr(body, "close"):
            body.close()
        # The failed request's contexts are gone: the 503 is made in a new one, through the
        # same handler as a view's database failure, so it is the console's page (or JSON)
        # with every header a console response carries. (ProxyFix, when it wraps this, has
        # already rewritten `environ` in place.)
        with app.request_context(environ):
            response = app.finalize_request(
                app.handle_user_exception(failures[0]), from_error_handler=True
            )
            return response(environ, start_response)

    app.wsgi_app = guarded  # type: ignore[method-assign]
