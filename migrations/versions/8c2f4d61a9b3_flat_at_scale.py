"""flat at scale: dashboard snapshot, role member counters, passkeys by owner, user-list indexes

Revision ID: 8c2f4d61a9b3
Revises: c31fcff8689d
Create Date: 2026-11-22 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '8c2f4d61a9b3'
down_revision = 'c31fcff8689d'
branch_labels = None
depends_on = None

# The user list orders nullable keys "ASC NULLS FIRST" / "DESC NULLS LAST" (then by id).
# SQLite sorts NULLs first in every index (and cannot spell it out); PostgreSQL needs the
# NULLS FIRST written in the index.
ORDER_INDEXES = {
    'postgresql': {
        'ix_user_name_lower_id': ['lower(name) NULLS FIRST', 'id'],
        'ix_user_current_login_at_id': ['current_login_at NULLS FIRST', 'id'],
    },
    # lower(name) is served by ix_user_name_lower (SQLite appends the rowid to every index).
    'sqlite': {'ix_user_current_login_at_id': ['current_login_at', 'id']},
}

# role.member_count follows every change to roles_users, whichever code (or cascade) makes it.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER tr_roles_users_count_insert AFTER INSERT ON roles_users BEGIN
        UPDATE role SET member_count = member_count + 1 WHERE id = NEW.role_id;
    END""",
    """CREATE TRIGGER tr_roles_users_count_delete AFTER DELETE ON roles_users BEGIN
        UPDATE role SET member_count = member_count - 1 WHERE id = OLD.role_id;
    END""",
    """CREATE TRIGGER tr_roles_users_count_update AFTER UPDATE OF role_id ON roles_users BEGIN
        UPDATE role SET member_count = member_count - 1 WHERE id = OLD.role_id;
        UPDATE role SET member_count = member_count + 1 WHERE id = NEW.role_id;
    END""",
)
# PostgreSQL: statement triggers with transition tables, one UPDATE per role per statement
# (a bulk insert or COPY of a million memberships costs one update, not a million).
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION roles_users_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE role SET member_count = member_count - changed.n
            FROM (SELECT role_id, count(*) AS n FROM old_rows GROUP BY role_id) AS changed
            WHERE role.id = changed.role_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE role SET member_count = member_count + changed.n
            FROM (SELECT role_id, count(*) AS n FROM new_rows GROUP BY role_id) AS changed
            WHERE role.id = changed.role_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tr_roles_users_count_insert AFTER INSERT ON roles_users
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION roles_users_count()""",
    """CREATE TRIGGER tr_roles_users_count_delete AFTER DELETE ON roles_users
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION roles_users_count()""",
    """CREATE TRIGGER tr_roles_users_count_update AFTER UPDATE ON roles_users
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION roles_users_count()""",
)
TRIGGER_NAMES = (
    'tr_roles_users_count_insert',
    'tr_roles_users_count_delete',
    'tr_roles_users_count_update',
)


def upgrade():
    op.create_table('dashboard_snapshot',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('refreshing_since', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshot'))
    )
    with op.batch_alter_table('webauthn', schema=None) as batch_op:
        batch_op.create_index('ix_webauthn_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_confirmed_at', ['confirmed_at'], unique=False)
        batch_op.create_index('ix_user_locked_until', ['locked_until'], unique=False)
    dialect = op.get_bind().dialect.name
    for name, columns in ORDER_INDEXES.get(dialect, {}).items():
        op.create_index(name, 'user', [sa.literal_column(c) for c in columns], unique=False)
    with op.batch_alter_table('role', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_count', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        'UPDATE role SET member_count = '
        '(SELECT count(*) FROM roles_users WHERE roles_users.role_id = role.id)'
    )
    for statement in POSTGRES_TRIGGERS if dialect == 'postgresql' else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in TRIGGER_NAMES:
        op.execute(f'DROP TRIGGER {name} ON roles_users' if dialect == 'postgresql' else f'DROP TRIGGER {name}')
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION roles_users_count()')
    with op.batch_alter_table('role', schema=None) as batch_op:
        batch_op.drop_column('member_count')
    for name in ORDER_INDEXES.get(dialect, {}):
        op.drop_index(name, table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_locked_until')
        batch_op.drop_index('ix_user_confirmed_at')
    with op.batch_alter_table('webauthn', schema=None) as batch_op:
        batch_op.drop_index('ix_webauthn_user_id')
    op.drop_table('dashboard_snapshot')
