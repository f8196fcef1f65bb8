"""Recovery codes: generated and encrypted by Flask-Security, each spendable exactly once."""

from __future__ import annotations

import re
from typing import Any

from blinker import Namespace
from flask import current_app
from flask_security import MfRecoveryCodesUtil
from sqlalchemy import Integer, UnicodeText, column, select, table, update

from ...core.models import models
from ...extensions import db

_signals = Namespace()

# sender: the Flask app; user: the User; count: how many codes were made.
codes_generated = _signals.signal("recovery-codes-generated")
# sender: the Flask app; user: the User; remaining: codes left after this one.
code_used = _signals.signal("recovery-code-used")

# Flask-Security's codes are three groups of four hex digits ("1a2b-3c4d-5e6f").
_CODE = re.compile(r"([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})", re.ASCII)
MAX_CODE_LENGTH = 64


# The stored column as plain text (Flask-Security's AsaList joins with commas): its
# list type cannot take part in SQLAlchemy's statement cache, and the conditional
# UPDATE compares the raw text anyway.
def _users() -> Any:
    """The configured user table, seen as these two plain columns."""
    return table(
        models().User.__table__.name,
        column("id", Integer),
        column("mf_recovery_codes", UnicodeText),
    )


def normalize_code(code: Any) -> str | None:
    """The code as typed, made canonical (case, spaces, dashes), or None if it cannot be one."""
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        return None
    cleaned = code.strip().lower().replace(" ", "")
    match = _CODE.fullmatch(cleaned)
    return "-".join(match.groups()) if match else None


class ConsoleRecoveryCodesUtil(MfRecoveryCodesUtil):
    """Checking a code also spends it, in one conditional UPDATE.

    Flask-Security checks a code in the form and deletes it later in the view, so two
    requests presenting the same code at once could both pass. Here the check replaces
    the stored list only if it is still the list that was read: one request wins.
    """

    def create_recovery_codes(self, user: Any) -> list[str]:
        codes = super().create_recovery_codes(user)
        codes_generated.send(current_app._get_current_object(), user=user, count=len(codes))
        return codes

    def check_recovery_code(self, user: Any, code: str) -> bool:
        return self._spend(user, code)

    def delete_recovery_code(self, user: Any, code: str) -> bool:
        # Already spent by check_recovery_code; a second call finds nothing to delete.
        return self._spend(user, code)

    def remaining(self, user: Any) -> int:
        """How many codes the user can still use."""
        return len(self._decrypt_codes(self._stored(user)))

    def _decrypt_codes(self, codes: list[str]) -> list[str]:
        # An application that ran Flask-Security without recovery-code keys (its default)
        # stored its codes in the clear; they stay usable once the console encrypts new
        # ones. A stored code is never mistaken for a token: a Fernet token is far longer.
        plain = []
        for stored in codes:
            if normalize_code(stored) == stored:
                plain.append(stored)
            else:
                plain.extend(super()._decrypt_codes([stored]))
        return plain

    def _stored_raw(self, user: Any) -> str | None:
        db.session.flush()
        users = _users()
        return db.session.scalar(select(users.c.mf_recovery_codes).where(users.c.id == user.id))

    def _stored(self, user: Any) -> list[str]:
        raw = self._stored_raw(user)
        return raw.split(",") if raw else []

    def _spend(self, user: Any, code: str) -> bool:
        wanted = normalize_code(code)
        if wanted is None:
            return False
        raw = self._stored_raw(user)
        stored = raw.split(",") if raw else []
        if not stored:
            return False
        # Decrypt one by one so the index matches the stored (encrypted) list.
        index = next(
            (i for i, item in enumerate(stored) if self._decrypt_codes([item]) == [wanted]),
            None,
        )
        if index is None:
            return False
        left = stored[:index] + stored[index + 1 :]
        users = _users()
        result = db.session.execute(
            update(users)
            .where(users.c.id == user.id, users.c.mf_recovery_codes == raw)
            .values(mf_recovery_codes=",".join(left) if left else None)
        )
        if result.rowcount != 1:
            return False
        if user in db.session:
            db.session.expire(user, ["mf_recovery_codes"])
        code_used.send(current_app._get_current_object(), user=user, remaining=len(left))
        return True
