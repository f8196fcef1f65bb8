"""Account fixtures (cheap hashing, member, member_client, events) for second-factor tests."""

from __future__ import annotations

from tests.account.conftest import app_config, events, member, member_client

__all__ = ["app_config", "events", "member", "member_client"]
