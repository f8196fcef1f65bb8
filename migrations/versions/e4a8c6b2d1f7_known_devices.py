"""known devices: the browsers and networks each account signed in from (new-device notice)

Revision ID: e4a8c6b2d1f7
Revises: d3c5a7e9b1f2
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4a8c6b2d1f7'
down_revision = 'd3c5a7e9b1f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('known_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_known_device_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_device')),
    sa.UniqueConstraint('user_id', 'fingerprint', 'network', name=op.f('uq_known_device_user_id'))
    )
    with op.batch_alter_table('known_device', schema=None) as batch_op:
        batch_op.create_index('ix_known_device_last_seen_at', ['last_seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('known_device', schema=None) as batch_op:
        batch_op.drop_index('ix_known_device_last_seen_at')

    op.drop_table('known_device')
