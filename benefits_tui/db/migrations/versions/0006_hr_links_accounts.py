"""a link request on the sync record: HR asks, the worker confirms and links (RULES §1.16)

Linking an unlinked match (the Drift view, `reconcile --fix unlinked-match`) stores the
account HR chose in ``sync_records.link_account_id`` and queues the record; the worker links
it only when the platform confirms the account holds the employee's email or number. On
PostgreSQL HR may write that one column (never ``account_id`` itself), the worker clear it.
The worker may also write ``job_accepted_at``, which 0005 added without a grant.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from benefits_tui.db.migrations.grants import grant

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_account_id", sa.String(length=128), nullable=True))
    grant(
        "sync_records",
        readonly=None,
        hr="UPDATE (link_account_id)",
        # job_accepted_at (0005) is the worker's too; 0005 did not grant it, and a worker
        # login could then record no outcome at all (GRANT is idempotent if 0005 gains it).
        worker="UPDATE (link_account_id, job_accepted_at)",
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_column("link_account_id")
