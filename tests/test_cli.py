"""`flask console create-operator` and `flask console demo`."""

from __future__ import annotations

import sqlalchemy as sa

from console.extensions import db
from console.models import User
from tests.conftest import login


def test_create_operator_with_generated_password_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["console", "create-operator", "Boss@Example.com", "--generate"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    user = db.session.scalar(sa.select(User).where(User.email == "Boss@example.com"))
    assert user is not None and user.has_permission("users:write")
    assert login(client, "boss@example.com", password).status_code == 302


def test_create_operator_prompts_and_rejects_short_passwords(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["console", "create-operator", "a@example.com"], input="short\nshort\n"
    )
    assert short.exit_code != 0
    assert "at least 8" in short.output


def test_create_operator_refuses_an_invalid_email(app):
    result = app.test_cli_runner().invoke(
        args=["console", "create-operator", "not-an-email", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_demo_creates_people_once_and_prints_credentials(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["console", "demo", "--users", "12"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["console", "demo", "--users", "12"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count
    password = second.output.split("password: ")[1].split()[0]
    assert login(client, "admin@example.com", password).status_code == 302
