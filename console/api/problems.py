"""The API's errors: each coded refusal of a flow, and each HTTP error, as RFC 9457 problem
details with a stable `code` (the same words as the HTML form's message in `detail`)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ..core import problems
from ..core.errors import MESSAGES as HTTP_MESSAGES
from ..core.policy import PolicyError
from ..identity.flows import IdentityError
from ..mfa.flows import MfaError
from ..roles.flows import RoleError
from ..users.flows import UserFlowError
from .tokens import TokenError

TITLES = {
    401: _l("Sign-in required"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    409: _l("Conflict"),
    412: _l("Changed by someone else"),
    422: _l("Not accepted"),
    428: _l("Version required"),
}

# Flow error code -> (HTTP status, API code). Codes not listed keep their own name.
POLICY = {
    "permission": (403, "permission_denied"),
    "outranked": (403, "outranked"),
    "self": (403, "not_on_self"),
    "reauth": (403, "reauthentication_required"),
    "grant_unheld": (403, "grant_unheld"),
    "permission_unheld": (403, "permission_unheld"),
    "change_unheld": (403, "change_unheld"),
    "last_admin": (409, "last_admin"),
    "last_admin_role": (409, "last_admin_role"),
}
USERS = {
    "stale": (412, "stale"),
    "email_taken": (409, "email_taken"),
    "username_taken": (409, "username_taken"),
    "invite_accepted": (409, "invite_accepted"),
    "inactive_invite": (409, "inactive_invite"),
}
# Role refusals not listed are input the flow cannot use (422).
ROLES = {
    "stale": (412, "stale"),
    "name_taken": (409, "name_taken"),
    "in_use": (409, "in_use"),
    "already_member": (409, "already_member"),
    "not_member": (409, "not_member"),
}


class ApiProblem(Exception):
    """Raised by an API view for a refusal of its own (a missing If-Match, an unknown id)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors
        super().__init__(str(detail or code))


def _title(status: int) -> Any:
    return TITLES.get(status) or HTTP_MESSAGES.get(status, HTTP_MESSAGES[500])[0]


def respond(status: int, code: str, detail: Any = None, **extra: Any) -> Response:
    """A problem response with the console's title for `status`."""
    return problems.problem(status, code, title=_title(status), detail=detail, **extra)


def for_exception(error: Exception) -> Response | None:
    """The problem response for a flow's coded refusal, or None for anything else."""
    if isinstance(error, ApiProblem):
        extra = {"errors": error.errors} if error.errors else {}
        return respond(error.status, error.code, error.detail, headers=error.headers, **extra)
    if isinstance(error, PolicyError):
        status, code = POLICY.get(error.code, (403, error.code))
        return respond(status, code, str(error))
    if isinstance(error, UserFlowError):
        status, code = USERS.get(error.code, (409, error.code))
        return respond(status, code, str(error))
    if isinstance(error, RoleError):
        status, code = ROLES.get(error.code, (422, error.code))
        return respond(status, code, str(error))
    if isinstance(error, TokenError):
        return respond(422, error.code, str(error))
    if isinstance(error, IdentityError):
        # The operators' removal refuses only a reason it cannot use.
        return respond(422, error.code, str(error))
    if isinstance(error, MfaError):
        return respond(422 if error.code.startswith("reason") else 409, error.code, str(error))
    return None


def for_http(error: HTTPException) -> Response:
    """An HTTP error (webargs' 422 carries the invalid fields as `errors`)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    extra: dict[str, Any] = {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        extra["errors"] = messages
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "www-authenticate")}
    headers.update(data.get("headers") or {})
    detail = data.get("message") or HTTP_MESSAGES.get(status, (None, None))[1]
    if status == 422 and messages:
        detail = _l("Some fields are missing or not valid: see errors.")
    return respond(
        status, problems.STATUS_CODES.get(status, "error"), detail, headers=headers, **extra
    )
