"""an index on employees.leave_date: the tabs' counts without a pass over every employee

The tabs count current employees (RULES §1.1: not yet left, or with sync work open). Counted
as every record per state (a covering index) less the few who have left, the count reads
the leavers through this index instead of joining every employee (RULES §5, at 1,000,000).

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


def downgrade() -> None:
    op.drop_index("ix_employees_leave_date", table_name="employees")
