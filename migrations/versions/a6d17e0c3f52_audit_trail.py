"""audit trail: hash-chained events, chain head and daily counters

Revision ID: a6d17e0c3f52
Revises: c31fcff8689d
Create Date: 2026-11-22 22:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6d17e0c3f52'
down_revision = 'c31fcff8689d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_email', sa.String(length=320), nullable=True),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('subject_email', sa.String(length=320), nullable=True),
        sa.Column('action', sa.String(length=80), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=255), nullable=True),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_created_at', ['created_at'], unique=False)
        batch_op.create_index(
            'ix_audit_event_action', ['action'], unique=False,
            postgresql_ops={'action': 'varchar_pattern_ops'},
        )
        batch_op.create_index(
            'ix_audit_event_actor_email', ['actor_email'], unique=False,
            postgresql_ops={'actor_email': 'varchar_pattern_ops'},
        )
        batch_op.create_index(
            'ix_audit_event_subject_email', ['subject_email'], unique=False,
            postgresql_ops={'subject_email': 'varchar_pattern_ops'},
        )
        batch_op.create_index('ix_audit_event_subject_id_id', ['subject_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_actor_id_id', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_ip', ['ip'], unique=False)

    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=True),
        sa.Column('anchor_event_id', sa.Integer(), nullable=True),
        sa.Column('anchor_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    op.create_table(
        'audit_daily_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('action', sa.String(length=80), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'action', name=op.f('pk_audit_daily_count')),
    )


def downgrade():
    op.drop_table('audit_daily_count')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_ip')
        batch_op.drop_index('ix_audit_event_actor_id_id')
        batch_op.drop_index('ix_audit_event_subject_id_id')
        batch_op.drop_index('ix_audit_event_subject_email')
        batch_op.drop_index('ix_audit_event_actor_email')
        batch_op.drop_index('ix_audit_event_action')
        batch_op.drop_index('ix_audit_event_created_at')
    op.drop_table('audit_event')
