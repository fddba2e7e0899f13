"""indexes for counting without a pass over every employee (RULES §5, at 1,000,000)

``employees.leave_date``: the tabs count current employees (RULES §1.1: not yet left, or with
sync work open) as every record per state (a covering index) less the few who have left.
``sync_records (requested_by, requested_at)``: `benefits-tui sync` follows its request by who
asked and when, instead of holding every employee's ID.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_employees_leave_date", "employees", ["leave_date"])
    op.create_index("ix_sync_records_requested", "sync_records", ["requested_by", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_records_requested", table_name="sync_records")
    op.drop_index("ix_employees_leave_date", table_name="employees")
