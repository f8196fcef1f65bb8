"""The providers' configuration is checked at start-up, and each kind is registered with
authlib as Flask-Security's shapes say (no network: nothing is fetched before a sign-in)."""

from __future__ import annotations

import pytest

from console import create_app
from console.config import ConfigError


def _app(providers, **config):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TESTING": True,
            "CONSOLE_OIDC_PROVIDERS": providers,
            **config,
        }
    )


ENTRY = {
    "name": "corp",
    "discovery_url": "https://id.example.com/.well-known/openid-configuration",
    "client_id": "id",
    "client_secret": "secret",
}


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({**ENTRY, "name": "Corp ID"}, "'name' must be"),
        ({**ENTRY, "discovery_url": None}, "needs its 'discovery_url'"),
        ({**ENTRY, "client_secret": ""}, "'client_secret' are required"),
        ({**ENTRY, "kind": "saml"}, "'kind' must be one of"),
        ({**ENTRY, "secret": "x"}, "unknown keys ['secret']"),
        ({**ENTRY, "trust_email": "yes"}, "'trust_email' is true or false"),
        (
            {
                "name": "github",
                "kind": "github",
                "client_id": "h",
                "client_secret": "s",
                "trust_email": True,
            },
            "'trust_email' is for OpenID Connect providers",
        ),
    ],
)
def test_a_wrong_provider_stops_the_console_saying_what_is_wrong(entry, complaint):
    with pytest.raises(ConfigError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        _app([entry])


def test_a_name_given_twice_is_refused():
    with pytest.raises(ConfigError, match="twice"):
        _app([ENTRY, ENTRY])


def test_without_providers_flask_security_oauth_stays_off():
    app = _app([])
    assert app.extensions["security"].oauthglue is None
    assert not any("oauth" in rule.rule for rule in app.url_map.iter_rules())


def test_each_kind_is_registered_with_its_shape_and_policies():
    from console.identity.config import parse
    from console.identity.providers import registration

    app = _app(
        [
            {**ENTRY, "label": "Corp ID", "create_accounts": True},
            {"name": "google", "kind": "google", "client_id": "g", "client_secret": "s"},
            {"name": "github", "kind": "github", "client_id": "h", "client_secret": "s"},
        ],
        CONSOLE_OIDC_SATISFIES_MFA=True,
    )
    providers = parse(app.config)
    assert app.extensions["security"].oauthglue.provider_names == ["corp", "google", "github"]
    corp, google, github = providers["corp"], providers["google"], providers["github"]
    assert (corp.label, corp.create_accounts, corp.match_email, corp.satisfies_mfa) == (
        "Corp ID",
        True,
        True,
        True,
    )
    assert registration(corp)["client_kwargs"]["code_challenge_method"] == "S256"
    assert registration(google)["server_metadata_url"].startswith("https://accounts.google.com/")
    assert (google.label, github.label) == ("Google", "GitHub")
    shape = registration(github)
    assert shape["authorize_url"] == "https://github.com/login/oauth/authorize"
    assert shape["client_id"] == "h" and shape["client_kwargs"]["scope"] == "user:email"
