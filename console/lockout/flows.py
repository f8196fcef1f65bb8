"""Lockout flows: count a failure, reset on success, unlock by an operator."""

from __future__ import annotations

import logging
from typing import Any

from ..core.signals import emit
from ..extensions import db
from . import store

log = logging.getLogger(__name__)


def failed(user: Any, auth_type: str) -> store.Failure:
    """Record one failed credential check of `user`; emits "user.locked" when a lock starts."""
    result = store.record_failure(user.id)
    log.info(
        "credential check failed user_id=%s type=%s count=%s",
        user.id,
        auth_type,
        result.failed_login_count,
    )
    if result.locked_until is not None:
        log.warning("account locked user_id=%s until=%s", user.id, result.locked_until)
        emit(
            "user.locked",
            actor=None,
            subject=user,
            locked_until=result.locked_until.isoformat(),
            lockout_count=result.lockout_count,
            failed_login_count=result.failed_login_count,
        )
    return result


def succeeded(user: Any) -> None:
    """A successful sign-in forgets earlier failures (committed by the sign-in view)."""
    store.clear(user.id)


def unlock(user: Any, actor: Any) -> bool:
    """An operator ends the lock and forgets the failures; False when nothing was locked."""
    was_locked = store.locked_until(user.id)
    changed = store.clear(user.id)
    if changed:
        emit(
            "admin.user.unlocked",
            actor=actor,
            subject=user,
            changes={"locked_until": [was_locked.isoformat() if was_locked else None, None]},
        )
    db.session.commit()
    return changed
