"""access: group roles and their privileges, history signed by the database, worker heartbeat

On PostgreSQL (RULES §1.10): the benefits_* group roles and what each may do (see
``benefits_tui.db.migrations.grants``, which later migrations call for their own tables),
history that only the schema owner can change and whose actor a trigger sets from the
login, the requester of a sync set from the login too, and the user-management functions
that ``benefits-tui users`` calls (SECURITY DEFINER, for admins only). On both backends:
``sync_events.requested_by`` (the worker's steps name who asked) and ``worker_heartbeats``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from benefits_tui.db.migrations.grants import (
    ADMIN,
    GROUPS,
    HR,
    READONLY,
    WORKER,
    create_group_roles,
    grant,
    grant_sequences,
    is_postgresql,
    schema,
)
from benefits_tui.db.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The columns of sync_records a request writes (queued_values, a pre-flight rejection);
# every other column is the worker's.
HR_RECORD_COLUMNS = (
    "state",
    "phase",
    "reason",
    "attempts",
    "first_attempt_at",
    "next_attempt_at",
    "last_error",
    "lookup_misses",
    "requested_by",
    "requested_at",
    "updated_at",
)
WORKER_RECORD_COLUMNS = (
    "state",
    "account_id",
    "phase",
    "reason",
    "attempts",
    "first_attempt_at",
    "next_attempt_at",
    "lease_owner",
    "lease_token",
    "lease_expires_at",
    "request_kind",
    "idempotency_key",
    "request_body",
    "request_revision",
    "platform_job_id",
    "last_error",
    "lookup_misses",
    "synced_revision",
    "coverage_ended_on",
    "last_synced_at",
    "updated_at",
)


# The signing triggers: each one's name, what it fires on, its table and its function.
_TRIGGERS = (
    ("sync_events_signed", "INSERT", "sync_events", "benefits_sign_event"),
    ("sync_records_signed", "INSERT OR UPDATE", "sync_records", "benefits_sign_request"),
    ("employees_signed", "INSERT", "employees", "benefits_sign_creation"),
    (
        "worker_heartbeats_signed",
        "INSERT OR UPDATE",
        "worker_heartbeats",
        "benefits_sign_heartbeat",
    ),
)


def _signed_by_login(s: str, function: str, column: str) -> str:
    """A trigger function that sets ``column`` of the new row to the login."""
    return f"""
        CREATE OR REPLACE FUNCTION {s}.{function}() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, {s} AS $$
        BEGIN
            NEW.{column} := session_user;
            RETURN NEW;
        END $$
        """


def _functions(s: str) -> list[str]:
    """Trigger and user-management functions; fixed search_path, so no login can plant a
    same-named table or function where they look."""
    groups = ", ".join(f"'{group}'" for group in GROUPS)
    owner_of = f"(SELECT relowner FROM pg_class WHERE oid = '{s}.sync_records'::regclass)"
    return [
        # History: the actor is the login; a worker step's requester is the record's.
        f"""
        CREATE OR REPLACE FUNCTION {s}.benefits_sign_event() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, {s} AS $$
        BEGIN
            NEW.actor := session_user;
            IF NEW.requested_by IS NOT NULL THEN
                NEW.requested_by := (SELECT r.requested_by FROM {s}.sync_records r
                                     WHERE r.employee_id = NEW.employee_id);
            END IF;
            RETURN NEW;
        END $$
        """,
        # A request is signed by the login that made it.
        f"""
        CREATE OR REPLACE FUNCTION {s}.benefits_sign_request() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, {s} AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.requested_by IS NOT NULL THEN
                    NEW.requested_by := session_user;
                END IF;
            ELSIF NEW.requested_at IS DISTINCT FROM OLD.requested_at
                  OR NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
                NEW.requested_by := session_user;
            END IF;
            -- Only the worker (or an admin, or the owner) may declare a sync Successful.
            IF NEW.state = 'successful'
               AND (TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM 'successful')
               AND NOT pg_has_role(session_user, '{WORKER}', 'USAGE')
               AND NOT pg_has_role(session_user, {owner_of}, 'USAGE') THEN
                RAISE EXCEPTION 'permission denied: only a worker login marks a sync successful'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$
        """,
        _signed_by_login(s, "benefits_sign_creation", "created_by"),
        _signed_by_login(s, "benefits_sign_heartbeat", "login"),
        # Users (benefits-tui users add/remove): run as the schema owner, who holds
        # CREATEROLE; only members of benefits_admin may call them.
        f"""
        CREATE OR REPLACE FUNCTION {s}.benefits_set_user_role(login text, group_role text)
        RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            existing pg_roles%ROWTYPE;
            other text;
            created boolean := false;
        BEGIN
            IF group_role NOT IN ({groups}) THEN
                RAISE EXCEPTION 'unknown benefits-tui role %', group_role
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF login !~ '^[A-Za-z_][A-Za-z0-9_.@-]{{0,62}}$' OR login IN ({groups})
               OR login LIKE 'pg\\_%' THEN
                RAISE EXCEPTION 'not a login name benefits-tui manages: %', login
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            SELECT * INTO existing FROM pg_roles WHERE rolname = login;
            IF NOT FOUND THEN
                EXECUTE format('CREATE ROLE %I LOGIN', login);
                created := true;
            ELSIF existing.rolsuper THEN
                RAISE EXCEPTION '% is a superuser: it already may do everything', login
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            FOREACH other IN ARRAY ARRAY[{groups}] LOOP
                IF other <> group_role AND EXISTS (
                    SELECT 1 FROM pg_auth_members m
                    WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = other)
                      AND m.member = (SELECT oid FROM pg_roles WHERE rolname = login)) THEN
                    EXECUTE format('REVOKE %I FROM %I', other, login);
                END IF;
            END LOOP;
            EXECUTE format('GRANT %I TO %I', group_role, login);
            RETURN created;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION {s}.benefits_remove_user(login text) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            other text;
            removed integer := 0;
        BEGIN
            FOREACH other IN ARRAY ARRAY[{groups}] LOOP
                IF EXISTS (
                    SELECT 1 FROM pg_auth_members m
                    WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = other)
                      AND m.member = (SELECT oid FROM pg_roles WHERE rolname = login)) THEN
                    EXECUTE format('REVOKE %I FROM %I', other, login);
                    removed := removed + 1;
                END IF;
            END LOOP;
            RETURN removed;
        END $$
        """,
        f"REVOKE ALL ON FUNCTION {s}.benefits_set_user_role(text, text) FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {s}.benefits_remove_user(text) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {s}.benefits_set_user_role(text, text) TO {ADMIN}",
        f"GRANT EXECUTE ON FUNCTION {s}.benefits_remove_user(text) TO {ADMIN}",
    ]


def upgrade() -> None:
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by", sa.Text(), nullable=True))
    op.create_table(
        "worker_heartbeats",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_worker_heartbeats")),
    )
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeats_seen_at"), ["seen_at"], unique=False)
    if not is_postgresql():
        return
    s = schema()
    create_group_roles()
    # Nothing for PUBLIC: a login without a benefits-tui role sees nothing.
    for table in (
        "employees",
        "sync_records",
        "sync_events",
        "benefit_levels",
        "platform_cache",
        "throttle",
        "worker_heartbeats",
        "admin_settings",
        "reconciliations",
        "drift_findings",
        "alembic_version",
    ):
        op.execute(f"REVOKE ALL ON {s}.{table} FROM PUBLIC")
    grant("alembic_version")  # every login checks the schema's revision on start
    # The worker locks an employee's row (FOR KEY SHARE) while it finishes a record, which
    # PostgreSQL allows only with UPDATE on some column: updated_at is the harmless one.
    grant("employees", hr="INSERT, UPDATE", worker="UPDATE (updated_at)")
    grant(
        "sync_records",
        hr=f"INSERT, UPDATE ({', '.join(HR_RECORD_COLUMNS)})",
        worker=f"UPDATE ({', '.join(WORKER_RECORD_COLUMNS)})",
    )
    grant("sync_events", hr="INSERT", worker="INSERT")  # append-only for every login
    grant("benefit_levels", worker="INSERT, UPDATE, DELETE")
    grant("platform_cache", worker="INSERT, UPDATE, DELETE")
    grant("throttle", worker="INSERT, UPDATE")
    grant("worker_heartbeats", worker="INSERT, UPDATE, DELETE")
    grant("admin_settings", admin="INSERT, UPDATE, DELETE")
    # Reconciling (RULES §1.16) is HR's to run and the worker's to schedule; its findings are
    # derived data, replaced by each run.
    grant("reconciliations", hr="INSERT, UPDATE, DELETE", worker="INSERT, UPDATE, DELETE")
    grant("drift_findings", hr="INSERT, UPDATE, DELETE", worker="INSERT, UPDATE, DELETE")
    grant_sequences()
    for statement in _functions(s):
        op.execute(statement)
    for trigger, fires_on, table, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} BEFORE {fires_on} ON {s}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {s}.{function}()"
        )


def downgrade() -> None:
    if is_postgresql():
        s = schema()
        for trigger, _, table, _ in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {s}.{table}")
        for function in (
            *(f"{function}()" for *_, function in _TRIGGERS),
            "benefits_set_user_role(text, text)",
            "benefits_remove_user(text)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {s}.{function}")
        # The group roles stay: they are cluster-wide and other databases may use them.
        for table in (
            "employees",
            "sync_records",
            "sync_events",
            "benefit_levels",
            "platform_cache",
            "throttle",
            "alembic_version",
        ):
            op.execute(f"REVOKE ALL ON {s}.{table} FROM {READONLY}, {HR}, {WORKER}, {ADMIN}")
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("sync_events", schema=None) as batch_op:
        batch_op.drop_column("requested_by")
