"""reconciliation runs, drift findings and admin settings (RULES §1.16, 1.10)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from benefits_tui.db.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "admin_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_admin_settings")),
    )
    op.create_table(
        "reconciliations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_employees", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("platform_accounts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("platform_calls", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliations")),
    )
    op.create_table(
        "drift_findings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("reconciliation_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("employee_id", BIG_ID, nullable=True),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_drift_findings_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reconciliation_id"],
            ["reconciliations.id"],
            name=op.f("fk_drift_findings_reconciliation_id_reconciliations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_findings")),
    )
    with op.batch_alter_table("drift_findings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_drift_findings_run_kind", ["reconciliation_id", "kind", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("drift_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_drift_findings_run_kind")
    op.drop_table("drift_findings")
    op.drop_table("reconciliations")
    op.drop_table("admin_settings")
