"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from benefits_tui.db.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benefit_levels",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_benefit_levels")),
    )
    op.create_table(
        "employees",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("employee_number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=32), nullable=True),
        sa.Column("forenames", sa.Text(), nullable=False),
        sa.Column("surname", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("email_key", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("annual_pay", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("pay_basis", sa.String(length=32), nullable=True),
        sa.Column("pay_frequency", sa.String(length=32), nullable=True),
        sa.Column("benefit_level", sa.String(length=64), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("leave_date", sa.Date(), nullable=True),
        sa.Column("leave_reason", sa.Text(), nullable=True),
        sa.Column("created_via", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint("employee_number", name=op.f("uq_employees_employee_number")),
    )
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employees_email_key"), ["email_key"], unique=False)

    op.create_table(
        "platform_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_platform_cache")),
    )
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("blocked_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_slot", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle")),
    )
    op.create_table(
        "sync_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_sync_events_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_events")),
    )
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.create_index("ix_sync_events_employee", ["employee_id", "id"], unique=False)

    op.create_table(
        "sync_records",
        sa.Column(
            "employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column(
            "lease_token",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("lease_expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("request_kind", sa.String(length=16), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_body", sa.JSON(), nullable=True),
        sa.Column("request_revision", sa.Integer(), nullable=True),
        sa.Column("platform_job_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lookup_misses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("synced_revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("coverage_ended_on", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_sync_records_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_sync_records")),
        sa.UniqueConstraint("account_id", name=op.f("uq_sync_records_account_id")),
    )
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.create_index("ix_sync_records_lease", ["lease_expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_records_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_sync_records_state_due", ["state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_records_state_due")
        batch_op.drop_index(batch_op.f("ix_sync_records_state"))
        batch_op.drop_index("ix_sync_records_lease")

    op.drop_table("sync_records")
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_events_employee")

    op.drop_table("sync_events")
    op.drop_table("throttle")
    op.drop_table("platform_cache")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employees_email_key"))

    op.drop_table("employees")
    op.drop_table("benefit_levels")
