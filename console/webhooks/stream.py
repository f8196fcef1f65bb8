"""The log stream: with CONSOLE_AUDIT_LOG_STREAM, each committed audit event is one JSON line
(the webhook payload) on the logger console.audit.stream, at INFO."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from ..settings import setting
from .payload import build, dumps

LOGGER = "console.audit.stream"
stream_log = logging.getLogger(LOGGER)


def write(sender: Flask | None, events: list[dict[str, Any]], **_: Any) -> None:
    """events_committed receiver: one line per event, in the order they were committed."""
    if sender is None or not setting("CONSOLE_AUDIT_LOG_STREAM", sender.config):
        return
    for event in events:
        stream_log.info("%s", dumps(build(event)))
