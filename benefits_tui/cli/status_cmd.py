"""`benefits-tui status`: how many employees are in each tab."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import pass_services
from benefits_tui.domain.states import SyncState

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: not_syncing, in_progress, successful, failed.",
)
@pass_services
async def status(context: ServiceContext, as_json: bool) -> None:
    """Counts per tab (Not syncing, In progress, Successful, Failed)."""
    from benefits_tui.cli.hold_cmd import hold_json, hold_lines
    from benefits_tui.domain.safe_text import json_visible
    from benefits_tui.services.platform_hold import read_hold
    from benefits_tui.services.queries import count_by_state, stuck_count
    from benefits_tui.services.reconcile.store import last_reconciliation
    from benefits_tui.services.sync.heartbeat import worker_life

    counts = await count_by_state(context)
    stuck = await stuck_count(context)
    hold = await read_hold(context)
    last = await last_reconciliation(context)
    life = await worker_life(context)  # does a worker send the queued syncs? (RULES §1.10)
    if as_json:
        payload: dict[str, object] = {state.value: counts[state] for state in SyncState}
        payload["stuck"] = stuck
        payload.update(hold_json(hold))  # platform_hold_until: null when none (RULES §1.13)
        payload["reconciliation"] = last.as_json()
        payload["worker"] = {
            "alive": life.alive,
            "login": life.login,
            "seen_at": life.seen_at.isoformat() if life.seen_at else None,
        }
        click.echo(json_visible(json.dumps(payload, ensure_ascii=False)))
        return
    width = max(len(state.label) for state in SyncState)
    for state in SyncState:
        click.echo(f"{state.label:<{width}}  {counts[state]:>9,}")
    if stuck:
        click.echo(
            f"{stuck:,} In progress for longer than "
            f"{context.settings.sync.stuck_after_minutes:g} minutes (stuck)"
        )
    for line in hold_lines(hold):
        click.echo(line)
    click.echo(f"Sync worker: {life.describe(context.clock.now())}")
    if last.summary is not None:
        click.echo(
            f"Drift: {last.summary.total:,}, checked "
            f"{last.summary.finished_at.astimezone():%Y-%m-%d %H:%M} (benefits-tui reconcile)"
        )
    if last.failed_at is not None:
        click.echo(f"Last reconciliation failed {last.failed_at.astimezone():%Y-%m-%d %H:%M}")
