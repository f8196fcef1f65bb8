"""The identities of identity providers linked to accounts: who a provider's `sub` is here."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, UniqueConstraint

from ..core.schema import ConsoleModel, user_key


class LinkedIdentity(ConsoleModel):
    """One account of a provider (`provider`, its `subject`, the OpenID Connect `sub`) linked
    to one account here.

    A provider's sign-in finds its account by (`provider`, `subject`) only, never by the
    address. `email` is the address the provider gave when it was last seen (for people to
    recognise it). An unlinked identity keeps its row with `unlinked_at` set, so that its next
    sign-in is refused instead of being matched by its address again; linking it from the
    security page makes it live again.
    """

    __tablename__ = "linked_identity"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, nullable=False, info=user_key("CASCADE"))
    provider = Column(String(64), nullable=False)
    subject = Column(String(255), nullable=False)
    email = Column(String(320), nullable=True)
    created_at = Column(DateTime, nullable=False)
    last_used_at = Column(DateTime, nullable=True)
    unlinked_at = Column(DateTime, nullable=True)


# The security page and the user's page list an account's identities.
Index("ix_linked_identity_user_id", LinkedIdentity.user_id)
