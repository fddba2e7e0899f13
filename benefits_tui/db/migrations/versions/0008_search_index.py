"""SQLite: a trigram index of employees.search_text, so that a search finds its rows without
reading every employee (RULES §5: a search at 1,000,000 within 300 ms)

An FTS5 table over the column (external content: the text stays in ``employees``), kept by
triggers whoever writes the employee. The search still applies its LIKE to the rows the
index names, so the index only narrows and never changes an answer. PostgreSQL: nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE employees_search USING fts5("
    "search_text, content='employees', content_rowid='id', tokenize='trigram')",
    "INSERT INTO employees_search(employees_search) VALUES ('rebuild')",
    "CREATE TRIGGER employees_search_insert AFTER INSERT ON employees BEGIN "
    "INSERT INTO employees_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER employees_search_delete AFTER DELETE ON employees BEGIN "
    "INSERT INTO employees_search(employees_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER employees_search_update AFTER UPDATE OF search_text ON employees BEGIN "
    "INSERT INTO employees_search(employees_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO employees_search(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER employees_search_update",
    "DROP TRIGGER employees_search_delete",
    "DROP TRIGGER employees_search_insert",
    "DROP TABLE employees_search",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
