"""Account fixtures (member_client) for second-factor tests."""

from __future__ import annotations

from tests.account.conftest import member_client

__all__ = ["member_client"]
