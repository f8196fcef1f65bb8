"""Break-glass recovery codes: one short-lived code an operator issues to a locked-out user."""

from __future__ import annotations

from flask_security import naive_utcnow
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from ..extensions import db


class BreakGlassCode(db.Model):
    """One code, stored as an HMAC digest; valid until `expires_at`, usable once."""

    __tablename__ = "mfa_break_glass_code"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    issued_by_id = Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    code_digest = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=naive_utcnow)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)


db.Index("ix_mfa_break_glass_code_user_id", BreakGlassCode.user_id)
