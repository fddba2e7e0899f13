"""Settings admins change from the integration screen, stored in the database (RULES §1.10).

They are shared by every user and process on the database, unlike the per-host
configuration: the default of the starter wizard's *Create Benefits Record* toggle and how
often a worker reconciles HR with the platform (RULES §1.16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import AdminSetting
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.errors import InvalidInput
from benefits_tui.services.permissions import Permission

CREATE_BENEFITS_RECORD_DEFAULT = "create_benefits_record_default"
RECONCILE_EVERY_MINUTES = "reconcile_every_minutes"
MAX_RECONCILE_MINUTES = 7 * 24 * 60  # a week: a longer schedule is no schedule


@dataclass(frozen=True)
class AdminSettings:
    """The admin settings, with their defaults when never set."""

    create_benefits_record_default: bool = True
    reconcile_every_minutes: int = 0  # 0 = off

    @property
    def schedule_text(self) -> str:
        minutes = self.reconcile_every_minutes
        return f"every {minutes} minutes" if minutes else "off"


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _minutes(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, 0), MAX_RECONCILE_MINUTES)
    return 0


async def load_admin_settings(context: ServiceContext) -> AdminSettings:
    """The current admin settings (every user may read them; a wrong stored value is ignored)."""
    async with context.db.read() as session:
        result = await session.execute(select(AdminSetting.key, AdminSetting.value))
        rows: dict[str, Any] = dict(result.all())
    defaults = AdminSettings()
    return AdminSettings(
        create_benefits_record_default=_bool(
            rows.get(CREATE_BENEFITS_RECORD_DEFAULT), defaults.create_benefits_record_default
        ),
        reconcile_every_minutes=_minutes(rows.get(RECONCILE_EVERY_MINUTES)),
    )


def parse_minutes(text: str) -> int:
    """A reconciliation schedule typed by a person: whole minutes, 0 or "off" for none."""
    cleaned = text.strip().lower()
    if cleaned in ("", "off", "0"):
        return 0
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= MAX_RECONCILE_MINUTES:
        raise InvalidInput(
            {
                RECONCILE_EVERY_MINUTES: f"must be whole minutes from 1 to {MAX_RECONCILE_MINUTES}"
                ", or 0 / off"
            }
        )
    return int(cleaned)


async def save_admin_settings(
    context: ServiceContext,
    *,
    create_benefits_record_default: bool | None = None,
    reconcile_every_minutes: int | None = None,
) -> AdminSettings:
    """Change the given settings (admins only); returns the settings now in force."""
    context.require(Permission.CHANGE_SETTINGS)
    changes: dict[str, Any] = {}
    if create_benefits_record_default is not None:
        changes[CREATE_BENEFITS_RECORD_DEFAULT] = bool(create_benefits_record_default)
    if reconcile_every_minutes is not None:
        if not 0 <= reconcile_every_minutes <= MAX_RECONCILE_MINUTES:
            raise InvalidInput(
                {RECONCILE_EVERY_MINUTES: f"must be from 0 (off) to {MAX_RECONCILE_MINUTES}"}
            )
        changes[RECONCILE_EVERY_MINUTES] = int(reconcile_every_minutes)
    if changes:
        insert_fn = pg_insert if context.db.is_postgresql else sqlite_insert
        now = context.clock.now()

        def save(session: Session) -> None:
            for key, value in changes.items():
                statement = insert_fn(AdminSetting).values(
                    key=key, value=value, updated_by=context.actor, updated_at=now
                )
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["key"],
                        set_={"value": value, "updated_by": context.actor, "updated_at": now},
                    )
                )

        await context.db.run_write(save)
    return await load_admin_settings(context)
