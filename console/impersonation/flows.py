"""Impersonation: an operator signs in as another account for a few minutes, with a reason
and a fresh sign-in, audited under both names; starting, checking, stopping and refusing.

The browser gets a session of the account's own in the session registry (listed with the
account's sessions, ended like any of them), while the operator's session stays live and
out of the cookie; what is needed to come back to it is kept in the signed session cookie
under KEY. Every request checks the impersonation first (console.impersonation.guard): past
its time limit, or once its session is gone, the operator is given their own session back.
The impersonated session never counts as a recent sign-in, and core.gates refuses it the
account holder's security-sensitive pages.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, refresh
from flask_login import current_user

from ..core import actions, policy, signals
from ..core.forms import REASON_MAX_LENGTH
from ..core.freshness import operator_window
from ..core.models import models
from ..core.notify import Phrase, notify
from ..extensions import db
from ..mixins import ConsoleUserMixin
from ..sessions import flows as session_flows
from ..settings import setting

PERMISSION = "users:impersonate"
# The Flask session key of what brings the operator back.
KEY = "console_impersonation"
# The `g` key of the checked impersonation of this request (an Impersonation).
CURRENT = "console_impersonating"
# The sign-in keys of Flask-Login and Flask-Security that name who this browser is and
# when they proved it: set for the account, and restored for the operator.
SIGN_IN_KEYS = ("_user_id", "_fresh", "fs_paa", "fs_gexp")
# The registry session outlives the time limit by this much, so that the request hook, not
# the registry, ends a timed-out impersonation and can bring the operator back.
GRACE = timedelta(minutes=1)

MESSAGES = {
    **policy.MESSAGES,
    "nested": _l("You are already signed in as another user: stop that first."),
    "inactive": _l("%(user)s is deactivated: only an active account can be impersonated."),
    "no_session": _l("Impersonating another user needs a browser session of your own."),
    "reason_required": _l("Give a reason: the user will read it."),
    "reason_too_long": lazy_ngettext(
        "Keep the reason under %(num)d character.",
        "Keep the reason under %(num)d characters.",
        REASON_MAX_LENGTH,
    ),
    "refused": _l(
        "You are signed in as %(user)s: their password, email address, sign-in methods, "
        "recovery codes, API tokens and sessions are theirs alone. Stop impersonating to "
        "use your own."
    ),
}


class ImpersonationError(policy.PolicyError):
    """An impersonation the rules refuse; nothing was changed and the message says why."""

    messages = MESSAGES


@dataclass(frozen=True)
class Impersonation:
    """The impersonation this request runs under: who is signed in as whom, until when."""

    operator_id: int
    operator_email: str
    operator_name: str | None
    user_id: int
    user_email: str
    started_at: float
    ends_at: float

    @property
    def operator(self) -> str:
        """How the banner names the operator."""
        return self.operator_name or self.operator_email

    @property
    def minutes_left(self) -> int:
        """Whole minutes until the time limit, at least one while it runs."""
        return max(1, math.ceil((self.ends_at - time.time()) / 60))


def max_age() -> timedelta:
    """How long an impersonation lasts at most (CONSOLE_IMPERSONATION_MAX_AGE)."""
    return setting("CONSOLE_IMPERSONATION_MAX_AGE")


def current() -> Impersonation | None:
    """The impersonation of this request, once the request hook has checked it."""
    return g.get(CURRENT) if has_request_context() else None


def is_impersonating() -> bool:
    """True while this request is an operator's, signed in as another account."""
    return current() is not None


# ---------------------------------------------------------------- who may impersonate whom


def refusal(operator: Any, user: ConsoleUserMixin) -> policy.PolicyError | None:
    """Why `operator` may not impersonate `user`, or None when they may: never while already
    impersonating, never oneself, the permission, who may act on whom, an active account."""
    if operator is None:
        return ImpersonationError("no_session")
    if is_impersonating():
        return ImpersonationError("nested")
    error = policy.refusal(operator, PERMISSION, target=user, allow_self=False)
    if error is not None:
        return error
    if not user.active:
        return ImpersonationError("inactive", user=user.email)
    return None


def may_impersonate(operator: Any, user: ConsoleUserMixin) -> bool:
    """True when `start` would accept `operator` impersonating `user` (pages offer it then)."""
    return refusal(operator, user) is None


def clean_reason(reason: str | None) -> str:
    """The operator's reason, required and bounded; raises ImpersonationError."""
    text = " ".join((reason or "").split())
    if not text:
        raise ImpersonationError("reason_required")
    if len(text) > REASON_MAX_LENGTH:
        raise ImpersonationError("reason_too_long")
    return text


# ---------------------------------------------------------------- start and stop


def _user(user_id: int | None) -> Any:
    return db.session.get(models().User, user_id) if user_id is not None else None


def _sign_in_as(user: Any, keys: dict[str, Any] | None = None) -> None:
    """Make `user` this browser's signed-in account (None: nobody), with the sign-in `keys`
    kept from before (else as a sign-in that proved nothing recently)."""
    for key in SIGN_IN_KEYS:
        session.pop(key, None)
    if user is not None:
        if keys:
            session.update({k: v for k, v in keys.items() if k in SIGN_IN_KEYS})
        else:
            session["_user_id"] = user.get_id()
            session["_fresh"] = False
    elif current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"
    current_app.login_manager._update_request_context_with_user(user)  # type: ignore[attr-defined]
    # The rest of the request speaks the language, and tells the time, of who is signed in.
    refresh()


def start(operator: Any, user: ConsoleUserMixin, reason: str | None) -> Impersonation:
    """Sign this browser in as `user` for CONSOLE_IMPERSONATION_MAX_AGE, keeping `operator`'s
    own session to come back to; audited, and `user` is told by mail (unless
    CONSOLE_IMPERSONATION_NOTIFY is off). Raises PolicyError before changing anything."""
    error = refusal(operator, user)
    if error is not None:
        raise error
    policy.require_fresh(operator_window())
    text = clean_reason(reason)
    if session_flows.current() is None:
        raise ImpersonationError("no_session")
    limit = max_age()
    started = time.time()
    kept_keys = {key: session[key] for key in SIGN_IN_KEYS if key in session}
    kept_sid = session_flows.impersonate(user, limit + GRACE)
    record = session_flows.current()
    assert record is not None
    state = Impersonation(
        operator_id=operator.id,
        operator_email=operator.email,
        operator_name=operator.name or None,
        user_id=user.id,
        user_email=user.email,
        started_at=started,
        ends_at=started + limit.total_seconds(),
    )
    session[KEY] = {
        "operator": state.operator_id,
        "operator_email": state.operator_email,
        "operator_name": state.operator_name,
        "user": state.user_id,
        "user_email": state.user_email,
        "record": record.key,
        "kept": kept_sid,
        "sign_in": kept_keys,
        "started": state.started_at,
        "ends": state.ends_at,
    }
    _sign_in_as(user)
    signals.emit(
        "impersonation.started",
        actor=operator,
        subject=user,
        reason=text,
        session=record.short_id,
        max_minutes=int(limit.total_seconds() // 60),
    )
    db.session.commit()
    if setting("CONSOLE_IMPERSONATION_NOTIFY"):
        _tell(user, state, text)
    return state


def _tell(user: ConsoleUserMixin, state: Impersonation, reason: str) -> None:
    def moment(timestamp: float) -> datetime:
        # Mail templates take naive UTC times, as stored.
        return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)

    declared = actions.get("impersonation.started")
    notify(
        user,
        "impersonation/started",
        declared.notice_subject,
        message=Phrase(declared.notice, operator=state.operator),
        reason=reason,
        when=moment(state.started_at),
        until=moment(state.ends_at),
    )


def _end(data: dict[str, Any], reason: str) -> Any:
    """Record the end of the impersonation `data` describes; returns its operator."""
    operator = _user(data.get("operator"))
    started = float(data.get("started") or time.time())
    signals.emit(
        "impersonation.ended",
        actor=operator,
        subject=_user(data.get("user")),
        reason=reason,
        seconds=max(0, round(time.time() - started)),
    )
    return operator


def stop(reason: str = "stopped") -> Any:
    """End this browser's impersonation and give the operator their own session back;
    returns the operator, or None when their session has ended meanwhile (the browser is
    then signed out). `reason` is "stopped", "time_limit" or "not_allowed"."""
    data = session.pop(KEY, None)
    if data is None:
        return None
    operator = _end(data, reason)
    ended = "absolute" if reason == "time_limit" else "signed_out"
    back = session_flows.resume(data.get("kept"), ended, actor=operator)
    _sign_in_as(back, data.get("sign_in") if back is not None else None)
    g.pop(CURRENT, None)
    db.session.commit()
    return back


def check() -> Impersonation | None:
    """Before each request: the impersonation this browser runs under, checked against its
    session (the kept state alone proves nothing) and against the rules again (the operator
    may have lost the permission, the account gained one). Raises Over past the time limit
    or once the rules refuse it, and SessionLost when its session has ended; the request's
    events carry the operator."""
    data = session.get(KEY)
    if data is None:
        return None
    record = session_flows.current()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if (
        user is None
        or record is None
        or record.key != data.get("record")
        or user.id != data.get("user")
    ):
        raise SessionLost(data)
    state = Impersonation(
        operator_id=data["operator"],
        operator_email=data["operator_email"],
        operator_name=data.get("operator_name"),
        user_id=data["user"],
        user_email=data["user_email"],
        started_at=float(data["started"]),
        ends_at=float(data["ends"]),
    )
    # Whatever this request records (its end included), the operator is named.
    signals.add_context(impersonator=state.operator_email, impersonator_id=state.operator_id)
    if time.time() >= state.ends_at:
        raise Over(state, "time_limit")
    operator = _user(state.operator_id)
    if operator is None or not operator.active:
        raise Over(state, "not_allowed")
    error = policy.refusal(operator, PERMISSION, target=user, allow_self=False)
    if error is not None:
        raise Over(state, "not_allowed", error)
    setattr(g, CURRENT, state)
    return state


class Over(Exception):
    """The impersonation must end: it reached CONSOLE_IMPERSONATION_MAX_AGE ("time_limit"),
    or the rules no longer allow it ("not_allowed", with the refusal when there is one)."""

    def __init__(
        self, state: Impersonation, reason: str, refusal: policy.PolicyError | None = None
    ) -> None:
        super().__init__(f"impersonation over: {reason}")
        self.state = state
        self.reason = reason
        self.refusal = refusal


class SessionLost(Exception):
    """The impersonation's session is no longer this browser's (ended, revoked, expired)."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__("impersonation session lost")
        self.data = data


def recover(data: dict[str, Any]) -> Any:
    """The impersonation's session ended without a stop (ended by someone, expired): give a
    browser left signed in as nobody the operator's session back (returned), else end the
    kept one; either way the impersonation is over."""
    session.pop(KEY, None)
    if current_user.is_authenticated:
        # Someone signed in since: the operator's kept session is nobody's any more.
        operator = _end(data, "session_ended")
        session_flows.end_kept(data.get("kept"), "replaced", actor=operator)
        db.session.commit()
        return None
    operator = _end(data, "session_ended")
    back = session_flows.resume(data.get("kept"), "signed_out", actor=operator)
    if back is not None:
        _sign_in_as(back, data.get("sign_in"))
    db.session.commit()
    return back


def signed_out() -> None:
    """The browser signed out while impersonating: the operator's kept session ends too."""
    data = session.pop(KEY, None)
    if data is None:
        return
    g.pop(CURRENT, None)
    operator = _end(data, "signed_out")
    session_flows.end_kept(data.get("kept"), "signed_out", actor=operator)
    db.session.commit()


def record_refusal() -> None:
    """A sensitive page was asked for while impersonating: recorded, not committed."""
    state = current()
    if state is None:
        return
    signals.emit(
        "impersonation.refused",
        actor=_user(state.operator_id),
        subject=_user(state.user_id),
        endpoint=request.endpoint or "",
        method=request.method,
    )


def refusal_message() -> str:
    """What a refused sensitive page says while impersonating."""
    state = current()
    return str(MESSAGES["refused"] % {"user": state.user_email if state else ""})
