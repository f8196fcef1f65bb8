"""The development outbox: mail that would have been sent, kept for people and tests."""

from __future__ import annotations

from flask_security import naive_utcnow
from sqlalchemy import Column, DateTime, Integer, String, Text

from ..core.schema import ConsoleModel


class OutboxMessage(ConsoleModel):
    """One message as it would have gone out."""

    __tablename__ = "outbox_message"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=naive_utcnow, index=True)
    sender = Column(String(320), nullable=False)
    recipients = Column(Text, nullable=False)
    subject = Column(String(998), nullable=False)
    body_text = Column(Text, nullable=False, default="")
    body_html = Column(Text, nullable=True)

    def recipient_list(self) -> list[str]:
        """The addresses this message was sent to."""
        return [r for r in self.recipients.split("\n") if r]
