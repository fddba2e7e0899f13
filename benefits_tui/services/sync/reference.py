"""What the platform accepts (picklists, Benefits Levels), cached in the database for everyone."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from benefits_tui.db.models import BenefitLevel, PlatformCache
from benefits_tui.domain.fields import DEFAULT_PICKLISTS
from benefits_tui.platform.errors import PlatformError
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.sync.pacing import HeldBack, Pacer

log = logging.getLogger(__name__)

CACHE_TTL = dt.timedelta(hours=1)
DEFAULT_LEVELS: tuple[tuple[str, str], ...] = (
    ("CORE", "Core"),
    ("ENHANCED", "Enhanced"),
    ("EXECUTIVE", "Executive"),
)


@dataclass(frozen=True)
class PlatformRules:
    """Picklist values and Benefits Levels the platform recognises."""

    picklists: dict[str, tuple[str, ...]]
    levels: tuple[tuple[str, str], ...]  # (code, name)
    fetched_at: dt.datetime | None

    @property
    def level_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.levels)


async def cached_rules(context: ServiceContext) -> PlatformRules:
    """The rules as last fetched (the documented defaults when never fetched, RULES §2)."""
    async with context.db.read() as session:
        levels = (await session.scalars(select(BenefitLevel).order_by(BenefitLevel.position))).all()
        cache = (await session.scalars(select(PlatformCache))).all()
    picklists = dict(DEFAULT_PICKLISTS)
    fetched: dt.datetime | None = None
    for entry in cache:
        if entry.key.startswith("picklist:") and isinstance(entry.value, list):
            picklists[entry.key.removeprefix("picklist:")] = tuple(str(v) for v in entry.value)
            fetched = entry.fetched_at if fetched is None else min(fetched, entry.fetched_at)
    level_pairs = tuple((level.code, level.name) for level in levels) or DEFAULT_LEVELS
    if levels:
        oldest = min(level.refreshed_at for level in levels)
        fetched = oldest if fetched is None else min(fetched, oldest)
    return PlatformRules(picklists=picklists, levels=level_pairs, fetched_at=fetched)


async def refresh_rules(context: ServiceContext) -> PlatformRules:
    """Fetch picklists and levels from the platform and store them (outside any transaction)."""
    client = context.platform()
    pacer = Pacer(context)  # these calls honour the shared 429 hold-back like the worker's
    levels: list[Any] = []
    picklists: dict[str, tuple[str, ...]] = {}

    async def fetch_levels() -> None:
        levels.extend(await pacer.call(client.list_benefit_levels))

    async def fetch_picklist(name: str) -> None:
        picklists[name] = tuple(await pacer.call(functools.partial(client.get_picklist, name)))

    # The five look-ups at once: one round trip on a slow platform instead of five in a row.
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(fetch_levels)
            for name in DEFAULT_PICKLISTS:
                group.start_soon(fetch_picklist, name)
    except BaseExceptionGroup as failed:  # callers handle the first problem, as before
        raise failed.exceptions[0] from None
    now = context.clock.now()
    insert_fn = pg_insert if context.db.is_postgresql else sqlite_insert

    # Upserts: several processes may refresh at the same moment.
    def store(session: Session) -> None:
        codes = [level.code for level in levels]
        session.execute(delete(BenefitLevel).where(BenefitLevel.code.not_in(codes)))
        for index, level in enumerate(levels):
            statement = insert_fn(BenefitLevel).values(
                code=level.code, name=level.name, position=index, refreshed_at=now
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["code"],
                    set_={"name": level.name, "position": index, "refreshed_at": now},
                )
            )
        for name, values in picklists.items():
            statement = insert_fn(PlatformCache).values(
                key=f"picklist:{name}", value=list(values), fetched_at=now
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"], set_={"value": list(values), "fetched_at": now}
                )
            )

    await context.db.run_write(store)
    return await cached_rules(context)


async def platform_rules(context: ServiceContext) -> PlatformRules:
    """Fresh-enough rules: the cache, refreshed from the platform when older than an hour.

    When the platform cannot be reached the cached (or documented default) rules are used;
    the platform still validates every write itself.
    """
    rules = await cached_rules(context)
    stale = rules.fetched_at is None or context.clock.now() - rules.fetched_at > CACHE_TTL
    if stale and context.has_platform:
        try:
            return await refresh_rules(context)
        except PlatformError as exc:
            log.warning("could not refresh the platform's picklists and levels: %s", exc)
        except HeldBack:
            log.info("the platform is rate limiting: using the cached picklists and levels for now")
    return rules
