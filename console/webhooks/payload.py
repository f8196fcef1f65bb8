"""The JSON form of a committed audit event, shared by webhooks and the log stream.

    {"id": "evt_…", "type": "user.login", "timestamp": "2026-12-02T13:05:00.123456Z",
     "data": {"action": "user.login", "group": "sign_in",
              "actor": {"id": 7, "email": "ada@example.com"} | null,
              "subject": {"id": 7, "email": "ada@example.com"} | null,
              "ip": "203.0.113.9" | null, "user_agent": "…" | null,
              "request_id": "…" | null, "details": {…}}}

`id` is the same on every delivery of one event (receivers de-duplicate by it); `type` is
the audit action; `timestamp` when the event was recorded (UTC). New keys may be added to
`data`; none is removed or changes meaning.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..core import actions
from ..core.dates import iso_utc

ID_PREFIX = "evt_"
GROUP_PREFIX = "group:"


def event_id(event: dict[str, Any]) -> str:
    """A stable id for the stored event: derived from its chain hash (unique per event)."""
    basis = event.get("hash") or json.dumps(
        {key: str(value) for key, value in sorted(event.items())}, sort_keys=True
    )
    return ID_PREFIX + hashlib.sha256(str(basis).encode()).hexdigest()[:32]


def _person(event: dict[str, Any], role: str) -> dict[str, Any] | None:
    person_id, email = event.get(f"{role}_id"), event.get(f"{role}_email")
    if person_id is None and email is None:
        return None
    return {"id": person_id, "email": email}


def _details(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"text": value}
    return value or {}


def build(event: dict[str, Any]) -> dict[str, Any]:
    """The payload of one committed event (a dict as events_committed carries it)."""
    action = str(event["action"])
    declared = actions.find(action)
    return {
        "id": event_id(event),
        "type": action,
        "timestamp": iso_utc(event["created_at"], precise=True),
        "data": {
            "action": action,
            "group": declared.group if declared is not None else None,
            "actor": _person(event, "actor"),
            "subject": _person(event, "subject"),
            "ip": event.get("ip"),
            "user_agent": event.get("user_agent"),
            "request_id": event.get("request_id"),
            "details": _details(event.get("details")),
        },
    }


def dumps(payload: dict[str, Any]) -> str:
    """The body as sent and logged: compact JSON, keys sorted, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def subscribed(event_types: list[str], action: str) -> bool:
    """Whether an endpoint subscribed to `event_types` wants the action `action`."""
    if action in event_types:
        return True
    declared = actions.find(action)
    return declared is not None and f"{GROUP_PREFIX}{declared.group}" in event_types
