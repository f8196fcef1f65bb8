"""The new-device sign-in notice: remember the devices each account signs in from, mail its
holder about a sign-in from one it has not used recently, and honour the notice's "this
wasn't me" link (end every session, send a password reset)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from ..core.models import models
from ..core.notify import notify
from ..core.signals import emit
from ..extensions import db
from ..sessions import flows as sessions
from ..sessions.labels import device_label
from ..settings import setting
from . import devices
from .flows import real
from .models import KnownDevice

log = logging.getLogger(__name__)

# Sign-ins that tell nothing new: the re-sign-in after a password change happens in the
# browser that changed it, and a sign-in by a registration, confirmation or reset link
# follows a mail the account holder just received (a reset has its own notice).
QUIET_VIA = frozenset({"change", "register", "confirm", "reset"})

TOKEN_SALT = "console-new-device-link"  # noqa: S105 - a salt naming the link's purpose

SUBJECT = _l("New sign-in to your account")


class LinkRefused(Exception):
    """A "this wasn't me" link that cannot be honoured; `code` is "invalid", "expired" or
    "used" (already followed, or replaced by a newer notice)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enabled() -> bool:
    return bool(setting("CONSOLE_NEW_DEVICE_NOTICE"))


# --- at sign-in ----------------------------------------------------------------------------


def signed_in(user: Any, authn_via: Any = None) -> bool:
    """A sign-in completed in this request: remember its device, and mail the account holder
    when neither the device nor the network was used within CONSOLE_NEW_DEVICE_WINDOW.

    Nothing is sent for the first sign-in the console records for an account (a new
    account, or any account the first time after this feature is deployed), for QUIET_VIA
    sign-ins, or when a notice went out within CONSOLE_NEW_DEVICE_NOTICE_INTERVAL. The
    writes and the mail ride along with the sign-in's own transaction. True when a notice
    was sent.
    """
    if not enabled():
        return False
    user = real(user)
    user_agent = request.user_agent.string or ""
    ip = request.remote_addr
    fingerprint, network = devices.fingerprint(user_agent), devices.network(ip)
    now = naive_utcnow()
    known = db.session.execute(
        select(KnownDevice.id, KnownDevice.last_seen_at).where(
            KnownDevice.user_id == user.id,
            KnownDevice.fingerprint == fingerprint,
            KnownDevice.network == network,
        )
    ).first()
    recent = known is not None and known.last_seen_at >= now - setting("CONSOLE_NEW_DEVICE_WINDOW")
    tell = (
        not recent
        and not set(authn_via or ()) & QUIET_VIA
        and _seen_before(user.id)
        and not _notified_since(user.id, now - setting("CONSOLE_NEW_DEVICE_NOTICE_INTERVAL"))
    )
    device_id = _remember(user.id, fingerprint, network, now)
    if not tell:
        return False
    db.session.execute(
        update(KnownDevice).where(KnownDevice.id == device_id).values(notified_at=now)
    )
    emit(
        "account.new_device.notified",
        actor=user,
        subject=user,
        device=fingerprint,
        network=network,
    )
    record = devices.locate(ip)
    notify(
        user,
        "account/new_device",
        SUBJECT,
        # Put in words when the mail is rendered, in its recipient's language.
        device=LazyString(device_label, user_agent),
        place=LazyString(devices.place_name, record) if record else None,
        ip=ip or "",
        when=now,
        link=url_for("account.not_me", token=make_token(user.id, device_id, now), _external=True),
        within=setting("CONSOLE_NEW_DEVICE_LINK_WITHIN"),
    )
    return True


def _seen_before(user_id: int) -> bool:
    stmt = select(KnownDevice.id).where(KnownDevice.user_id == user_id).limit(1)
    return db.session.scalar(stmt) is not None


def _notified_since(user_id: int, since: datetime) -> bool:
    stmt = (
        select(KnownDevice.id)
        .where(KnownDevice.user_id == user_id, KnownDevice.notified_at >= since)
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


def _remember(user_id: int, fingerprint: str, network: str, now: datetime) -> int:
    """Insert or refresh the device's row (two sign-ins at once cannot collide); its id."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(KnownDevice).values(
        user_id=user_id,
        fingerprint=fingerprint,
        network=network,
        first_seen_at=now,
        last_seen_at=now,
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "fingerprint", "network"],
            set_={"last_seen_at": stmt.excluded.last_seen_at},
        )
    )
    return db.session.scalar(
        select(KnownDevice.id).where(
            KnownDevice.user_id == user_id,
            KnownDevice.fingerprint == fingerprint,
            KnownDevice.network == network,
        )
    )


# --- the "this wasn't me" link -------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    config = current_app.config
    fallbacks = config.get("SECRET_KEY_FALLBACKS") or []
    # itsdangerous signs with the last key and accepts every one.
    return URLSafeTimedSerializer([*fallbacks, config["SECRET_KEY"]], salt=TOKEN_SALT)


def _stamp(moment: datetime | None) -> int | None:
    return int(moment.replace(tzinfo=UTC).timestamp()) if moment is not None else None


def make_token(user_id: int, device_id: int, notified_at: datetime) -> str:
    """The signed token of a notice's link: whose account, which device, which notice."""
    return _serializer().dumps([user_id, device_id, _stamp(notified_at)])


def check_link(token: str) -> tuple[Any, KnownDevice]:
    """The account and device a link is about; raises LinkRefused. Changes nothing."""
    within = setting("CONSOLE_NEW_DEVICE_LINK_WITHIN").total_seconds()
    try:
        data = _serializer().loads(token, max_age=within)
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except BadSignature:
        raise LinkRefused("invalid") from None
    if not (isinstance(data, list) and len(data) == 3 and all(isinstance(v, int) for v in data)):
        raise LinkRefused("invalid")
    user_id, device_id, stamp = data
    user = db.session.get(models().User, user_id)
    if user is None:
        raise LinkRefused("invalid")
    device = db.session.get(KnownDevice, device_id)
    if device is None or device.user_id != user.id or _stamp(device.notified_at) != stamp:
        raise LinkRefused("used")
    return user, device


def report(token: str) -> tuple[Any, bool]:
    """The account holder says the sign-in was not theirs: forget that device, end every
    session of the account (and its API refresh tokens), and mail a password reset.

    Returns (the account, whether a reset mail was sent); raises LinkRefused. The link
    works once: the device's row goes with it.
    """
    from flask_security.proxies import _security
    from flask_security.recoverable import send_reset_password_instructions

    user, device = check_link(token)
    gone = db.session.execute(
        delete(KnownDevice).where(
            KnownDevice.id == device.id, KnownDevice.notified_at == device.notified_at
        )
    )
    if not gone.rowcount:
        # Followed twice at once: the other request honoured it.
        db.session.rollback()
        raise LinkRefused("used")
    ended = sessions.end_all_sessions(user, actor=user, reason="revoked", commit=False)
    reset = bool(_security.recoverable and user.active)
    if reset:
        send_reset_password_instructions(user)
    emit(
        "account.new_device.reported",
        actor=user,
        subject=user,
        device=device.fingerprint,
        network=device.network,
        sessions_ended=ended,
        reset_sent=reset,
    )
    db.session.commit()
    return user, reset


# --- upkeep --------------------------------------------------------------------------------


def purge(limit: int = 500) -> int:
    """Delete up to `limit` devices unused for CONSOLE_NEW_DEVICE_WINDOW; each account keeps
    its most recent one, so that it is still known to have signed in before."""
    cutoff = naive_utcnow() - setting("CONSOLE_NEW_DEVICE_WINDOW")
    newer = aliased(KnownDevice)
    stmt = (
        select(KnownDevice.id)
        .where(
            KnownDevice.last_seen_at < cutoff,
            exists().where(
                newer.user_id == KnownDevice.user_id,
                newer.last_seen_at > KnownDevice.last_seen_at,
            ),
        )
        .limit(limit)
    )
    ids = list(db.session.scalars(stmt))
    if ids:
        db.session.execute(delete(KnownDevice).where(KnownDevice.id.in_(ids)))
    db.session.commit()
    return len(ids)


def purge_everything() -> int:
    """Purge every stale device, a batch per transaction (the workers' schedule)."""
    total = 0
    while count := purge():
        total += count
    return total
