"""The session registry table: one row per signed-in browser, its id stored only as a hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, String

from ..core.models import models
from ..core.schema import ConsoleModel, user_key
from ..extensions import db


class SessionRecord(ConsoleModel):
    """A browser session: `token_hash` is SHA-256 of the id in the signed cookie.

    `key` is a random public handle for URLs and the audit trail; it never authenticates.
    `remember_hash` is SHA-256 of the secret inside this session's remember-me cookie.
    A record is live while `ended_at` is empty, `expires_at` (absolute lifetime) is ahead
    and `last_seen_at` is within the idle timeout.
    """

    __tablename__ = "user_session"

    id = Column(Integer, primary_key=True)
    key = Column(String(16), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    remember_hash = Column(String(64), nullable=True, unique=True)
    user_id = Column(Integer, nullable=False, index=True, info=user_key("CASCADE"))
    created_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    ended_at = Column(DateTime, nullable=True)
    end_reason = Column(String(32), nullable=True)
    ip = Column(String(64), nullable=True)
    user_agent = Column(String(512), nullable=True)
    auth_method = Column(String(32), nullable=False, default="password")
    second_factor = Column(String(32), nullable=True)

    @property
    def user(self) -> Any:
        """The account (the configured user model): the one the query that loaded this record
        brought along (store.with_users), else looked up once by id."""
        user = self.__dict__.get("_user")
        if user is None or user.id != self.user_id:
            user = db.session.get(models().User, self.user_id)
            self.__dict__["_user"] = user
        return user

    @user.setter
    def user(self, user: Any) -> None:
        self.__dict__["_user"] = user

    @property
    def short_id(self) -> str:
        """The first characters of the public handle, for people and the audit trail."""
        return self.key[:8]


# Lists sort by last seen (keyset on last_seen_at, id); idle purges scan the same index.
Index("ix_user_session_last_seen_at_id", SessionRecord.last_seen_at, SessionRecord.id)
