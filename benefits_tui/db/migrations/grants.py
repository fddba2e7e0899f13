"""PostgreSQL privileges of the benefits-tui group roles, for migrations to call (RULES §1.10).

The four group roles (NOLOGIN, cluster-wide; a login gets one with ``benefits-tui users add``):

- ``benefits_readonly``: reads everything, writes nothing.
- ``benefits_hr``: a reader that changes employees and requests syncs (the request columns of
  ``sync_records``, appending history); no settings, holds or queue internals.
- ``benefits_worker``: a reader that works the queue (the engine columns of ``sync_records``,
  the platform caches, the shared throttle, its heartbeat) and appends history.
- ``benefits_admin``: a member of ``benefits_hr`` and ``benefits_worker``, and may manage users.

Nobody but the schema owner may UPDATE, DELETE or TRUNCATE history (``sync_events``).

**A later migration that adds a table or column must grant it here**, e.g.::

    from benefits_tui.db.migrations.grants import grant

    grant("reconciliations", hr="INSERT, UPDATE", worker="INSERT, UPDATE")
    grant("sync_records", hr="UPDATE (hold_reason)")  # a new column HR writes

Reading is granted by default: the migration that created the roles set default privileges,
so every table the schema owner creates later is readable by ``benefits_readonly`` (and so by
everyone) and its sequences usable by HR and the worker; only writes need :func:`grant`.
Every function here is a no-op on SQLite (one OS account: the file's mode is the protection).
"""

from __future__ import annotations

from alembic import op

READONLY = "benefits_readonly"
HR = "benefits_hr"
WORKER = "benefits_worker"
ADMIN = "benefits_admin"
GROUPS = (READONLY, HR, WORKER, ADMIN)


def is_postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def create_group_roles() -> None:
    """Create the group roles if missing (they are cluster-wide: another database, or a
    concurrent migration, may have made them already) and nest them."""
    if not is_postgresql():
        return
    for name in GROUPS:
        op.execute(
            f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
                    CREATE ROLE {name} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$
            """
        )
    for member, group in ((HR, READONLY), (WORKER, READONLY), (ADMIN, HR), (ADMIN, WORKER)):
        # Only when missing, so that databases migrating at once rarely touch the same row.
        op.execute(
            f"""
            DO $$ BEGIN
                IF NOT pg_has_role('{member}', '{group}', 'MEMBER') THEN
                    GRANT {group} TO {member};
                END IF;
            EXCEPTION WHEN unique_violation THEN NULL;
            END $$
            """
        )
    op.execute(f"GRANT USAGE ON SCHEMA {schema()} TO {READONLY}")
    # Tables and sequences the schema owner creates from now on: readable by every role,
    # sequences usable by the writers. Writes are granted table by table with grant().
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema()} GRANT SELECT ON TABLES TO {READONLY}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema()} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {HR}, {WORKER}"
    )


def schema() -> str:
    """The schema the migration runs in, quoted."""
    name = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    return str(name)


def grant(
    table: str,
    *,
    readonly: str | None = "SELECT",
    hr: str | None = None,
    worker: str | None = None,
    admin: str | None = None,
) -> None:
    """GRANT privileges on ``table`` (e.g. ``hr="INSERT, UPDATE (state, reason)"``).

    Roles nest (admin ⊃ hr, worker ⊃ readonly), so grant each privilege to the least
    role that needs it. Never grant UPDATE or DELETE on ``sync_events``.
    """
    if not is_postgresql():
        return
    for role, privileges in ((READONLY, readonly), (HR, hr), (WORKER, worker), (ADMIN, admin)):
        if privileges:
            op.execute(f"GRANT {privileges} ON {schema()}.{table} TO {role}")


def grant_sequences() -> None:
    """Let the writers use every sequence that exists now (the default covers later ones)."""
    if is_postgresql():
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema()} TO {HR}, {WORKER}")
