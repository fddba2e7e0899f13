"""platform edge: when a hold began, the platform's trouble, when a job was accepted

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from benefits_tui.db.migrations.grants import grant
from benefits_tui.db.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_since", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("trouble_since", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("trouble", sa.Text(), nullable=True))
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_accepted_at", UTCDateTime(timezone=True), nullable=True))
    # The engine writes it (0004 grants the worker column by column); the throttle's new
    # columns are covered by the worker's table-wide UPDATE.
    grant("sync_records", readonly=None, worker="UPDATE (job_accepted_at)")


def downgrade() -> None:
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_column("job_accepted_at")
    with op.batch_alter_table("throttle", schema=None) as batch_op:
        batch_op.drop_column("trouble")
        batch_op.drop_column("trouble_since")
        batch_op.drop_column("blocked_since")
