"""The personal access token table: one row per token, its secret stored only as a hash."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Text

from ..core.schema import ConsoleModel, user_key


class AccessToken(ConsoleModel):
    """A personal access token of `user_id`: `token_hash` is SHA-256 of the whole secret.

    `key` is a random public handle for URLs and the audit trail; it never authenticates.
    `scopes` are the permissions asked for at creation (comma-separated); each request is
    allowed only those the owner still holds. `last_ip` is the address it was last used
    from, so that a use from another one is audited.
    """

    __tablename__ = "api_token"

    id = Column(Integer, primary_key=True)
    key = Column(String(16), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, nullable=False, index=True, info=user_key("CASCADE"))
    name = Column(String(80), nullable=False)
    scopes = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    last_used_at = Column(DateTime, nullable=True)
    last_ip = Column(String(64), nullable=True)
    revoked_at = Column(DateTime, nullable=True)
    revoked_by_id = Column(Integer, nullable=True, info=user_key("SET NULL"))

    @property
    def scope_list(self) -> list[str]:
        """The scopes asked for, in stored order."""
        return [name for name in (self.scopes or "").split(",") if name]
