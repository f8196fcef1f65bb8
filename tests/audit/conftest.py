"""Audit fixtures: the stored events and the `flask console audit` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask


@pytest.fixture
def stored_events(app: Flask) -> Callable[..., list[Any]]:
    """stored_events(action_prefix="") -> the stored audit events, oldest first."""
    from console.audit.models import AuditEvent
    from console.extensions import db

    def read(action: str = "") -> list[Any]:
        db.session.expire_all()
        stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action.startswith(action))
        return list(db.session.scalars(stmt))

    return read


@pytest.fixture
def audit_cli(app: Flask) -> Callable[..., Any]:
    """audit_cli("verify") runs `flask console audit verify` against the test's app."""
    runner = app.test_cli_runner(mix_stderr=False) if _mix_stderr_supported() else None

    def run(*args: str) -> Any:
        cli = runner or app.test_cli_runner()
        return cli.invoke(args=["console", "audit", *args])

    return run


def _mix_stderr_supported() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters
