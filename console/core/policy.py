"""Who may act on whom: the one rule every operator flow asserts before it changes an account.

An actor may act on an account only when every permission that account holds is one the
actor holds too. The flows call `require` first thing, so a form, an HTMX partial, a bulk
action, the CLI and any JSON client get the same answer; pages call `may` (or
`outranking_ids` for a whole list) to offer only the actions the flow would accept.
`actor=None` is the trusted local shell (the CLI), which may act on anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .models import models

MESSAGES = {
    "permission": _l("You do not have the permission %(permission)s needed for this."),
    "outranked": _l(
        "%(user)s holds permissions you do not hold (%(missing)s); only an operator who "
        "holds them may change this account."
    ),
    "self": _l("You cannot do this to your own account here; use your account pages."),
    "reauth": _l("Confirm it is you: sign in again, then repeat the action."),
}


class PolicyError(Exception):
    """An action the policy refuses; nothing was changed and the message says why."""

    messages: dict[str, Any] = MESSAGES

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(str(self.messages[code] % params))


def permissions_of(user: Any) -> set[str]:
    """Every permission `user` holds through their roles."""
    held: set[str] = set()
    for role in user.roles:
        held.update(role.get_permissions())
    return held


def missing_permissions(actor: Any, target: Any) -> list[str]:
    """The permissions `target` holds that `actor` does not, sorted (empty: may act)."""
    if actor is None or target is None or actor.id == target.id:
        return []
    return sorted(permissions_of(target) - permissions_of(actor))


def refusal(
    actor: Any, permission: str | None = None, *, target: Any = None, allow_self: bool = True
) -> PolicyError | None:
    """The reason the policy refuses `actor` this action on `target`, or None when it may."""
    if actor is None:
        return None
    is_self = target is not None and actor.id == target.id
    if is_self and not allow_self:
        return PolicyError("self")
    if permission is not None and not is_self and not actor.has_permission(permission):
        return PolicyError("permission", permission=permission)
    missing = missing_permissions(actor, target)
    if missing:
        return PolicyError("outranked", user=target.email, missing=", ".join(missing))
    return None


def require(
    actor: Any, permission: str | None = None, *, target: Any = None, allow_self: bool = True
) -> None:
    """Raise PolicyError unless `actor` may do what needs `permission` to `target`."""
    error = refusal(actor, permission, target=target, allow_self=allow_self)
    if error is not None:
        raise error


def may(
    actor: Any, permission: str | None = None, *, target: Any = None, allow_self: bool = True
) -> bool:
    """True when `require` would accept the same call (pages offer only these actions)."""
    return refusal(actor, permission, target=target, allow_self=allow_self) is None


def require_fresh(within: timedelta | None = None) -> None:
    """Raise PolicyError("reauth") when this request's sign-in is older than `within`.

    `within=None` is Flask-Security's own window; outside a request (the CLI) there is no
    session to be stale. Views map the refusal to the re-authentication detour.
    """
    from .freshness import is_fresh

    if not is_fresh(within):
        raise PolicyError("reauth")


def outranking_ids(actor: Any, user_ids: Iterable[int]) -> set[int]:
    """Of `user_ids`, those holding a permission `actor` lacks: one query for a whole page."""
    Role = models().Role
    roles_users = models().roles_users
    ids = sorted(set(user_ids))
    if actor is None or not ids:
        return set()
    held = permissions_of(actor)
    rows = db.session.execute(
        select(roles_users.c.user_id, Role)
        .join(Role, Role.id == roles_users.c.role_id)
        .where(roles_users.c.user_id.in_(ids))
    )
    return {
        user_id
        for user_id, role in rows
        if user_id != actor.id and not set(role.get_permissions()) <= held
    }


def answer(error: PolicyError) -> Any:
    """The response for a refusal no view handled: the re-authentication detour, or a 403
    page (or JSON) saying why. Nothing was written: flows refuse before they change data."""
    from .errors import render_error
    from .freshness import reauthenticate

    if error.code == "reauth":
        return reauthenticate()
    return render_error(403, message=str(error))


def init_app(app: Any) -> None:
    """A refusal that reaches Flask becomes `answer`'s response, never a 500."""
    app.register_error_handler(PolicyError, answer)
