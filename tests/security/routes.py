"""The application's routes as the security suite walks them: every rule, with sample values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask

from console import ADMIN_ENDPOINT

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Pages anybody may open without signing in: the sign-in ceremonies, e-mail links, health.
PUBLIC_ENDPOINTS = frozenset(
    {
        "console.home",
        "console.healthz",
        "console.static",
        "console.set_language",
        "console.set_theme",
        "console.favicon",
        "security.static",
        "security.login",
        "security.logout",
        "security.register",
        "security.forgot_password",
        "security.reset_password",
        "security.send_confirmation",
        "security.confirm_email",
        "security.change_email_confirm",
        "security.recover_username",
        "security.us_signin",
        "security.us_signin_send_code",
        "security.us_verify_link",
        "security.wan_signin",
        "security.wan_signin_response",
        "security.two_factor_token_validation",
        "security.two_factor_rescue",
        "security.tf_select",
        "security.mf_recovery",
        "mfa.break_glass",
        # A new-device notice's "this wasn't me" link: its signed token is the credential.
        "account.not_me",
        # The API's OpenAPI document describes it and holds no data.
        "api_docs.openapi_json",
    }
)

# SCIM reads no cookie: its only credential is the bearer token a cross-site request cannot
# carry, so a request without one is refused as unauthenticated (401), CSRF token or not.
BEARER_ONLY_PREFIXES = ("/scim/v2/",)

# Operator pages live under the admin URL (and the development outbox).
OPERATOR_PREFIXES = ("/admin/",)
OPERATOR_EXEMPT = frozenset({f"{ADMIN_ENDPOINT}.index", f"{ADMIN_ENDPOINT}.static"})

# Flask-Security's e-mail links and sign-in steps that change state on GET by design: the
# link's token is the credential (and rate-limited), so a cross-site GET cannot forge it.
GET_STATE_CHANGES = frozenset(
    {"security.confirm_email", "security.change_email_confirm", "security.us_verify_link"}
)


@dataclass(frozen=True)
class Route:
    endpoint: str
    url: str
    methods: frozenset[str]

    @property
    def operator_only(self) -> bool:
        return self.url.startswith(OPERATOR_PREFIXES) and self.endpoint not in OPERATOR_EXEMPT

    @property
    def bearer_only(self) -> bool:
        return self.url.startswith(BEARER_ONLY_PREFIXES)

    @property
    def public(self) -> bool:
        return self.endpoint in PUBLIC_ENDPOINTS or self.endpoint.endswith(".static")


def routes(app: Flask) -> Iterator[Route]:
    """Every rule of the app with its arguments filled with sample values."""
    from werkzeug.routing import IntegerConverter

    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        values = {
            name: 1 if isinstance(converter, IntegerConverter) else "sample"
            for name, converter in rule._converters.items()
        }
        methods = frozenset((rule.methods or set()) - {"HEAD", "OPTIONS"})
        url = adapter.build(rule.endpoint, values, method=next(iter(methods), None))
        yield Route(rule.endpoint, url, methods)
