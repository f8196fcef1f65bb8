"""SCIM provisioning: what a provider keeps about an account or a role, and the scim:provision
permission for the roles that held every other console permission (so that they stay
full administration)

Revision ID: 7b4e2c9d1a63
Revises: 6a3f9c1e7b25
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b4e2c9d1a63'
down_revision = '6a3f9c1e7b25'
branch_labels = None
depends_on = None

# The console's permissions before this revision: holding them all was full administration.
BEFORE = {
    'users:read', 'users:write', 'roles:read', 'roles:write', 'sessions:read',
    'sessions:revoke', 'mfa:read', 'mfa:reset', 'audit:read', 'mail:read',
}
SCOPE = 'scim:provision'
role = sa.table('role', sa.column('id', sa.Integer), sa.column('permissions', sa.Text))


def _permissions(text):
    return [name for name in (text or '').split(',') if name]


def upgrade():
    op.create_table('scim_user',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('given_name', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_scim_user_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_scim_user'))
    )
    with op.batch_alter_table('scim_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_user_external_id'), ['external_id'], unique=False)

    op.create_table('scim_group',
    sa.Column('role_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_scim_group_role_id_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', name=op.f('pk_scim_group'))
    )
    with op.batch_alter_table('scim_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_group_external_id'), ['external_id'], unique=False)

    connection = op.get_bind()
    for role_id, text in connection.execute(sa.select(role.c.id, role.c.permissions)):
        held = _permissions(text)
        if set(held) >= BEFORE and SCOPE not in held:
            connection.execute(
                role.update().where(role.c.id == role_id).values(permissions=','.join([*held, SCOPE]))
            )


def downgrade():
    connection = op.get_bind()
    for role_id, text in connection.execute(sa.select(role.c.id, role.c.permissions)):
        held = _permissions(text)
        if SCOPE in held:
            kept = ','.join(name for name in held if name != SCOPE)
            connection.execute(role.update().where(role.c.id == role_id).values(permissions=kept))

    with op.batch_alter_table('scim_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_group_external_id'))

    op.drop_table('scim_group')
    with op.batch_alter_table('scim_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_user_external_id'))

    op.drop_table('scim_user')
