"""webhooks: the endpoints that receive audit events and their deliveries, and the
webhooks:manage permission for the roles that held every other console permission (so that
they stay full administration)

Revision ID: b5d9e3f7a2c4
Revises: e4a8c6b2d1f7
Create Date: 2026-12-12 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d9e3f7a2c4'
down_revision = 'e4a8c6b2d1f7'
branch_labels = None
depends_on = None

# The console's permissions before this revision: holding them all was full administration.
BEFORE = {
    'users:read', 'users:write', 'roles:read', 'roles:write', 'sessions:read',
    'sessions:revoke', 'mfa:read', 'mfa:reset', 'audit:read', 'mail:read', 'scim:provision',
}
PERMISSION = 'webhooks:manage'
role = sa.table('role', sa.column('id', sa.Integer), sa.column('permissions', sa.Text))


def _permissions(text):
    return [name for name in (text or '').split(',') if name]


def upgrade():
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_email', sa.String(length=320), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_endpoint_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_endpoint_id_id', ['endpoint_id', 'id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_endpoint_id_state_id', ['endpoint_id', 'state', 'id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)

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

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_state_next_attempt_at')
        batch_op.drop_index('ix_webhook_delivery_endpoint_id_state_id')
        batch_op.drop_index('ix_webhook_delivery_endpoint_id_id')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoint_created_by_id'))

    op.drop_table('webhook_endpoint')
