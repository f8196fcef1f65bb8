"""SCIM's error responses (RFC 7644 §3.12): every refusal of a flow, of the protocol or of
HTTP under the SCIM path, as an Error message in application/scim+json."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, json
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from scim2_models import (
    ConflictException,
    Error,
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    SCIMException,
    UniquenessException,
)
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from ..api.problems import ApiProblem
from ..core.errors import MESSAGES as HTTP_MESSAGES
from ..core.errors import is_database_down
from ..core.policy import PolicyError
from ..extensions import db
from ..roles.flows import RoleError
from ..users.flows import UserFlowError

MEDIA_TYPE = "application/scim+json"
log = logging.getLogger(__name__)

# Flow refusal code -> the SCIM exception it is answered with (the flow's message is the
# detail). Refusals of who may act on whom are 403s; the last-administrator guard and
# taken names are conflicts.
_POLICY_CONFLICTS = frozenset({"last_admin", "last_admin_role"})
_USER = {
    "stale": PreconditionFailedException,
    "email_taken": UniquenessException,
    "username_taken": UniquenessException,
}
_ROLE = {
    "stale": PreconditionFailedException,
    "name_taken": UniquenessException,
    "in_use": ConflictException,
    "already_member": ConflictException,
    "not_member": ConflictException,
}

NOT_FOUND = _l("There is no such resource here.")


def render(status: int, scim_type: str | None, detail: Any, headers: dict[str, str]) -> Response:
    """An Error message with `status` (and `scim_type`, which RFC 7644 gives 400s only)."""
    error = Error(status=status, scim_type=scim_type or None, detail=str(detail or ""))
    body = error.model_dump()
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in headers.items():
        response.headers[name] = value
    return response


def render_problem(status: int, code: str, detail: Any, headers: dict[str, str]) -> Response:
    """The console's own errors under the SCIM path (404, 405, 429, 503...) as SCIM Errors:
    registered with core.problems, which every error page of an API path goes through."""
    if detail is None:
        detail = HTTP_MESSAGES.get(status, HTTP_MESSAGES[500])[1]
    return render(status, None, detail, headers)


def as_scim(error: Exception) -> SCIMException | None:
    """The SCIM exception a refusal of the console's flows stands for, or None."""
    if isinstance(error, SCIMException):
        return error
    if isinstance(error, PolicyError):
        if error.code in _POLICY_CONFLICTS:
            return ConflictException(detail=str(error))
        return ForbiddenException(detail=str(error))
    if isinstance(error, UserFlowError):
        return _USER.get(error.code, ConflictException)(detail=str(error))
    if isinstance(error, RoleError):
        return _ROLE.get(error.code, InvalidValueException)(detail=str(error))
    return None


def handle(error: Exception) -> Response:
    """Every exception raised by a SCIM view or before it, as an Error message."""
    if isinstance(error, ApiProblem):
        return render(error.status, None, error.detail or error.code, error.headers)
    if isinstance(error, CSRFError):
        return render(400, None, error.description, {})
    if isinstance(error, HTTPException):
        kept = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "www-authenticate")}
        code = error.code or 500
        return render(code, None, HTTP_MESSAGES.get(code, HTTP_MESSAGES[500])[1], kept)
    if isinstance(error, ValidationError):
        first = Error.from_validation_errors(error)[0]
        return render(first.status or 400, first.scim_type, first.detail, {})
    known = as_scim(error)
    if known is not None:
        return render(known.status, known.scim_type or None, known.detail, {})
    db.session.rollback()
    if is_database_down(error):
        log.warning("database unavailable: %s", getattr(error, "orig", error))
        return render(503, None, HTTP_MESSAGES[503][1], {"Retry-After": "5"})
    if isinstance(error, DataError):
        return render(400, "invalidValue", HTTP_MESSAGES[400][1], {})
    log.exception("unhandled error in SCIM")
    return render(500, None, HTTP_MESSAGES[500][1], {})


def not_found() -> NotFoundException:
    """The answer for an unknown id, or an account the provider deleted."""
    return NotFoundException(detail=str(NOT_FOUND))
