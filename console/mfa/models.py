"""Break-glass recovery codes: one short-lived code an operator issues to a locked-out user."""

from __future__ import annotations

from flask_security import naive_utcnow
from sqlalchemy import Column, DateTime, Index, Integer, String

from ..core.schema import ConsoleModel, user_key


class BreakGlassCode(ConsoleModel):
    """One code, stored as an HMAC digest; valid until `expires_at`, usable once."""

    __tablename__ = "mfa_break_glass_code"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, nullable=False, info=user_key("CASCADE"))
    issued_by_id = Column(Integer, nullable=True, info=user_key("SET NULL"))
    code_digest = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=naive_utcnow)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)


Index("ix_mfa_break_glass_code_user_id", BreakGlassCode.user_id)
