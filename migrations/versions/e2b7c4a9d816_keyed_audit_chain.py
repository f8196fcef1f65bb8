"""keyed audit chain: a key id per event, the head's counters, switch point and anchor seal

Events already stored keep their plain SHA-256 links: the newest of them (or the purge
anchor, when the table is empty) becomes the head's switch point, and every later event is
linked with an HMAC under an audit key kept outside the database. The head starts counting
from the events present.

Downgrading drops the key ids and the seal: events written since then no longer verify
with the plain chain of the older code.

Revision ID: e2b7c4a9d816
Revises: b5d9e3f7a2c4
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b7c4a9d816'
down_revision = 'b5d9e3f7a2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=32), nullable=True))

    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('event_count', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('purged_count', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('plain_until_event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('anchor_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('anchor_seal', sa.String(length=64), nullable=True))

    connection = op.get_bind()
    present, newest = connection.execute(
        sa.text('SELECT COUNT(*), MAX(id) FROM audit_event')
    ).one()
    head = connection.execute(
        sa.text('SELECT anchor_event_id FROM audit_chain_head WHERE id = 1')
    ).first()
    anchor = head.anchor_event_id if head is not None else None
    switch = max(newest or 0, anchor or 0) or None
    if head is not None:
        connection.execute(
            sa.text(
                'UPDATE audit_chain_head SET event_count = :present, '
                'plain_until_event_id = :switch WHERE id = 1'
            ),
            {'present': present, 'switch': switch},
        )
    elif newest is not None:
        # Events without a head (written by hand): the head the chain would have had.
        last_hash = connection.execute(
            sa.text('SELECT hash FROM audit_event WHERE id = :id'), {'id': newest}
        ).scalar()
        connection.execute(
            sa.text(
                'INSERT INTO audit_chain_head (id, last_hash, event_count, purged_count, '
                'plain_until_event_id) VALUES (1, :last_hash, :present, 0, :switch)'
            ),
            {'last_hash': last_hash, 'present': present, 'switch': switch},
        )


def downgrade():
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('anchor_seal')
        batch_op.drop_column('anchor_key_id')
        batch_op.drop_column('plain_until_event_id')
        batch_op.drop_column('purged_count')
        batch_op.drop_column('event_count')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('key_id')
