"""`flask console adopt` on the quickstart's populated database: what it adds, that it
touches no existing value, that a second run changes nothing, and that --undo restores it."""

from __future__ import annotations

import warnings
from typing import Any

import sqlalchemy as sa
from flask import Flask

from . import dumps
from .conftest import ACCOUNTS, Quickstart, run

CONSOLE_TABLES = {
    "audit_event",
    "user_session",
    "outbox_message",
    "mfa_break_glass_code",
    "console_job",
    "console_job_report",
    "scim_user",
    "scim_group",
    "console_import",
    "console_import_chunk",
    "console_import_key",
    "webhook_endpoint",
    "webhook_delivery",
}


def _user_columns(url: str) -> set[str]:
    return set(dumps.table_columns(url)["user"])


def test_adoption_adds_what_the_console_needs_and_touches_no_existing_value(
    quickstart: Quickstart, console_app: Flask, database: str
):
    original_columns = dumps.table_columns(database)
    original_rows = dumps.rows(database)

    result = run(console_app, "console", "adopt", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Checking user.email_canonical" in result.output  # progress, batch by batch
    assert "Counting the members of each role" in result.output
    assert "added column user.email_canonical" in result.output
    assert f"{len(ACCOUNTS)} canonical addresses set, 2 role member counts set" in result.output

    tables = set(dumps.table_columns(database))
    assert tables >= CONSOLE_TABLES
    assert {"name", "email_canonical", "failed_login_count", "totp_last_counter"} <= (
        _user_columns(database)
    )
    # Every value the application had is still there, unchanged.
    assert dumps.rows(database, original_columns) == original_rows
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        counts = dict(connection.execute(sa.text("SELECT name, member_count FROM role")).all())
        canonical = connection.execute(
            sa.text('SELECT count(*) FROM "user" WHERE email_canonical = lower(email)')
        ).scalar()
    engine.dispose()
    assert counts == {"admin": 1, "user": 3}
    assert canonical == len(ACCOUNTS)


def test_a_second_run_changes_nothing(console_app: Flask, database: str):
    assert run(console_app, "console", "adopt").exit_code == 0
    schema, rows = dumps.schema(database), dumps.rows(database)

    again = run(console_app, "console", "adopt")
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.output
    assert dumps.schema(database) == schema
    assert dumps.rows(database) == rows
    dry = run(console_app, "console", "adopt", "--dry-run")
    assert "Nothing to add to the schema" in dry.output


def test_a_dry_run_lists_the_steps_and_changes_nothing(console_app: Flask, database: str):
    schema, rows = dumps.schema(database), dumps.rows(database)
    result = run(console_app, "console", "adopt", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would add table user_session" in result.output
    assert "would add index ix_user_email_lower on user" in result.output
    assert "would add trigger tr_roles_users_count_insert on roles_users" in result.output
    assert dumps.schema(database) == schema and dumps.rows(database) == rows


def test_undo_leaves_the_original_schema_and_rows(console_app: Flask, database: str):
    schema, rows = dumps.schema(database), dumps.rows(database)
    assert run(console_app, "console", "adopt").exit_code == 0
    assert dumps.schema(database) != schema

    refused = run(console_app, "console", "adopt", "--undo", input="n\n")
    assert refused.exit_code == 1 and "audit trail" in refused.output
    undone = run(console_app, "console", "adopt", "--undo", "--yes")
    assert undone.exit_code == 0, undone.output
    assert "removed column user.email_canonical" in undone.output
    assert dumps.schema(database) == schema
    assert dumps.rows(database) == rows

    again = run(console_app, "console", "adopt", "--undo", "--yes")
    assert "Nothing to undo" in again.output
    assert dumps.schema(database) == schema
    # And the way forward is open again.
    assert run(console_app, "console", "adopt").exit_code == 0
    assert "user_session" in dumps.table_columns(database)


def test_undo_removes_only_what_the_adoption_added(console_app: Flask, database: str):
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        # The application had a `name` column and an index of its own before the console.
        connection.execute(sa.text('ALTER TABLE "user" ADD COLUMN name VARCHAR(255)'))
        connection.execute(sa.text("UPDATE \"user\" SET name = 'kept' WHERE id = 1"))
        connection.execute(sa.text('CREATE INDEX ix_user_create_datetime ON "user" (id)'))
    engine.dispose()
    schema, rows = dumps.schema(database), dumps.rows(database)

    adopted = run(console_app, "console", "adopt")
    assert adopted.exit_code == 0, adopted.output
    assert "column user.name" not in adopted.output
    assert "ix_user_create_datetime" not in adopted.output
    assert run(console_app, "console", "adopt", "--undo", "--yes").exit_code == 0
    assert dumps.schema(database) == schema
    assert dumps.rows(database) == rows


def test_look_alike_addresses_stop_the_adoption_until_they_are_changed(
    quickstart: Quickstart, console_app: Flask, database: str
):
    from examples.fsqla_quickstart import before

    with quickstart.app.app_context():
        quickstart.app.security.datastore.create_user(
            email="Admin@me.com", password=None, first_name="Second"
        )
        before.db.session.commit()
    stopped = run(console_app, "console", "adopt")
    assert stopped.exit_code == 1
    assert "admin@me.com (id 1), Admin@me.com (id 6)" in stopped.output
    assert "run `flask console adopt` again" in stopped.output
    assert "ix_user_email_canonical" not in _index_names(database)

    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE \"user\" SET email = 'second@me.com' WHERE id = 6"))
    engine.dispose()
    resumed = run(console_app, "console", "adopt")
    assert resumed.exit_code == 0, resumed.output
    assert "added column" not in resumed.output  # done by the first run, not again
    assert "added index ix_user_email_canonical on user" in resumed.output
    assert "ix_user_email_canonical" in _index_names(database)


def test_the_standalone_console_is_sent_to_its_migrations(app: Any):
    result = app.test_cli_runner().invoke(args=["console", "adopt"])
    assert result.exit_code == 1
    assert "flask db upgrade heads" in result.output


def _index_names(url: str) -> set[str]:
    from console.adoption import database as catalogue

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        names = catalogue.index_names(connection, "user")
    engine.dispose()
    return names


def test_after_adoption_the_hosts_alembic_finds_nothing_to_change(adopted: Flask):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from examples.fsqla_quickstart.app import db

    with adopted.app_context(), warnings.catch_warnings():
        # SQLite's expression indexes cannot be reflected; PostgreSQL compares them too.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []


def test_a_role_that_was_full_administration_stays_so_after_a_release_adds_a_permission(
    console_app: Flask, database: str
):
    from console.core.permissions import ADDED_LATER, PERMISSIONS

    # An application adopted before SCIM: its "admin" role held every console permission
    # of that release; "user" held a few.
    before = sorted(ADDED_LATER["scim:provision"])
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        set_permissions = sa.text("UPDATE role SET permissions = :held WHERE name = :name")
        connection.execute(set_permissions, {"held": ",".join(before), "name": "admin"})
        connection.execute(set_permissions, {"held": "users:read", "name": "user"})

    result = run(console_app, "console", "adopt")
    assert result.exit_code == 0, result.output
    # scim:provision, then each permission added after it (webhooks:manage...).
    assert f"{len(ADDED_LATER)} permissions granted to full administrators" in result.output
    with engine.connect() as connection:
        held = dict(connection.execute(sa.text("SELECT name, permissions FROM role")).all())
    engine.dispose()
    assert set(held["admin"].split(",")) == set(PERMISSIONS)
    assert held["user"] == "users:read"
    assert "Nothing to do" in run(console_app, "console", "adopt").output
