"""The sections of personal data the console itself keeps, as registered in
console.core.personal_data: what each puts in an export and how each is erased.

Exports are for machines: codes rather than sentences, dates as ISO 8601 in UTC with a "Z".
No section ever holds a secret (password hash, authenticator secret, recovery codes, key
material, session or token ids); factors appear as kinds, names and dates.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow
from sqlalchemy import delete, select, update

from ..account.devices import describe as describe_device
from ..account.models import KnownDevice
from ..api.models import AccessToken
from ..audit.models import AuditEvent
from ..core import dates, factors
from ..core.models import models
from ..core.personal_data import register_personal_data
from ..core.user_fields import host_user_fields
from ..extensions import db
from ..mfa import flows as mfa_flows
from ..mfa.factors import asked_as_second_factor
from ..scim.models import ScimUserLink
from ..sessions.labels import device_label
from ..sessions.models import SessionRecord

# Events read per query of the audit section: the export holds one batch at a time.
EVENT_BATCH = 500


def _when(value: datetime | None) -> str | None:
    return dates.iso_utc(value) if value is not None else None


# ---------------------------------------------------------------- profile and roles


def profile(user: Any) -> dict[str, Any]:
    """The account's own columns: who it is, how it is set up, when it signed in."""
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "name": user.name,
        "language": user.locale,
        "time_zone": user.timezone,
        "active": bool(user.active),
        "email_confirmed_at": _when(user.confirmed_at),
        "created_at": _when(user.create_datetime),
        "invited_at": _when(user.invited_at),
        "password_set": bool(user.password),
        "password_changed_at": _when(user.password_changed_at),
        "password_change_required": bool(user.password_change_required),
        "phone_numbers": {
            "two_factor": getattr(user, "tf_phone_number", None),
            "sign_in": getattr(user, "us_phone_number", None),
        },
        "sign_ins": {
            "count": user.login_count or 0,
            "current_at": _when(user.current_login_at),
            "current_ip": user.current_login_ip,
            "previous_at": _when(user.last_login_at),
            "previous_ip": user.last_login_ip,
            "failed_since_last": user.failed_login_count or 0,
            "locked_until": _when(user.locked_until),
        },
        # What operators wrote about the account is about its holder too.
        "operator_notes": user.notes,
        "application_fields": {name: getattr(user, name) for name in host_user_fields()},
    }


def roles(user: Any) -> list[dict[str, Any]]:
    """The roles the account holds and the permissions each gives."""
    return [
        {
            "name": role.name,
            "description": role.description,
            "permissions": sorted(role.get_permissions()),
        }
        for role in sorted(user.roles, key=lambda role: role.name)
    ]


# ---------------------------------------------------------------- sign-in and sessions


def sessions(user: Any) -> list[dict[str, Any]]:
    """Every session record still kept (live ones and recently ended ones)."""
    records = db.session.scalars(
        select(SessionRecord)
        .where(SessionRecord.user_id == user.id)
        .order_by(SessionRecord.created_at.desc(), SessionRecord.id.desc())
    )
    return [
        {
            "id": record.short_id,
            "created_at": _when(record.created_at),
            "last_seen_at": _when(record.last_seen_at),
            "expires_at": _when(record.expires_at),
            "ended_at": _when(record.ended_at),
            "end_reason": record.end_reason,
            "ip": record.ip,
            "user_agent": record.user_agent,
            "device": device_label(record.user_agent) if record.user_agent else None,
            "signed_in_with": record.auth_method,
            "second_factor": record.second_factor,
        }
        for record in records
    ]


def erase_sessions(user: Any) -> None:
    """Ended records lose their address and browser now; the sessions purge deletes them
    once they are idle, as it does every other ended record."""
    db.session.execute(
        update(SessionRecord)
        .where(SessionRecord.user_id == user.id)
        .values(ip=None, user_agent=None)
    )


def refresh_tokens(user: Any) -> list[dict[str, Any]]:
    """Flask-Security's API refresh-token families (metadata only)."""
    tracker = models().RefreshTracker
    if tracker is None:
        return []
    rows = db.session.scalars(
        select(tracker).where(tracker.user_id == user.id).order_by(tracker.create_datetime.desc())
    )
    return [
        {
            "name": row.name,
            "created_at": _when(row.create_datetime),
            "last_used_at": _when(row.last_used_at),
            "expires_at": _when(row.expires_at),
            "revoked_at": _when(row.revoked_at),
        }
        for row in rows
    ]


def erase_refresh_tokens(user: Any) -> None:
    """The families were revoked with the sessions; their records go."""
    tracker = models().RefreshTracker
    if tracker is not None:
        db.session.execute(delete(tracker).where(tracker.user_id == user.id))


def api_tokens(user: Any) -> list[dict[str, Any]]:
    """Personal access tokens, working or not (never their secret)."""
    rows = db.session.scalars(
        select(AccessToken)
        .where(AccessToken.user_id == user.id)
        .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())
    )
    return [
        {
            "name": row.name,
            "key": row.key,
            "scopes": row.scope_list,
            "created_at": _when(row.created_at),
            "expires_at": _when(row.expires_at),
            "last_used_at": _when(row.last_used_at),
            "last_ip": row.last_ip,
            "revoked_at": _when(row.revoked_at),
        }
        for row in rows
    ]


def erase_api_tokens(user: Any) -> None:
    """The tokens were revoked (and audited) first; their records go."""
    db.session.execute(delete(AccessToken).where(AccessToken.user_id == user.id))


def known_devices(user: Any) -> list[dict[str, Any]]:
    """The browsers and networks the account signed in from (for new-device notices)."""
    rows = db.session.scalars(
        select(KnownDevice)
        .where(KnownDevice.user_id == user.id)
        .order_by(KnownDevice.last_seen_at.desc(), KnownDevice.id.desc())
    )
    return [
        {
            "device": describe_device(row.fingerprint),
            "network": row.network or None,
            "first_seen_at": _when(row.first_seen_at),
            "last_seen_at": _when(row.last_seen_at),
            "notified_at": _when(row.notified_at),
        }
        for row in rows
    ]


def erase_known_devices(user: Any) -> None:
    db.session.execute(delete(KnownDevice).where(KnownDevice.user_id == user.id))


# ---------------------------------------------------------------- second factors


def second_factors(user: Any) -> dict[str, Any]:
    """Which factors are set up (from the factor registry), and the keys' names and dates."""
    state = mfa_flows.mfa_state(user)
    return {
        "set_up": [
            {"kind": factor.key, "label": str(factor.label), "second_factor": factor.second_factor}
            for factor in factors.set_up(user)
        ],
        "recovery_codes_left": state.recovery_codes,
        "keys": [
            {
                "name": key.name,
                "kind": "security_key" if asked_as_second_factor(key.usage) else "passkey",
                "provider": mfa_flows.key_provider(key),
                "created_at": _when(key.create_datetime),
                "last_used_at": _when(key.lastuse_datetime),
            }
            for key in state.keys
        ],
    }


def erase_second_factors(user: Any) -> None:
    """Every registered factor removed (authenticator secrets, keys and passkeys, recovery
    codes, codes an operator issued), as an operator's reset removes them."""
    for factor in factors.registered():
        factor.reset(user)


# ---------------------------------------------------------------- provisioning


def provisioning(user: Any) -> dict[str, Any] | None:
    """What an identity provider told the console about the account over SCIM, if anything."""
    link = db.session.get(ScimUserLink, user.id)
    if link is None:
        return None
    return {
        "external_id": link.external_id,
        "given_name": link.given_name,
        "family_name": link.family_name,
    }


def erase_provisioning(user: Any) -> None:
    """The provider's names for the person go; SCIM answers 404 for the account from now on,
    as it does for an account the provider deleted."""
    link = db.session.get(ScimUserLink, user.id)
    if link is not None:
        link.external_id = link.given_name = link.family_name = None
        link.deleted_at = link.deleted_at or naive_utcnow()


# ---------------------------------------------------------------- the audit trail


def _walk(column: Any, user_id: int) -> Iterator[Any]:
    """Events whose `column` is `user_id`, newest first, a keyset batch at a time (its own
    index: (actor_id, id) or (subject_id, id))."""
    before: int | None = None
    while True:
        stmt = select(*AuditEvent.__table__.columns).where(column == user_id)
        if before is not None:
            stmt = stmt.where(AuditEvent.id < before)
        rows = db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(EVENT_BATCH)).all()
        yield from rows
        if len(rows) < EVENT_BATCH:
            return
        before = rows[-1].id


def _party(person_id: int | None, user_id: int) -> str:
    if person_id is None:
        return "none"
    return "self" if person_id == user_id else "other"


def _event(row: Any, user_id: int) -> dict[str, Any]:
    """One event as the account holder's export shows it.

    Another person's data stays out (GDPR art. 15(4)): an event another account caused says
    so without naming it or giving its address and browser; an event the holder caused on
    another account gives no details of that account.
    """
    acted_by = _party(row.actor_id, user_id)
    about = _party(row.subject_id, user_id)
    item: dict[str, Any] = {
        "id": row.id,
        "at": dates.iso_utc(row.created_at),
        "action": row.action,
        "acted_by": acted_by,
        "about": about,
    }
    if acted_by != "other":
        item["ip"] = row.ip
        item["user_agent"] = row.user_agent
    if about != "other":
        try:
            item["details"] = json.loads(row.details or "{}")
        except ValueError:
            item["details"] = {}
    return item


def audit_events(user: Any) -> Iterator[dict[str, Any]]:
    """The events the account caused or that are about it, newest first, streamed."""
    # The id is read now: the iterator runs while the file is sent, after the request's
    # session (and with it `user`) is gone.
    return _events_of(user.id)


def _events_of(user_id: int) -> Iterator[dict[str, Any]]:
    merged = heapq.merge(
        _walk(AuditEvent.actor_id, user_id),
        _walk(AuditEvent.subject_id, user_id),
        key=lambda row: -row.id,
    )
    last: int | None = None
    for row in merged:
        if row.id == last:
            continue  # caused by and about the holder: in both walks
        last = row.id
        yield _event(row, user_id)


def init_app(app: Flask) -> None:
    """Register the console's own sections (features added later register theirs)."""
    entries = (
        (
            "profile",
            _l("Profile: names, address, language, sign-in dates"),
            profile,
            None,
            "users:read",
            10,
        ),
        ("roles", _l("Roles and their permissions"), roles, None, "users:read", 20),
        (
            "second_factors",
            _l("Sign-in methods: kinds, names and dates, never their secrets"),
            second_factors,
            erase_second_factors,
            "users:read",
            30,
        ),
        (
            "sessions",
            _l("Sessions: when, from which address and browser"),
            sessions,
            erase_sessions,
            "sessions:read",
            40,
        ),
        (
            "known_devices",
            _l("Browsers and networks used to sign in"),
            known_devices,
            erase_known_devices,
            "sessions:read",
            45,
        ),
        (
            "api_tokens",
            _l("API tokens (never their secrets)"),
            api_tokens,
            erase_api_tokens,
            "sessions:read",
            50,
        ),
        (
            "refresh_tokens",
            _l("API refresh tokens"),
            refresh_tokens,
            erase_refresh_tokens,
            "sessions:read",
            55,
        ),
        (
            "provisioning",
            _l("What an identity provider sent"),
            provisioning,
            erase_provisioning,
            "users:read",
            60,
        ),
        (
            "audit_events",
            _l("Security events: what the account did, and what was done to it"),
            audit_events,
            None,
            "audit:read",
            90,
        ),
    )
    for key, label, collect, erase, permission, order in entries:
        register_personal_data(
            app, key, collect, label=label, erase=erase, permission=permission, order=order
        )
