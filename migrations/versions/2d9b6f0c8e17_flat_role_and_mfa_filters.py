"""flat role and MFA filters: user.has_second_factor, roles_users.user_create_datetime

Revision ID: 2d9b6f0c8e17
Revises: 4c7a2e9d1f60
Create Date: 2026-12-03 00:30:00.000000

The user list filtered by a role or by "has MFA" is read off an index ordered like the list
(newest first, then id), so that a page reads its own rows and no more however many
accounts match. Two derived columns make that possible:

- user.has_second_factor, kept by the application from its factor registry
  (console.core.factor_flag); filled here for the shipped factors as they are at this
  revision: an authenticator app or email codes (with a secret), or a security key
  registered for second-factor use.
- roles_users.user_create_datetime, a copy of the member's create_datetime kept by the
  triggers below whatever writes a membership (the same as
  console.core.schema.member_created_triggers makes for a host's tables).

Both are filled in keyset batches of user ids, so each statement stays small at a million
accounts; the indexes are built once, after the values are in.
"""
from alembic import op
import sqlalchemy as sa


revision = '2d9b6f0c8e17'
down_revision = '4c7a2e9d1f60'
branch_labels = None
depends_on = None

BATCH = 20_000

HAS_SECOND_FACTOR = (
    "(tf_primary_method IN ('authenticator', 'email') AND tf_totp_secret IS NOT NULL) "
    "OR EXISTS (SELECT 1 FROM webauthn WHERE webauthn.user_id = \"user\".id "
    "AND webauthn.usage = 'secondary')"
)

POSTGRES_TRIGGERS = (
    """CREATE FUNCTION roles_users_created() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.user_create_datetime := (SELECT create_datetime FROM "user" WHERE id = NEW.user_id);
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION roles_users_created_carry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE roles_users SET user_create_datetime = NEW.create_datetime WHERE user_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tr_roles_users_created_fill
        BEFORE INSERT OR UPDATE OF user_id ON roles_users
        FOR EACH ROW EXECUTE FUNCTION roles_users_created()""",
    """CREATE TRIGGER tr_roles_users_created_carry
        AFTER UPDATE OF create_datetime ON "user" FOR EACH ROW
        WHEN (OLD.create_datetime IS DISTINCT FROM NEW.create_datetime)
        EXECUTE FUNCTION roles_users_created_carry()""",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER tr_roles_users_created_fill AFTER INSERT ON roles_users BEGIN
        UPDATE roles_users SET user_create_datetime =
            (SELECT create_datetime FROM "user" WHERE id = NEW.user_id)
        WHERE rowid = NEW.rowid;
    END""",
    """CREATE TRIGGER tr_roles_users_created_move AFTER UPDATE OF user_id ON roles_users BEGIN
        UPDATE roles_users SET user_create_datetime =
            (SELECT create_datetime FROM "user" WHERE id = NEW.user_id)
        WHERE rowid = NEW.rowid;
    END""",
    """CREATE TRIGGER tr_roles_users_created_carry AFTER UPDATE OF create_datetime ON "user"
        WHEN OLD.create_datetime IS NOT NEW.create_datetime BEGIN
        UPDATE roles_users SET user_create_datetime = NEW.create_datetime WHERE user_id = NEW.id;
    END""",
)


def _batches(conn):
    """(low, high] ranges of user ids, BATCH wide, over every account."""
    last = conn.execute(sa.text('SELECT max(id) FROM "user"')).scalar() or 0
    return ((low, low + BATCH) for low in range(0, last, BATCH))


def upgrade():
    conn = op.get_bind()
    postgresql = conn.dialect.name == 'postgresql'
    if postgresql:
        # A pass over a million accounts may take longer than a request may.
        op.execute('SET LOCAL statement_timeout = 0')
    op.add_column(
        'user', sa.Column('has_second_factor', sa.Boolean(), server_default='0', nullable=False)
    )
    op.add_column('roles_users', sa.Column('user_create_datetime', sa.DateTime(), nullable=True))
    # The triggers first: a membership written from here on is filled by them.
    for statement in POSTGRES_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    flag = sa.text(
        f'UPDATE "user" SET has_second_factor = {"true" if postgresql else "1"} '  # noqa: S608
        f'WHERE id > :low AND id <= :high AND ({HAS_SECOND_FACTOR})'
    )
    created = sa.text(
        'UPDATE roles_users SET user_create_datetime = '
        '(SELECT create_datetime FROM "user" WHERE "user".id = roles_users.user_id) '
        'WHERE user_id > :low AND user_id <= :high'
    )
    for low, high in _batches(conn):
        conn.execute(flag, {'low': low, 'high': high})
        conn.execute(created, {'low': low, 'high': high})
    op.create_index(
        'ix_user_has_second_factor_created',
        'user',
        ['has_second_factor', 'create_datetime', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_roles_users_role_id_user_create_datetime',
        'roles_users',
        ['role_id', 'user_create_datetime', 'user_id'],
        unique=False,
    )
    if postgresql:
        # The planner picks the new indexes from statistics of the new columns; autovacuum
        # would gather them within minutes, the first pages after the upgrade need them now.
        op.execute('ANALYZE "user", roles_users')


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute('DROP TRIGGER tr_roles_users_created_carry ON "user"')
        op.execute('DROP TRIGGER tr_roles_users_created_fill ON roles_users')
        op.execute('DROP FUNCTION roles_users_created_carry()')
        op.execute('DROP FUNCTION roles_users_created()')
    else:
        for name in (
            'tr_roles_users_created_carry',
            'tr_roles_users_created_move',
            'tr_roles_users_created_fill',
        ):
            op.execute(f'DROP TRIGGER {name}')
    op.drop_index('ix_roles_users_role_id_user_create_datetime', table_name='roles_users')
    op.drop_index('ix_user_has_second_factor_created', table_name='user')
    op.drop_column('roles_users', 'user_create_datetime')
    op.drop_column('user', 'has_second_factor')
