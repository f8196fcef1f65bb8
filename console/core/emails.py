"""The canonical form of an email address: one account per address that looks the same.

Two addresses are one account when they differ only by Unicode compatibility form
(``Ａdmin`` and ``admin``), by case (``ADMIN``), or by a character that is drawn like
another (``admın`` with a dotless i, ``аdmin`` with a Cyrillic a). The form is:

1. NFKC, so that fullwidth, ligature and other compatibility characters become the
   characters they stand for before anything else looks at them;
2. case folding, so that case never separates two accounts. It comes before the
   confusable fold on purpose: the Unicode TS #39 skeleton maps a capital ``I`` to
   ``l``, so folding case afterwards would make ``ADMIN`` and ``admin`` two accounts.
   The price is that a capital ``I`` imitating an ``l`` is read as an ``i``;
3. the TS #39 skeleton, through disarm's ``skeleton_key`` (confusables.txt prototypes,
   invisible and bidi characters removed, re-folded until stable), with TS #39's digit
   classes (``1`` with ``l``, ``0`` with ``o``), which is what an identifier wants.

The local part and the domain are keyed separately, split at the last ``@`` after NFKC,
so that no character can carry a look-alike across the boundary (a fullwidth ``＠``
becomes the separator it imitates before the split). The result is a lookup key,
never shown and never mailed to. It depends on disarm's tables: moving past the
version pinned in pyproject.toml needs a migration that recomputes the stored keys.
"""

from __future__ import annotations

import unicodedata

from disarm import skeleton_key
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

MESSAGE = _l("Another account already uses this email address, or one that looks the same.")

# Unique indexes and constraints on the user's email, as each database names them in its
# error text: the canonical one, the case-insensitive one, and Flask-Security's own.
_EMAIL_CONSTRAINTS = ("email_canonical", "ix_user_email_lower", "user_email_key", "user.email")


class EmailInUseError(ValueError):
    """The address, or one that looks the same, belongs to another account."""

    def __init__(self, email: str | None = None) -> None:
        self.email = email
        super().__init__(str(MESSAGE))


def _key(part: str) -> str:
    return skeleton_key(part, digit_policy="tr39")


def canonical_email(email: str) -> str:
    """The key under which `email` and every look-alike of it are one account."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    local, at, domain = folded.rpartition("@")
    if not at:
        return _key(folded)
    return f"{_key(local)}@{_key(domain)}"


def is_email_conflict(error: IntegrityError) -> bool:
    """True when the database refused a write because the address is already in use."""
    text = str(error.orig).lower()
    return any(name in text for name in _EMAIL_CONSTRAINTS)
