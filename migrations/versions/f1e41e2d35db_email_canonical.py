"""one account per look-alike email address: user.email_canonical with a unique index

Revision ID: f1e41e2d35db
Revises: 9f0e1d2c3b4a
Create Date: 2026-11-23 10:00:00.000000

The column stays nullable: SQLite can only make an existing column NOT NULL by rebuilding
the user table, which would lose its expression indexes and, with foreign keys on, cascade
the drop into every table that refers to a user. Every row is filled here, and the model
fills it whenever an address is set.
"""
from alembic import op
import sqlalchemy as sa

from console.core.emails import canonical_email


revision = 'f1e41e2d35db'
down_revision = '9f0e1d2c3b4a'
branch_labels = None
depends_on = None

BATCH = 1000

user = sa.table(
    'user',
    sa.column('id', sa.Integer),
    sa.column('email', sa.String),
    sa.column('email_canonical', sa.String),
)


def _backfill(conn):
    # Keyset batches: the same memory at a million users as at ten.
    last = 0
    update = (
        sa.update(user)
        .where(user.c.id == sa.bindparam('row_id'))
        .values(email_canonical=sa.bindparam('canonical'))
    )
    while True:
        rows = conn.execute(
            sa.select(user.c.id, user.c.email)
            .where(user.c.id > last)
            .order_by(user.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            update,
            [{'row_id': row.id, 'canonical': canonical_email(row.email)} for row in rows if row.email],
        )
        last = rows[-1].id


def _refuse_look_alikes(conn):
    # Accounts that already share a canonical address cannot be merged automatically: say
    # which, so an operator can change one address and run the upgrade again.
    dupes = conn.execute(
        sa.select(user.c.email_canonical)
        .where(user.c.email_canonical.is_not(None))
        .group_by(user.c.email_canonical)
        .having(sa.func.count() > 1)
        .limit(20)
    ).scalars().all()
    if not dupes:
        return
    emails = conn.execute(
        sa.select(user.c.id, user.c.email)
        .where(user.c.email_canonical.in_(dupes))
        .order_by(user.c.email_canonical, user.c.id)
    ).all()
    listed = ', '.join(f'{row.email} (id {row.id})' for row in emails)
    raise RuntimeError(
        'These accounts have email addresses that differ only by case, Unicode form or '
        f'look-alike characters: {listed}. Change all but one address of each group, '
        'then run the upgrade again.'
    )


def upgrade():
    conn = op.get_bind()
    # A run stopped by look-alikes keeps the new column on SQLite, whose DDL here is not
    # transactional: the upgrade runs again over it once the addresses are changed.
    if 'email_canonical' not in {c['name'] for c in sa.inspect(conn).get_columns('user')}:
        op.add_column('user', sa.Column('email_canonical', sa.String(length=1024), nullable=True))
    _backfill(conn)
    _refuse_look_alikes(conn)
    op.create_index('ix_user_email_canonical', 'user', ['email_canonical'], unique=True)


def downgrade():
    op.drop_index('ix_user_email_canonical', table_name='user')
    op.drop_column('user', 'email_canonical')
