"""/users/{id}/sessions, /sessions, /users/{id}/factors and /audit/events: thin adapters over
console.sessions, console.mfa and console.audit."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask import request, url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from ..audit import flows as audit_flows
from ..audit import query as audit_query
from ..audit.models import AuditEvent
from ..core import downloads, policy
from ..extensions import db
from ..mfa import flows as mfa_flows
from ..sessions import flows as session_flows
from ..settings import setting
from . import auth
from .fields import MAX_ID, PageSchema, ReasonSchema, UtcDateTime, id_in_range
from .handlers import blueprint
from .problems import ApiProblem
from .users import user_or_404

blp = blueprint("api_operations", __name__, "Sessions, second factors and the audit trail")


# --- sessions ----------------------------------------------------------------------------


class SessionSchema(ma.Schema):
    key = ma.fields.String(required=True)
    user_id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    last_seen_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    auth_method = ma.fields.String(required=True)
    second_factor = ma.fields.String(allow_none=True)


class EndedSchema(ma.Schema):
    ended = ma.fields.Integer(required=True)


@blp.route("/users/<int:user_id>/sessions")
class UserSessions(MethodView):
    @blp.response(200, SessionSchema(many=True))
    def get(self, user_id: int) -> Any:
        """A user's live sessions, most recently seen first. Needs sessions:read."""
        user = user_or_404(user_id)
        policy.require(auth.actor(), "sessions:read")
        return session_flows.live_for(user)

    @blp.response(200, EndedSchema)
    def delete(self, user_id: int) -> Any:
        """End every live session of a user. Needs sessions:revoke."""
        user = user_or_404(user_id)
        # The question the operators' bulk end asks of each session's account, asked once.
        policy.require(auth.actor(), "sessions:revoke", target=user)
        count, _refusals = session_flows.end_sessions(session_flows.live_for(user), auth.actor())
        return {"ended": count}


@blp.route("/sessions/<key>")
class Session(MethodView):
    @blp.response(204)
    def delete(self, key: str) -> Any:
        """End one session by its key. Needs sessions:revoke (or being its user)."""
        records = session_flows.sessions_by_keys([key[:16]])
        if not records:
            raise ApiProblem(404, "not_found", _l("There is no session with this key."))
        session_flows.end_session(records[0], auth.actor())
        return "", 204


# --- second factors ------------------------------------------------------------------------


class KeySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    usage = ma.fields.String(allow_none=True)
    created_at = UtcDateTime(allow_none=True, attribute="create_datetime")
    last_used_at = UtcDateTime(allow_none=True, attribute="lastuse_datetime")


class FactorsSchema(ma.Schema):
    factors = ma.fields.List(ma.fields.String(), required=True)
    second_factors = ma.fields.List(ma.fields.String(), required=True)
    recovery_codes = ma.fields.Integer(required=True)
    break_glass_active = ma.fields.Boolean(required=True)
    keys = ma.fields.List(ma.fields.Nested(KeySchema), required=True)


class BreakGlassSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Shown once"})
    expires_at = UtcDateTime(required=True)


def _factors(user: Any) -> dict[str, Any]:
    state = mfa_flows.mfa_state(user)
    return {
        "factors": list(state.factors),
        "second_factors": list(state.second_factors),
        "recovery_codes": state.recovery_codes,
        "break_glass_active": state.break_glass_active,
        "keys": state.keys,
    }


@blp.route("/users/<int:user_id>/factors")
class UserFactors(MethodView):
    @blp.response(200, FactorsSchema)
    def get(self, user_id: int) -> Any:
        """What second factors a user has set up (never a secret). Needs mfa:read."""
        user = user_or_404(user_id)
        policy.require(auth.actor(), "mfa:read")
        return _factors(user)


@blp.route("/users/<int:user_id>/factors/reset")
class UserFactorsReset(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, FactorsSchema)
    def post(self, body: dict[str, Any], user_id: int) -> Any:
        """Remove every second factor and end the user's sessions; the user is told the
        reason. Needs mfa:reset and a fresh credential (see the README)."""
        user = user_or_404(user_id)
        mfa_flows.reset_all(auth.actor(), user, body["reason"])
        return _factors(user)


@blp.route("/users/<int:user_id>/factors/keys/<int:key_id>/remove")
class UserKeyRemove(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, FactorsSchema)
    def post(self, body: dict[str, Any], user_id: int, key_id: int) -> Any:
        """Remove one security key or passkey of the user. Needs mfa:reset, fresh."""
        user = user_or_404(user_id)
        key = next((k for k in mfa_flows.mfa_state(user).keys if k.id == key_id), None)
        if key is None:
            raise ApiProblem(404, "not_found", _l("This user has no key with this id."))
        mfa_flows.remove_key(auth.actor(), key, body["reason"])
        return _factors(user)


@blp.route("/users/<int:user_id>/factors/break-glass")
class UserBreakGlass(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(201, BreakGlassSchema)
    def post(self, body: dict[str, Any], user_id: int) -> Any:
        """Issue a short-lived one-time code that stands in for a lost second factor.
        Needs mfa:reset, fresh."""
        user = user_or_404(user_id)
        code, expires_at = mfa_flows.issue_break_glass(auth.actor(), user, body["reason"])
        return {"code": code, "expires_at": expires_at}, 201


# --- audit trail ---------------------------------------------------------------------------


class EventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    action = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_email = ma.fields.String(allow_none=True)
    subject_id = ma.fields.Integer(allow_none=True)
    subject_email = ma.fields.String(allow_none=True)
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(required=True)


class EventPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(EventSchema), required=True)


class EventFilterQuery(ma.Schema):
    """The trail's filters, as the page reads them (console.audit.query.EventFilter)."""

    actor = ma.fields.String(
        validate=ma.validate.Length(max=320), metadata={"description": "Email prefix"}
    )
    subject = ma.fields.String(
        validate=ma.validate.Length(max=320), metadata={"description": "Email prefix or id"}
    )
    action = ma.fields.String(
        validate=ma.validate.Length(max=80), metadata={"description": "Action prefix"}
    )
    ip = ma.fields.String(validate=ma.validate.Length(max=45))
    since = ma.fields.String(validate=ma.validate.Length(max=32))
    until = ma.fields.String(validate=ma.validate.Length(max=32))


class EventQuery(EventFilterQuery):
    before = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Cursor (from `next`)"},
    )
    size = ma.fields.Integer(validate=ma.validate.Range(min=1, max=200))


# The export's columns, less what the API gives in its own form (details) or not at all.
EVENT_FIELDS = tuple(
    name for name in audit_flows.EXPORT_COLUMNS if name not in ("details", "prev_hash", "hash")
)


def _event(event: AuditEvent) -> dict[str, Any]:
    return {
        **{name: getattr(event, name) for name in EVENT_FIELDS},
        "details": json.loads(event.details or "{}"),
    }


def event_filter_from(args: dict[str, Any]) -> audit_query.EventFilter:
    """The page's filter from the validated query; filters it cannot read are a 422."""
    names = EventFilterQuery().fields
    event_filter = audit_query.EventFilter.from_args(
        {k: str(v) for k, v in args.items() if k in names}
    )
    if event_filter.errors:
        raise ApiProblem(
            422,
            "invalid_request",
            _l("Some filters could not be read: see errors."),
            errors={k: [str(v)] for k, v in event_filter.errors.items()},
        )
    return event_filter


@blp.route("/audit/events")
class Events(MethodView):
    @blp.arguments(EventQuery, location="query", as_kwargs=True)
    @blp.response(200, EventPageSchema)
    def get(self, **args: Any) -> Any:
        """The audit trail, newest first, filtered like the page; keyset pages through
        `next`. Needs audit:read."""
        policy.require(auth.actor(), "audit:read")
        event_filter = event_filter_from(args)
        size = args.get("size") or setting("CONSOLE_PAGE_SIZE")
        result = audit_query.page(event_filter, args.get("before"), size)
        following = None
        headers = {}
        if result.next_before:
            following = url_for(
                "api_operations.Events",
                _external=True,
                **event_filter.as_args(),
                before=result.next_before,
                size=size,
            )
            headers["Link"] = f'<{following}>; rel="next"'
        return {"items": [_event(e) for e in result.events], "next": following}, 200, headers


class ExportQuery(EventFilterQuery):
    format = ma.fields.String(
        load_default="csv",
        validate=ma.validate.OneOf(list(audit_flows.EXPORT_FORMATS)),
        metadata={"description": "`csv` (the default), or `jsonl` for JSON Lines"},
    )


# What the document says of an export's body: text, one event per line after a CSV header.
EXPORT_COLUMNS_TEXT = ", ".join(audit_flows.EXPORT_COLUMNS)
CSV_BODY = {
    "type": "string",
    "description": f"A header line, then one event per line: {EXPORT_COLUMNS_TEXT}",
}
JSONL_BODY = {
    "type": "string",
    "description": f"One JSON object per line with the keys {EXPORT_COLUMNS_TEXT}",
}
EXPORTED = "The matching events, newest first, streamed"
CONTENT_DISPOSITION = {
    "Content-Disposition": {
        "description": "attachment, with the file name (audit.csv or audit.jsonl)",
        "schema": {"type": "string"},
    }
}


@blp.route("/audit/events/export")
class EventsExport(MethodView):
    @blp.arguments(ExportQuery, location="query", as_kwargs=True)
    @blp.response(
        200, CSV_BODY, content_type="text/csv", description=EXPORTED, headers=CONTENT_DISPOSITION
    )
    @blp.alt_response(
        200,
        schema=JSONL_BODY,
        content_type="application/jsonl",
        description=EXPORTED,
        success=True,
    )
    @blp.alt_response(
        200,
        schema=JSONL_BODY,
        content_type="application/x-ndjson",
        description=EXPORTED,
        success=True,
    )
    def get(self, format: str, **filters: Any) -> Any:  # noqa: A002 - the query's name
        """The filtered trail as a file, read in keyset batches and streamed as it is read:
        CSV (cells that would start a formula neutralized) or JSON Lines, served as
        application/x-ndjson to a client whose Accept prefers that name. Dates are ISO 8601
        UTC. The export is itself an audit event. Needs audit:read."""
        event_filter = event_filter_from(filters)
        rows = audit_flows.export(auth.actor(), format, event_filter)
        export = audit_flows.EXPORT_FORMATS[format]
        media_type = request.accept_mimetypes.best_match(
            export.media_types, default=export.media_types[0]
        )
        return downloads.streamed(rows, media_type, export.filename)


@blp.route("/audit/events/<int:event_id>")
class Event(MethodView):
    @blp.response(200, EventSchema)
    def get(self, event_id: int) -> Any:
        """One event of the trail. Needs audit:read."""
        policy.require(auth.actor(), "audit:read")
        event = db.session.get(AuditEvent, event_id) if id_in_range(event_id) else None
        if event is None:
            raise ApiProblem(404, "not_found", _l("There is no event with this id."))
        return _event(event)
