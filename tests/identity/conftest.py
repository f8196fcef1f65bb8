"""Fixtures: a local OpenID Connect provider for the session, and apps configured with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.oidc import LocalProvider, local_provider, path_of


@pytest.fixture(scope="session")
def oidc() -> Iterator[LocalProvider]:
    with local_provider() as provider:
        yield provider


@pytest.fixture
def app_config(
    app_config: dict[str, Any], oidc: LocalProvider, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """The console with the local provider as "corp" (a test's settings marker may name its
    own providers, or change the policies; its provider_policy marker gives "corp" keys of its
    own)."""
    config = dict(app_config)
    own: dict[str, Any] = {}
    for marker in request.node.iter_markers("provider_policy"):
        own.update(marker.kwargs)
    config.setdefault("CONSOLE_OIDC_PROVIDERS", [oidc.config(**own)])
    return config


def provider_round_trip(
    client: FlaskClient, oidc: LocalProvider, start: str, sub: str, **data: Any
) -> Any:
    """POST `start` (Flask-Security's OAuth start, or a link), sign in at the provider as
    `sub`, and follow its answer back to the console; returns the console's response."""
    response = client.post(start, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    back = oidc.authorize(response.headers["Location"], sub)
    return client.get(path_of(back))


def provider_sign_in(client: FlaskClient, oidc: LocalProvider, sub: str, name: str = "corp") -> Any:
    """Sign in through the provider `name` as `sub`; the console's answer."""
    return provider_round_trip(client, oidc, f"/login/oauthstart/{name}", sub)
