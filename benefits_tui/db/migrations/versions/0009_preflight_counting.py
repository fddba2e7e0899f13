"""Confirm Sync counts without judging every row (RULES §5: Confirm Sync at 1,000,000 ≤ 1 s)

* ``employees.preflight_alone`` / ``preflight_linked``: partial indexes of the rejected (a
  verdict that is not NULL); the count reads every row once for the totals, then finds the
  rejected, a minority, through these.
* SQLite: ``employee_emails``, how many employees hold each email key, kept by triggers
  whoever writes the employee, so that the shared emails are a short index scan instead of a
  GROUP BY over every employee's email (350 ms at 1,000,000). PostgreSQL: nothing (its hash
  aggregate needs no help).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

VERDICTS = ("preflight_alone", "preflight_linked")

_ADD_KEY = (
    "INSERT INTO employee_emails(email_key, holders) SELECT new.email_key, 1 "
    "WHERE new.email_key IS NOT NULL "
    "ON CONFLICT(email_key) DO UPDATE SET holders = holders + 1; "
)
_DROP_KEY = (
    "UPDATE employee_emails SET holders = holders - 1 WHERE email_key = old.email_key; "
    "DELETE FROM employee_emails WHERE email_key = old.email_key AND holders <= 0; "
)
SQLITE_UP = (
    "CREATE TABLE employee_emails ("
    "email_key TEXT PRIMARY KEY NOT NULL, holders INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO employee_emails(email_key, holders) SELECT email_key, count(*) "
    "FROM employees WHERE email_key IS NOT NULL GROUP BY email_key",
    "CREATE INDEX ix_employee_emails_shared ON employee_emails(email_key) WHERE holders > 1",
    f"CREATE TRIGGER employee_emails_insert AFTER INSERT ON employees BEGIN {_ADD_KEY}END",
    f"CREATE TRIGGER employee_emails_delete AFTER DELETE ON employees BEGIN {_DROP_KEY}END",
    "CREATE TRIGGER employee_emails_update AFTER UPDATE OF email_key ON employees "
    f"WHEN old.email_key IS NOT new.email_key BEGIN {_DROP_KEY}{_ADD_KEY}END",
)
SQLITE_DOWN = (
    "DROP TRIGGER employee_emails_update",
    "DROP TRIGGER employee_emails_delete",
    "DROP TRIGGER employee_emails_insert",
    "DROP TABLE employee_emails",
)


def upgrade() -> None:
    for column in VERDICTS:
        op.create_index(
            f"ix_employees_{column}",
            "employees",
            [column],
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    for column in reversed(VERDICTS):
        op.drop_index(f"ix_employees_{column}", table_name="employees")
