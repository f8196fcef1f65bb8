"""impersonation: the users:impersonate permission for the roles that held every other
console permission (so that they stay full administration); no schema change, since the
impersonated session is a row of user_session like any other

Revision ID: c7e9b1d3f5a8
Revises: a4c6e8f0b2d5
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e9b1d3f5a8'
down_revision = 'a4c6e8f0b2d5'
branch_labels = None
depends_on = None

# The console's permissions before this revision: holding them all was full administration.
BEFORE = {
    'users:read', 'users:write', 'roles:read', 'roles:write', 'sessions:read',
    'sessions:revoke', 'mfa:read', 'mfa:reset', 'audit:read', 'mail:read', 'scim:provision',
    'webhooks:manage',
}
PERMISSION = 'users:impersonate'
role = sa.table('role', sa.column('id', sa.Integer), sa.column('permissions', sa.Text))


def _permissions(text):
    return [name for name in (text or '').split(',') if name]


def upgrade():
    connection = op.get_bind()
    for role_id, text in connection.execute(sa.select(role.c.id, role.c.permissions)):
        held = _permissions(text)
        if set(held) >= BEFORE and PERMISSION not in held:
            connection.execute(
                role.update().where(role.c.id == role_id).values(permissions=','.join([*held, PERMISSION]))
            )


def downgrade():
    connection = op.get_bind()
    for role_id, text in connection.execute(sa.select(role.c.id, role.c.permissions)):
        held = _permissions(text)
        if PERMISSION in held:
            kept = ','.join(name for name in held if name != PERMISSION)
            connection.execute(role.update().where(role.c.id == role_id).values(permissions=kept))
