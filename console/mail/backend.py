"""A Flask-Mailman backend that stores each message in the outbox table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_mailman.backends.base import BaseEmailBackend

from ..extensions import db
from .models import OutboxMessage


def _html_part(message: Any) -> str | None:
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            return str(content)
    return None


class EmailBackend(BaseEmailBackend):
    """Writes messages to the database instead of an SMTP server."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        sent = 0
        for message in email_messages:
            recipients = list(message.to) + list(message.cc) + list(message.bcc)
            if not recipients:
                continue
            db.session.add(
                OutboxMessage(
                    sender=str(message.from_email),
                    recipients="\n".join(recipients),
                    subject=str(message.subject),
                    body_text=str(message.body or ""),
                    body_html=_html_part(message),
                )
            )
            sent += 1
        # Mail is sent from within flows that commit their own work; committing here
        # makes the message visible even when the flow only reads.
        db.session.commit()
        return sent
