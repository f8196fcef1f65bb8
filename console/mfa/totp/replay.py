"""Flask-Security's TOTP factory with replay protection stored in User.totp_last_counter."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_security import Totp
from passlib.exc import UsedTokenError
from passlib.totp import TotpMatch
from sqlalchemy import or_, select, update

from ...core.models import models
from ...extensions import db
from .qr import QrCode

# Six ASCII digits; other Unicode digits (Arabic-Indic, full-width ...) are refused
# before they reach passlib, whose isdigit() check would let them through.
_TOKEN = re.compile(r"[0-9]{6}", re.ASCII)
# Longer input is refused without looking at it further.
MAX_TOKEN_LENGTH = 32


def normalize_token(token: Any) -> str | None:
    """The code as six ASCII digits (spaces allowed between them), or None."""
    if isinstance(token, bool):
        return None
    if isinstance(token, int):
        token = f"{token:06d}"
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    cleaned = token.strip().replace(" ", "")
    return cleaned if _TOKEN.fullmatch(cleaned) else None


class ReplayProtectedTotp(Totp):
    """A code is accepted only for a time step later than the last one accepted.

    The last step is kept per user in the database, and advanced with a conditional
    UPDATE, so two workers checking the same code at the same moment cannot both
    accept it: the database lets exactly one UPDATE match.
    """

    def verify_totp(self, token: Any, totp_secret: str, user: Any, window: int = 0) -> bool:
        normalized = normalize_token(token)
        if normalized is None or not totp_secret:
            return False
        return super().verify_totp(normalized, totp_secret, user, window=window)

    def get_last_counter(self, user: Any) -> int | None:
        # Read from the database, not the identity map: another worker may have moved it.
        User = models().User
        return db.session.scalar(select(User.totp_last_counter).where(User.id == user.id))

    def set_last_counter(self, user: Any, tmatch: TotpMatch) -> None:
        User = models().User
        counter = int(tmatch.counter)
        result = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
            )
            .values(totp_last_counter=counter)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            # Another request accepted this (or a later) step first; Totp.verify_totp
            # turns a TokenError into "invalid code".
            raise UsedTokenError()
        if user in db.session:
            db.session.expire(user, ["totp_last_counter"])

    def generate_qrcode(self, username: str, totp: str) -> str:
        return QrCode(self.get_totp_uri(username, totp), _("Authenticator app QR code"))
