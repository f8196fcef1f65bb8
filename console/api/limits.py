"""The API's rate limit: a budget per token (or signed-in user, or client address before
either is known) of CONSOLE_RATELIMIT_API requests, counted in the limiter's store so every
worker and host shares it, announced on every response with the IETF RateLimit-Policy and
RateLimit fields (draft-ietf-httpapi-ratelimit-headers), refused with a 429 problem."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, g
from flask_babel import lazy_gettext as _l
from flask_smorest.utils import prepare_response
from limits import parse

from ..core import ratelimit
from ..settings import setting
from .problems import ApiProblem

# The name the RateLimit-Policy field gives the one policy, and RateLimit refers to.
POLICY = "api"
# The limiter's namespace for these counters (apart from sign-in and mail limits).
SCOPE = "api"


def check_rate(app: Flask) -> None:
    """Refuse to start with a CONSOLE_RATELIMIT_API the limiter cannot read."""
    value = setting("CONSOLE_RATELIMIT_API", app.config)
    try:
        parse(value)
    except ValueError as error:
        raise ValueError(f"CONSOLE_RATELIMIT_API={value!r} is not a rate: {error}") from None


def for_token(key: str) -> str:
    """The budget of the token with public handle `key`."""
    return f"token:{key}"


def for_user(user_id: Any) -> str:
    """The budget of a signed-in user's browser session (all their tabs share it)."""
    return f"user:{user_id}"


def for_address() -> str:
    """The budget of a client that has not (successfully) said who it is."""
    return ratelimit.client_address()


def spend(subject: str) -> None:
    """Count this request against `subject`'s budget; a spent budget is a 429 problem.
    Nothing is counted (and no field sent) while the limiter is off or its store is down."""
    budget = ratelimit.spend(setting("CONSOLE_RATELIMIT_API"), SCOPE, subject)
    if budget is None:
        return
    g.console_api_budget = budget
    if not budget.allowed:
        raise ApiProblem(
            429,
            "rate_limited",
            _l("This API client has used up its requests for now; wait as Retry-After says."),
            headers={"Retry-After": str(budget.reset)},
        )


def add_fields(response: Response) -> Response:
    """after_request: the policy and what is left of it, on every API response."""
    budget = g.get("console_api_budget")
    if budget is not None:
        response.headers["RateLimit-Policy"] = f'"{POLICY}";q={budget.quota};w={budget.window}'
        response.headers["RateLimit"] = f'"{POLICY}";r={budget.remaining};t={budget.reset}'
    return response


# --- the OpenAPI document ----------------------------------------------------------------

HEADERS = {
    "RateLimit-Policy": {
        "description": (
            'The quota policy: `"api";q=<requests>;w=<seconds>` '
            "(draft-ietf-httpapi-ratelimit-headers); sent while rate limits are on"
        ),
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": (
            'What is left of it: `"api";r=<remaining>;t=<seconds until a request is '
            "given back>`; sent while rate limits are on"
        ),
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before the next request is accepted",
        "schema": {"type": "integer", "minimum": 1},
    },
}
RATE_LIMITED = "RATE_LIMITED"


class RateLimitDoc(BasePlugin):
    """Documents the rate limit on every operation: its fields on each response the
    operation describes itself, and the 429 (a shared response, with Retry-After)."""

    def operation_helper(self, path: Any = None, operations: Any = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                # A shared response (named, not written out here) is left as it is.
                if isinstance(response, dict) and "$ref" not in response:
                    fields = response.setdefault("headers", {})
                    fields.setdefault("RateLimit-Policy", "RateLimit-Policy")
                    fields.setdefault("RateLimit", "RateLimit")
            responses.setdefault("429", RATE_LIMITED)


def document(spec: Any, problem_schema: Any, problem_media_type: str) -> None:
    """The shared headers and the 429 response the plugin refers to."""
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    response = {
        "description": "Too many requests: this token's (or user's) budget is spent",
        "headers": {name: name for name in HEADERS},
        "schema": problem_schema,
    }
    prepare_response(response, spec, problem_media_type)
    spec.components.response(RATE_LIMITED, response)
