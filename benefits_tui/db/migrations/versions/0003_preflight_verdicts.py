"""each employee's pre-flight verdict, kept with the employee (RULES §5, Confirm Sync at scale)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Three verdicts (the kind of rejection, NULL = passes) for the three situations the pre-flight
distinguishes: not linked to an account, not linked and its email held by another current
employee, linked. ``preflight_rules`` names the platform rules they were computed with; NULL
means "not computed" and a trigger sets it to NULL whenever an HR field changes, however the
change is written, so a stale verdict is never counted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The employee columns a verdict is computed from (every HR field).
INPUTS = (
    "title",
    "forenames",
    "surname",
    "email",
    "date_of_birth",
    "gender",
    "job_title",
    "department",
    "start_date",
    "annual_pay",
    "pay_basis",
    "pay_frequency",
    "benefit_level",
    "address",
    "leave_date",
    "leave_reason",
)
TRIGGER = "employees_preflight_stale"


def upgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preflight_alone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("preflight_shared", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("preflight_linked", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("preflight_rules", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_employees_preflight_rules"), ["preflight_rules"], unique=False
        )
    columns = ", ".join(INPUTS)
    if op.get_bind().dialect.name == "postgresql":
        old = ", ".join(f"OLD.{c}::text" for c in INPUTS)  # json has no equality operator
        new = ", ".join(f"NEW.{c}::text" for c in INPUTS)
        op.execute(
            f"""
            CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.preflight_rules := NULL;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF {columns} ON employees
            FOR EACH ROW
            WHEN (NEW.preflight_rules IS NOT DISTINCT FROM OLD.preflight_rules
                  AND ROW({old}) IS DISTINCT FROM ROW({new}))
            EXECUTE FUNCTION {TRIGGER}()
            """
        )
    else:
        op.execute(
            f"""
            CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {columns} ON employees
            FOR EACH ROW WHEN NEW.preflight_rules IS NOT NULL
            BEGIN
                UPDATE employees SET preflight_rules = NULL WHERE id = NEW.id;
            END
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON employees")
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employees_preflight_rules"))
        batch_op.drop_column("preflight_rules")
        batch_op.drop_column("preflight_linked")
        batch_op.drop_column("preflight_shared")
        batch_op.drop_column("preflight_alone")
