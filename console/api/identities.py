"""/users/{id}/identities and /users/{id}/personal-data: the sign-in providers linked to an
account (read, remove one with a reason) and an operator's copy of an account's personal
data, thin adapters over console.identity and console.privacy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from ..core import downloads, policy
from ..identity import flows as identity_flows
from ..privacy import flows as privacy_flows
from . import auth
from .fields import ReasonSchema, UtcDateTime
from .handlers import blueprint
from .problems import ApiProblem
from .users import user_or_404

blp = blueprint(
    "api_identities",
    __name__,
    "Sign-in providers linked to accounts, and copies of an account's personal data",
)


class LinkedIdentitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    provider = ma.fields.String(required=True, metadata={"description": "The provider's name"})
    label = ma.fields.String(required=True, metadata={"description": "The name people read"})
    configured = ma.fields.Boolean(
        required=True,
        metadata={"description": "False when the provider is no longer configured here"},
    )
    subject = ma.fields.String(required=True, metadata={"description": "The provider's `sub`"})
    email = ma.fields.String(
        allow_none=True, metadata={"description": "The address it gave when last seen"}
    )
    linked_at = UtcDateTime(required=True)
    last_used_at = UtcDateTime(allow_none=True)


def _present(item: identity_flows.Linked) -> dict[str, Any]:
    row = item.identity
    return {
        "id": row.id,
        "provider": row.provider,
        "label": item.label,
        "configured": item.configured,
        "subject": row.subject,
        "email": row.email,
        "linked_at": row.created_at,
        "last_used_at": row.last_used_at,
    }


def _identities(user: Any) -> list[dict[str, Any]]:
    return [_present(item) for item in identity_flows.linked(user)]


@blp.route("/users/<int:user_id>/identities")
class UserIdentities(MethodView):
    @blp.response(200, LinkedIdentitySchema(many=True))
    def get(self, user_id: int) -> Any:
        """The identity providers' accounts that sign in to this user, by provider. Needs
        users:read."""
        user = user_or_404(user_id)
        policy.require(auth.actor(), "users:read")
        return _identities(user)


@blp.route("/users/<int:user_id>/identities/<int:identity_id>/remove")
class UserIdentityRemove(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, LinkedIdentitySchema(many=True))
    def post(self, body: dict[str, Any], user_id: int, identity_id: int) -> Any:
        """Remove one linked provider account (lost or compromised): its next sign-in is
        refused. The user is mailed the reason. Answers the links left. Needs users:write
        and may not be used on one's own account."""
        user = user_or_404(user_id)
        identity = identity_flows.live_identity(identity_id)
        if identity is None or identity.user_id != user.id:
            raise ApiProblem(404, "not_found", _l("This user has no linked provider with this id."))
        identity_flows.remove(auth.actor(), identity, body["reason"])
        return _identities(user)


# What the document says of the file: one JSON object, its sections named in the header.
PERSONAL_DATA_BODY = {
    "type": "object",
    "description": (
        "`generated_at`, `site`, `account_id`, `prepared_for`, `omitted_sections` (the "
        "sections the caller may not read), then one key per section of personal data"
    ),
}
CONTENT_DISPOSITION = {
    "Content-Disposition": {
        "description": "attachment, with the file name (personal-data-ID-YYYYMMDD.json)",
        "schema": {"type": "string"},
    }
}


def _escaped(chunks: Iterable[str]) -> Iterator[str]:
    """The file's JSON with <, > and & written as \\u escapes, chunk by chunk, as every other
    JSON answer of the API (console.api.handlers.escape_markup), without holding the file."""
    for chunk in chunks:
        yield chunk.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@blp.route("/users/<int:user_id>/personal-data")
class UserPersonalData(MethodView):
    @blp.response(
        200,
        PERSONAL_DATA_BODY,
        content_type=privacy_flows.EXPORT_MEDIA_TYPE,
        description="The account's personal data, streamed",
        headers=CONTENT_DISPOSITION,
    )
    def get(self, user_id: int) -> Any:
        """A copy of everything the console holds about the account (to answer its holder's
        request, say), as the user page's download gives it: sections whose page the caller
        may not open are left out and named. The copy is itself an audit event. Needs
        users:read."""
        user = user_or_404(user_id)
        result = privacy_flows.export_for(auth.actor(), user)
        return downloads.streamed(
            _escaped(result.chunks), privacy_flows.EXPORT_MEDIA_TYPE, result.filename
        )
