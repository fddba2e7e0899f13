"""The HR and sync tables, as SQLAlchemy 2 typed ORM classes.

One :class:`SyncRecord` per employee is both the employee's sync status (the tab it shows in)
and the durable job of the sync engine: the worker claims it with a lease and a fencing token,
and every write it makes checks the token. :class:`SyncEvent` is the append-only audit trail.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only aliases rowid for INTEGER PRIMARY KEY, so BIGINT ids are INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    # Every model here is mapped to a plain Table (no subquery mappings): typed so, the
    # services may use ``Model.__table__`` in Core insert/update statements.
    __table__: ClassVar[Table]

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Employee(Base):
    """An HR employee: what the platform needs (RULES §1.8) and the HR fields around it."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    employee_number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str | None] = mapped_column(String(32))
    forenames: Mapped[str] = mapped_column(Text)
    surname: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    # Case-folded email: the key of the first-sync look-up and of the shared-email check.
    email_key: Mapped[str | None] = mapped_column(Text, index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(16))
    job_title: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    annual_pay: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    pay_basis: Mapped[str | None] = mapped_column(String(32))
    pay_frequency: Mapped[str | None] = mapped_column(String(32))
    benefit_level: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    leave_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    leave_reason: Mapped[str | None] = mapped_column(Text)
    created_via: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    # Bumped whenever a synced field changes; the sync record remembers what it sent.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # Lower-cased "number forenames surname email" for the search bar.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The pre-flight verdict (a rejection kind, None = passes) when not linked, when not linked
    # and the email is shared, and when linked; computed with the platform rules named by
    # preflight_rules (None = to compute: a trigger clears it when an HR field changes, see
    # migration 0003 and services/sync/verdicts.py). Confirm Sync counts these in SQL.
    preflight_alone: Mapped[str | None] = mapped_column(String(32))
    preflight_shared: Mapped[str | None] = mapped_column(String(32))
    preflight_linked: Mapped[str | None] = mapped_column(String(32))
    preflight_rules: Mapped[str | None] = mapped_column(String(32), index=True)

    sync: Mapped[SyncRecord] = relationship(back_populates="employee", uselist=False)

    # Confirm Sync finds the rejected (a minority) through these, instead of judging every
    # row (migration 0009).
    __table_args__ = (
        Index(
            "ix_employees_preflight_alone",
            "preflight_alone",
            sqlite_where=text("preflight_alone IS NOT NULL"),
            postgresql_where=text("preflight_alone IS NOT NULL"),
        ),
        Index(
            "ix_employees_preflight_linked",
            "preflight_linked",
            sqlite_where=text("preflight_linked IS NOT NULL"),
            postgresql_where=text("preflight_linked IS NOT NULL"),
        ),
    )


class SyncRecord(Base):
    """One per employee: sync status, the linked account, and the engine's durable job."""

    __tablename__ = "sync_records"
    __table_args__ = (
        Index("ix_sync_records_state_due", "state", "next_attempt_at"),
        Index("ix_sync_records_lease", "lease_expires_at"),
        Index("ix_sync_records_requested", "requested_by", "requested_at"),
    )

    employee_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    # One employee <-> one account (RULES §1.12): the column is unique.
    account_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    phase: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Since when this record has met transient trouble: the start of its retry budget.
    first_attempt_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_token: Mapped[int] = mapped_column(BigId, default=0, server_default=text("0"))
    lease_expires_at: Mapped[dt.datetime | None]
    # The write in flight: committed before the call, reused on every retry of it.
    request_kind: Mapped[str | None] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_revision: Mapped[int | None] = mapped_column(Integer)
    platform_job_id: Mapped[str | None] = mapped_column(String(128))
    # An account HR asked to link (an unlinked match, RULES §1.16): the worker confirms it on
    # the platform before it becomes account_id.
    link_account_id: Mapped[str | None] = mapped_column(String(128))
    job_accepted_at: Mapped[dt.datetime | None]  # when the platform accepted that job (202)
    last_error: Mapped[str | None] = mapped_column(Text)
    lookup_misses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    synced_revision: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    coverage_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    requested_by: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]

    employee: Mapped[Employee] = relationship(back_populates="sync")


class SyncEvent(Base):
    """An append-only history event: when, who, what was done, the platform's answer, why."""

    __tablename__ = "sync_events"
    __table_args__ = (Index("ix_sync_events_employee", "employee_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    employee_id: Mapped[int] = mapped_column(BigId, ForeignKey("employees.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    # Who wrote the event: on PostgreSQL set by a trigger from the login (session_user).
    actor: Mapped[str] = mapped_column(Text)
    # For the worker's steps: who asked for the sync (the record's requester; on PostgreSQL
    # the trigger takes it from the record, so it cannot be chosen either).
    requested_by: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class BenefitLevel(Base):
    """A Benefits Level the platform offers (cached from ``GET /v1/benefit-levels``)."""

    __tablename__ = "benefit_levels"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[dt.datetime]


class PlatformCache(Base):
    """Values fetched from the platform (picklists), shared by every process."""

    __tablename__ = "platform_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    fetched_at: Mapped[dt.datetime]


class Throttle(Base):
    """Shared pacing of platform calls: a 429's hold-back and the client-side rate limit.

    ``blocked_until`` holds every process back after a 429 (its Retry-After);
    ``next_slot`` is the earliest moment the next request may start when a client-side
    rate limit is set (each process reserves slots atomically). ``blocked_since`` is when
    the current hold began; ``trouble_since``/``trouble`` say since when, and why, the
    platform has been failing (unreachable, 5xx, timeouts), cleared by the next success.
    """

    __tablename__ = "throttle"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    blocked_until: Mapped[dt.datetime | None]
    next_slot: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
    blocked_since: Mapped[dt.datetime | None]
    trouble_since: Mapped[dt.datetime | None]
    trouble: Mapped[str | None] = mapped_column(Text)


class AdminSetting(Base):
    """A setting admins change from the integration screen (RULES §1.10), shared by everyone.

    ``value`` is JSON; the services own the names, their defaults and their checks.
    """

    __tablename__ = "admin_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime]


class Reconciliation(Base):
    """One comparison of HR with the platform (RULES §1.16): when, by whom, what it found.

    A run is inserted as ``running`` before it reads the platform, so that scheduled runs on
    several workers do not overlap, and is finished with its counts or its error.
    """

    __tablename__ = "reconciliations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16))  # running | finished | failed
    actor: Mapped[str] = mapped_column(Text)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    checked_employees: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    platform_accounts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    platform_calls: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class DriftFinding(Base):
    """One difference a reconciliation found between HR and the platform.

    ``values`` holds both sides for the Drift view, ``{field: {"hr": v, "platform": v}}``;
    ``fields`` names the ones that differ (``field_drift`` only).
    """

    __tablename__ = "drift_findings"
    __table_args__ = (Index("ix_drift_findings_run_kind", "reconciliation_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reconciliation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("reconciliations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    employee_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("employees.id", ondelete="CASCADE")
    )
    account_id: Mapped[str | None] = mapped_column(String(128))
    fields: Mapped[Any | None] = mapped_column(JSON)
    values: Mapped[Any | None] = mapped_column(JSON)


class WorkerHeartbeat(Base):
    """A running sync worker says it is alive (the status line's "worker alive")."""

    __tablename__ = "worker_heartbeats"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:nonce
    login: Mapped[str] = mapped_column(Text)  # PostgreSQL: set from session_user
    started_at: Mapped[dt.datetime]
    seen_at: Mapped[dt.datetime] = mapped_column(index=True)
