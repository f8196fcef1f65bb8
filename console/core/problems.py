"""RFC 9457 problem details: the error body of every response under an API path.

A feature that serves JSON under its own path (the operator API) registers that path with
`register_path`; every error the console renders there (a refusal, a 404, a CSRF or
cross-site refusal, a database outage, a rate limit) is then `application/problem+json`
with a stable `code`, and its JSON bodies are left to the feature's own schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, has_request_context, json, request

MEDIA_TYPE = "application/problem+json"
# A problem's `type` is this URN followed by its code: stable, and resolvable by nobody.
TYPE_PREFIX = "urn:security-console:problem:"

# The code of a problem that only has an HTTP status.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


# app.extensions key: API path -> the function rendering that path's errors in a format of
# its own (SCIM answers with its Error schema, RFC 7644 §3.12).
RENDERERS = "console.problem_renderers"
Renderer = Callable[[int, str, Any, dict[str, str]], Response]


def register_path(app: Flask, path: str, render: Renderer | None = None) -> None:
    """Render errors under `path` (a URL path prefix) as problem details, or with `render`
    (status, code, detail, headers) when the path's protocol has an error format of its own."""
    paths = app.extensions["console"].api_paths
    if path not in paths:
        paths.append(path.rstrip("/"))
    if render is not None:
        app.extensions.setdefault(RENDERERS, {})[path.rstrip("/")] = render


def _renderer() -> Renderer | None:
    """The error format of the registered path this request is under, if it has its own."""
    renderers = current_app.extensions.get(RENDERERS) or {}
    if not renderers or not has_request_context():
        return None
    path = request.path
    for prefix, render in renderers.items():
        if path == prefix or path.startswith(prefix + "/"):
            return render
    return None


def is_api_request() -> bool:
    """True when this request's path lies under a registered API path."""
    if not has_request_context():
        return False
    state = current_app.extensions.get("console")
    if state is None:
        return False
    path = request.path
    return any(path == p or path.startswith(p + "/") for p in state.api_paths)


def problem(
    status: int,
    code: str | None = None,
    *,
    title: Any,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response: `code` is stable for clients, `title` and `detail` are text."""
    code = code or STATUS_CODES.get(status, "error")
    render = _renderer()
    if render is not None:
        return render(status, code, detail if detail is not None else title, headers or {})
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": str(title),
        "status": status,
        "code": code,
    }
    if detail is not None:
        body["detail"] = str(detail)
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
