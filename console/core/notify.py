"""Mail to account holders: rendered in their language, sent once the change has
committed, and kept for a later retry when the mail server fails (never an error page)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from flask_security import MailUtil, naive_utcnow
from sqlalchemy import Column, DateTime, Integer, String, Text, event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..settings import setting
from . import dates, jobs
from .schema import ConsoleModel

log = logging.getLogger(__name__)

# Messages waiting for the session's transaction to commit, and messages whose change
# has committed and that go out at the end of the request (or application context).
_WAITING = "console_mail_waiting"
_READY = "console_mail_ready"
# Set once the session's transaction has written something (a flush, an UPDATE ...).
_WROTE = "console_mail_wrote"

# How many kept messages a successful send also retries (the opportunistic retry).
OPPORTUNISTIC_BATCH = 3
# Wait before the next automatic attempt: doubles per attempt, up to the maximum.
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)


class MailRetry(ConsoleModel):
    """A rendered message that could not be sent; `flask console mail retry` sends it."""

    __tablename__ = "mail_retry"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=naive_utcnow)
    next_attempt_at = Column(DateTime, nullable=False, default=naive_utcnow, index=True)
    attempts = Column(Integer, nullable=False, default=1)
    last_error = Column(String(500), nullable=False, default="")
    # The template it was rendered from and the account it is about (a plain value, not a
    # foreign key: deleting the account must not hide what failed to reach it).
    template = Column(String(120), nullable=False)
    user_id = Column(Integer, nullable=True)
    sender = Column(String(320), nullable=False)
    recipient = Column(String(320), nullable=False)
    subject = Column(String(998), nullable=False)
    body_text = Column(Text, nullable=False)
    body_html = Column(Text, nullable=True)


class Phrase:
    """A translatable text with its %(name)s values, put in words only when rendered, so
    that it comes out in the recipient's language."""

    def __init__(self, text: Any, **values: Any) -> None:
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return str(self.text) % self.values if self.values else str(self.text)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


@dataclass(frozen=True)
class Message:
    """One rendered message, ready for the mail backend."""

    template: str
    user_id: int | None
    sender: str
    recipient: str
    subject: str
    body_text: str
    body_html: str | None

    def email(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject, body=self.body_text, from_email=self.sender, to=[self.recipient]
        )
        if self.body_html:
            message.attach_alternative(self.body_html, "text/html")
        return message


def _language(user: Any) -> str:
    languages = setting("CONSOLE_LANGUAGES")
    locale = getattr(user, "locale", None)
    return locale if locale in languages else languages[0]


def render(
    user: Any, template: str, subject: Any, *, recipient: str | None = None, **context: Any
) -> Message:
    """templates/email/<template>.{txt,html} for `user`, in the user's language."""
    with force_locale(_language(user)), dates.read_by(user):
        subject_text = str(subject)
        values = {
            "user": user,
            "site_name": setting("CONSOLE_SITE_NAME"),
            "subject": subject_text,
            **context,
        }
        text = render_template(f"email/{template}.txt", **values)
        html = render_template(f"email/{template}.html", **values)
    return Message(
        template=template,
        user_id=getattr(user, "id", None),
        sender=str(current_app.config["SECURITY_EMAIL_SENDER"]),
        recipient=recipient or user.email,
        subject=subject_text,
        body_text=text,
        body_html=html,
    )


def notify(
    user: Any, template: str, subject: Any, *, recipient: str | None = None, **context: Any
) -> None:
    """Mail `user` (or `recipient`) templates/email/<template>.{txt,html}.

    Called after the flow's commit, it sends at once. Called while the change is still
    uncommitted (a Flask-Security view commits after its signals), the message waits for
    that commit and goes out at the end of the request; a rollback drops it. A send that
    fails is logged and kept for `flask console mail retry`; it never raises.
    """
    send(render(user, template, subject, recipient=recipient, **context))


def send(message: Message) -> None:
    """Deliver `message` now, or after the commit of the change the session still holds."""
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        session.info.setdefault(_WAITING, []).append(message)
        return
    hand_over(message)


def hand_over(message: Message) -> None:
    """Give `message` to the workers (console.core.jobs), or send it now where this
    process does its own background work."""
    if not jobs.defer("mail.send", **asdict(message)):
        deliver(message)


def _deliver_fields(**message: Any) -> None:
    deliver(Message(**message))


def _retry_due() -> None:
    retry(due_only=True, limit=100)


def deliver(message: Message) -> bool:
    """Send `message` now; on failure keep it for a retry. True when it went out."""
    try:
        message.email().send()
    except Exception as error:  # noqa: BLE001 - any backend failure is kept and retried
        log.warning(
            "could not send the %s mail to user %s; kept for retry: %s",
            message.template,
            message.user_id,
            error,
        )
        _keep(message, error)
        return False
    _retry_some()
    return True


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _keep(message: Message, error: BaseException) -> None:
    session = db.session()
    try:
        if not session.is_active:
            session.rollback()
        now = naive_utcnow()
        session.add(
            MailRetry(
                created_at=now,
                next_attempt_at=now + FIRST_WAIT,
                attempts=1,
                last_error=_error_text(error),
                **asdict(message),
            )
        )
        session.commit()
    except Exception:
        # The database is failing too: the log line is all that is left of this mail.
        session.rollback()
        log.exception("could not keep the %s mail to user %s", message.template, message.user_id)


def _as_message(row: MailRetry) -> Message:
    return Message(**{field.name: getattr(row, field.name) for field in fields(Message)})


def _attempt(rows: Iterable[MailRetry]) -> tuple[int, int]:
    """Try each kept message once: sent ones are deleted, failed ones wait longer."""
    sent = failed = 0
    for row in rows:
        try:
            _as_message(row).email().send()
        except Exception as error:  # noqa: BLE001
            failed += 1
            wait = min(FIRST_WAIT * (2 ** min(row.attempts, 16)), LONGEST_WAIT)
            row.attempts += 1
            row.last_error = _error_text(error)
            row.next_attempt_at = naive_utcnow() + wait
            log.warning("retry of the %s mail (kept as %s) failed: %s", row.template, row.id, error)
        else:
            sent += 1
            db.session.delete(row)
        # Each message on its own: one sent twice because a later one failed is worse
        # than one more retry.
        db.session.commit()
    return sent, failed


def retry(*, due_only: bool = False, limit: int | None = None) -> tuple[int, int]:
    """Send the kept messages, oldest first; returns (sent, still failing)."""
    stmt = select(MailRetry).order_by(MailRetry.id)
    if due_only:
        stmt = stmt.where(MailRetry.next_attempt_at <= naive_utcnow())
    if limit is not None:
        stmt = stmt.limit(limit)
    return _attempt(list(db.session.scalars(stmt)))


def pending_count() -> int:
    """How many messages are kept for a retry."""
    from sqlalchemy import func

    return int(db.session.scalar(select(func.count()).select_from(MailRetry)) or 0)


def _retry_some() -> None:
    # The mail server works again: a few kept messages whose wait is over go out too.
    try:
        retry(due_only=True, limit=OPPORTUNISTIC_BATCH)
    except Exception:
        db.session.rollback()
        log.exception("opportunistic mail retry failed")


class ConsoleMailUtil(MailUtil):
    """Flask-Security's own mail (reset links, codes, its notices) under the same policy:
    after the commit, and kept for a retry when the mail server fails."""

    def send_mail(
        self,
        template: str,
        subject: str,
        recipient: Any,
        sender: Any,
        body: str | None,
        html: str | None,
        **kwargs: Any,
    ) -> None:
        if isinstance(sender, tuple) and len(sender) == 2:
            sender = f"{sender[0]} <{sender[1]}>"
        user = kwargs.get("user")
        send(
            Message(
                template=f"security/{template}",
                user_id=getattr(user, "id", None),
                sender=str(sender),
                recipient=str(recipient),
                subject=str(subject),
                body_text=body or "",
                body_html=html,
            )
        )


# ---------------------------------------------------------------- after the commit


def _after_flush(session: Session, *_: Any) -> None:
    session.info[_WROTE] = True


def _on_execute(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _after_commit(session: Session) -> None:
    session.info.pop(_WROTE, None)
    waiting = session.info.pop(_WAITING, None)
    if waiting:
        session.info.setdefault(_READY, []).extend(waiting)


def _after_rollback(session: Session) -> None:
    # The change was undone: nobody is told about it.
    session.info.pop(_WROTE, None)
    session.info.pop(_WAITING, None)


def deliver_ready(*_: Any) -> None:
    """Send the messages whose change has committed (end of a request or app context)."""
    if not has_app_context():
        return
    session = db.session()
    ready = session.info.pop(_READY, None)
    session.info.pop(_WAITING, None)
    for message in ready or ():
        hand_over(message)


def init_app(app: Flask) -> None:
    """Hold mail until its change commits; send it when the request ends."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    app.teardown_request(deliver_ready)
    jobs.register_task(app, jobs.Task("mail.send", _deliver_fields))
    # Kept mail whose wait is over goes out on the workers' schedule too, not only when a
    # later mail succeeds.
    jobs.register_periodic(app, jobs.Periodic("mail.retry", _retry_due, minute="*/5"))
    app.teardown_appcontext(deliver_ready)
