"""Reconciling on a schedule: a worker runs it every `reconcile_every_minutes` (an admin
setting, off by default; RULES §1.10, 1.16)."""

from __future__ import annotations

import datetime as dt
import logging

import anyio

from benefits_tui.services.admin_settings import load_admin_settings
from benefits_tui.services.context import ServiceContext
from benefits_tui.services.reconcile import store
from benefits_tui.services.reconcile.engine import run_claimed

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0  # how often a worker looks whether a run is due


async def run_if_due(context: ServiceContext) -> store.RunSummary | None:
    """Run a reconciliation when the schedule says one is due and no other process has just
    started one; None when none was due."""
    minutes = (await load_admin_settings(context)).reconcile_every_minutes
    if not minutes or not context.has_platform:
        return None
    run_id = await store.claim_scheduled_run(context, dt.timedelta(minutes=minutes))
    if run_id is None:
        return None
    log.info("scheduled reconciliation %s started", run_id)
    return await run_claimed(context, run_id)


async def reconcile_on_schedule(
    context: ServiceContext, stop: anyio.Event, *, check_seconds: float = CHECK_SECONDS
) -> None:
    """Until ``stop``: every ``check_seconds``, run a reconciliation if one is due. A failed run
    is recorded (and shown) and the schedule goes on."""
    while not stop.is_set():
        try:
            await run_if_due(context)
        except Exception as exc:  # noqa: BLE001 - recorded as a failed run; the next one may well succeed
            log.warning(
                "scheduled reconciliation failed: %s",
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
        with anyio.move_on_after(check_seconds):
            await stop.wait()
