"""The example host's reports table, in a history of its own beside the console's.

Revision ID: 7a1f3c5e9b20
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "7a1f3c5e9b20"
down_revision = None
# A branch of the host's own; it needs the console's first revision to exist.
branch_labels = ("host_app",)
depends_on = "c31fcff8689d"


def upgrade():
    op.create_table(
        "host_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_report")),
    )


def downgrade():
    op.drop_table("host_report")
