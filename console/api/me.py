"""/me and /tokens: the caller's own account, and personal access tokens as JSON."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, g
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from ..core import factors, policy
from ..core.models import models
from ..extensions import db
from . import auth, tokens
from .fields import RoleRefSchema, UtcDateTime, id_in_range
from .handlers import blueprint
from .problems import ApiProblem

blp = blueprint("api_me", __name__, "The caller's own account and access tokens")


class TokenSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "Public handle"})
    name = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True, attribute="scope_list")
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    last_used_at = UtcDateTime(allow_none=True)
    last_ip = ma.fields.String(allow_none=True)


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    username = ma.fields.String(allow_none=True)
    locale = ma.fields.String(allow_none=True)
    timezone = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.Nested(RoleRefSchema), required=True)
    permissions = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "What this request may do (a token: its scopes still held)"},
    )
    factors = ma.fields.List(ma.fields.String(), required=True)
    token = ma.fields.Nested(TokenSchema, allow_none=True)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """The caller's account, the permissions this request carries and their factors."""
        user = auth.account()
        return {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "username": user.username,
            "locale": user.locale,
            "timezone": user.timezone,
            "roles": [{"id": role.id, "name": role.name} for role in user.roles],
            "permissions": sorted(policy.permissions_of(auth.actor())),
            "factors": [factor.key for factor in factors.set_up(user)],
            "token": g.get("api_token"),
        }


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @blp.response(200, TokenSchema(many=True))
    def get(self) -> Any:
        """The caller's tokens that still work (they are created on the security page)."""
        return tokens.tokens_of(auth.account())


@blp.route("/users/<int:user_id>/tokens")
class UserTokens(MethodView):
    @blp.response(200, TokenSchema(many=True))
    def get(self, user_id: int) -> Any:
        """A user's tokens that still work. Needs sessions:read (or being that user)."""
        owner = db.session.get(models().User, user_id) if id_in_range(user_id) else None
        if owner is None:
            raise ApiProblem(404, "not_found", _l("There is no user with this id."))
        policy.require(auth.actor(), tokens.READ_OTHERS, target=owner)
        return tokens.tokens_of(owner)


@blp.route("/tokens/<key>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, key: str) -> Any:
        """Revoke a token: the caller's own, or anyone's with sessions:revoke. Effective on
        the next request on every worker."""
        token = tokens.find(key[:16])
        if token is None:
            raise ApiProblem(404, "not_found", _l("There is no token with this key."))
        tokens.revoke_token(auth.actor(), token)
        return Response(status=204)
