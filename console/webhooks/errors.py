"""What the webhooks feature says when it refuses: one table of messages by code."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, Any] = {
    "url": _l("Enter an http:// or https:// address with a host name, at most 500 characters."),
    "unresolved": _l("The host %(host)s could not be found."),
    "private": _l(
        "This address leads to a private, loopback or link-local network (%(addresses)s); "
        "the console only calls public addresses."
    ),
    "no_events": _l("Choose at least one kind of event to send."),
    "unknown_event": _l("Unknown event type: %(name)s."),
    "description": _l("The description is at most 200 characters."),
    "not_pending": _l("This delivery has already been made."),
}


def text(code: str, **params: Any) -> str:
    """The message `code` in the current language, with its values."""
    return str(MESSAGES[code] % params) if params else str(MESSAGES[code])


class WebhookError(Exception):
    """A webhook change refused before anything was written; the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(text(code, **params))
