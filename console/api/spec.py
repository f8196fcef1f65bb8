"""The OpenAPI side of the API: flask-smorest's Api, bound to the console's blueprints and
answering errors as problem details, and the schemas every resource shares."""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..core.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from . import limits

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; `code` is stable, `title` and `detail` are for people."""

    type = ma.fields.String(required=True, metadata={"description": "urn of the code"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"description": "Stable error code"})
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Invalid fields and what is wrong"})


class ConsoleApi(Api):
    """flask-smorest's Api without its app-wide error handler.

    The console is embedded in host applications, whose own errors are not ours to answer:
    the API's blueprints answer their errors themselves (console.api.handlers), and every
    error response the document describes is a problem+json document.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        return None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
                prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as problem details", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def make_api(app: Flask, title: str) -> ConsoleApi:
    """The API document of `app`; served by console.api.views, not by flask-smorest."""
    api = ConsoleApi(
        # A prefix of its own, so that a host's flask-smorest API (which reads API_TITLE,
        # OPENAPI_URL_PREFIX, ...) and the console's never share settings or routes.
        config_prefix="CONSOLE_OPENAPI",
        spec_kwargs={
            "title": title,
            "version": API_VERSION,
            "openapi_version": OPENAPI_VERSION,
            "info": {
                "description": (
                    "Every operator action of the console as JSON. Authenticate with a "
                    "personal access token (`Authorization: Bearer sct_...`) or the "
                    "browser session (writes then need the `X-CSRFToken` header). Errors "
                    "are RFC 9457 problem details with a stable `code`. Each token (or "
                    "signed-in user) has a budget of requests: every response says what is "
                    "left in the `RateLimit` field, and a spent budget is a 429 with "
                    "`Retry-After`."
                )
            },
            "extra_plugins": [limits.RateLimitDoc()],
        },
    )
    api.init_app(app)
    limits.document(api.spec, ProblemSchema, PROBLEM_MEDIA_TYPE)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A personal access token"},
    )
    api.spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME", "session"),
            "description": "The browser session; writes also need the X-CSRFToken header",
        },
    )
    api.spec.options["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
    return api
