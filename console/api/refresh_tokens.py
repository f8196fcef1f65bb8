"""/users/{id}/refresh-tokens: a user's live API refresh-token families (Flask-Security's
refresh tokens), listed and revoked through console.sessions.flows."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from ..core import policy
from ..sessions import flows as session_flows
from . import auth
from .fields import UtcDateTime
from .handlers import blueprint, documents_problems
from .problems import ApiProblem
from .users import user_or_404

blp = blueprint("api_refresh_tokens", __name__, "API refresh-token families of a user")

# A family id is a uuid4 hex; the column holds up to 64 characters.
FAMILY_MAX_LENGTH = 64


class RefreshFamilySchema(ma.Schema):
    family = ma.fields.String(
        required=True,
        attribute="refresh_family",
        metadata={"description": "The family's handle (never a token)"},
    )
    name = ma.fields.String(required=True)
    created_at = UtcDateTime(allow_none=True, attribute="create_datetime")
    last_used_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)


@blp.route("/users/<int:user_id>/refresh-tokens")
class UserRefreshTokens(MethodView):
    @blp.response(200, RefreshFamilySchema(many=True))
    @documents_problems(blp, 401, 403, 404)
    def get(self, user_id: int) -> Any:
        """A user's live refresh-token families, most recently used first (none while
        SECURITY_REFRESH_TOKEN is off). Needs sessions:read."""
        user = user_or_404(user_id)
        policy.require(auth.actor(), "sessions:read")
        return session_flows.live_families(user)


@blp.route("/users/<int:user_id>/refresh-tokens/<family>")
class UserRefreshToken(MethodView):
    @blp.response(204)
    @documents_problems(blp, 401, 403, 404)
    def delete(self, user_id: int, family: str) -> Any:
        """Revoke one refresh-token family: every token of it stops working. Needs
        sessions:revoke (or being its user)."""
        user = user_or_404(user_id)
        tracker = (
            session_flows.find_family(family[:FAMILY_MAX_LENGTH], user_id=user.id)
            if session_flows.refresh_tokens_enabled()
            else None
        )
        if tracker is None:
            raise ApiProblem(404, "not_found", _l("This user has no refresh token of this family."))
        session_flows.revoke_family(tracker, auth.actor())
        return Response(status=204)
