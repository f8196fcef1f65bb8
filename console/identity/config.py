"""The identity providers the console is configured with, read from CONSOLE_OIDC_PROVIDERS and
checked at start-up, and the Flask-Security settings that turn its OAuth support on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..config import ConfigError
from ..settings import setting

# The shapes of provider the console knows: any OpenID Connect provider by its discovery
# document, and Flask-Security's two built-in ones.
KINDS = ("oidc", "google", "github")
GOOGLE_DISCOVERY = "https://accounts.google.com/.well-known/openid-configuration"
DEFAULT_LABELS = {"google": "Google", "github": "GitHub"}
DEFAULT_SCOPES = {"oidc": "openid email profile", "google": "openid email profile"}
# A provider's name is part of its URLs and of every link stored for it.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
KEYS = frozenset(
    {
        "name",
        "label",
        "kind",
        "discovery_url",
        "client_id",
        "client_secret",
        "scopes",
        "match_email",
        "create_accounts",
        "satisfies_mfa",
        "trust_email",
    }
)


@dataclass(frozen=True)
class Provider:
    """One configured identity provider and the policies that apply to its sign-ins."""

    name: str
    label: str
    kind: str
    client_id: str
    client_secret: str
    discovery_url: str | None
    scopes: str | None
    match_email: bool
    create_accounts: bool
    satisfies_mfa: bool
    # The provider's answers leave out `email_verified` but it only ever gives addresses it
    # controls (a company's Microsoft Entra ID tenant, say): an address without the claim
    # counts as verified. An explicit `email_verified: false` is still unverified.
    trust_email: bool = False


def parse(config: Mapping[str, Any]) -> dict[str, Provider]:
    """The configured providers by name; raises ConfigError naming what is wrong."""
    entries = setting("CONSOLE_OIDC_PROVIDERS", config) or []
    if isinstance(entries, Mapping):
        entries = [{"name": name, **dict(entry)} for name, entry in entries.items()]
    found: dict[str, Provider] = {}
    for entry in entries:
        provider = _provider(entry, config)
        if provider.name in found:
            raise ConfigError(f"CONSOLE_OIDC_PROVIDERS names the provider {provider.name!r} twice.")
        found[provider.name] = provider
    return found


def _provider(entry: Any, config: Mapping[str, Any]) -> Provider:
    if not isinstance(entry, Mapping):
        raise ConfigError("CONSOLE_OIDC_PROVIDERS: each provider is a mapping (a JSON object).")
    unknown = sorted(set(entry) - KEYS)
    name = str(entry.get("name") or "")
    where = f"CONSOLE_OIDC_PROVIDERS[{name or '?'}]"
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; known keys are {sorted(KEYS)}.")
    if not NAME.match(name):
        raise ConfigError(
            f"{where}: 'name' must be lower-case letters, digits, '-' or '_' (it is part of "
            "the provider's URLs and stored with every link to it)."
        )
    kind = str(entry.get("kind") or "oidc")
    if kind not in KINDS:
        raise ConfigError(f"{where}: 'kind' must be one of {list(KINDS)}.")
    discovery = entry.get("discovery_url") or (GOOGLE_DISCOVERY if kind == "google" else None)
    if kind == "oidc" and not discovery:
        raise ConfigError(f"{where}: an OpenID Connect provider needs its 'discovery_url'.")
    if not entry.get("client_id") or not entry.get("client_secret"):
        raise ConfigError(f"{where}: 'client_id' and 'client_secret' are required.")
    trust_email = entry.get("trust_email", False)
    if not isinstance(trust_email, bool):
        raise ConfigError(f"{where}: 'trust_email' is true or false.")
    if trust_email and kind != "oidc":
        raise ConfigError(
            f"{where}: 'trust_email' is for OpenID Connect providers; {kind} always says "
            "whether it verified an address."
        )

    def policy(key: str) -> bool:
        value = entry.get(key)
        return bool(setting(f"CONSOLE_OIDC_{key.upper()}", config) if value is None else value)

    return Provider(
        name=name,
        label=str(entry.get("label") or DEFAULT_LABELS.get(kind) or name),
        kind=kind,
        client_id=str(entry["client_id"]),
        client_secret=str(entry["client_secret"]),
        discovery_url=discovery,
        scopes=entry.get("scopes") or DEFAULT_SCOPES.get(kind),
        match_email=policy("match_email"),
        create_accounts=policy("create_accounts"),
        satisfies_mfa=policy("satisfies_mfa"),
        trust_email=trust_email,
    )


def security_options(app: Flask) -> dict[str, Any]:
    """Before Flask-Security is set up: its OAuth support on when providers are configured
    (its built-in providers off: the console registers each configured one itself), and the
    options for Security(...)."""
    providers = parse(app.config)
    app.config.setdefault("SECURITY_OAUTH_ENABLE", bool(providers))
    app.config.setdefault("SECURITY_OAUTH_BUILTIN_PROVIDERS", [])
    if not app.config["SECURITY_OAUTH_ENABLE"]:
        return {}
    from .providers import ConsoleOAuth

    return {"oauth": ConsoleOAuth(app)}
