"""`benefits-tui status`: how many employees are in each tab."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import run_with_context, stop_on
from benefits_tui.domain.states import SyncState

if TYPE_CHECKING:
    from benefits_tui.services.status import StatusReport


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: not_syncing, in_progress, successful, failed.",
)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts per tab (Not syncing, In progress, Successful, Failed)."""
    from benefits_tui.config_quick import quick_settings
    from benefits_tui.services.status import quick_status, read_status

    try:
        # A SQLite file at this program's schema is read with the standard library alone
        # (RULES §5: scripts and cron call this often); anything else, through the services.
        settings = quick_settings(ctx.find_root().obj or {})
        report = quick_status(settings) if settings is not None else None
        if report is None:
            report = run_with_context(ctx, read_status)
        if as_json:
            click.echo(json_report(report))
        else:
            for line in report_lines(report):
                click.echo(line)
    except (BrokenPipeError, KeyboardInterrupt) as exc:
        stop_on(exc)


def json_report(report: StatusReport) -> str:
    from benefits_tui.cli.hold_cmd import hold_json
    from benefits_tui.domain.safe_text import json_visible

    payload: dict[str, object] = {state.value: report.counts[state] for state in SyncState}
    payload["stuck"] = report.stuck
    payload.update(hold_json(report.hold))  # platform_hold_until: null when none (RULES §1.13)
    payload["reconciliation"] = report.last.as_json()
    life = report.life
    payload["worker"] = {
        "alive": life.alive,
        "login": life.login,
        "seen_at": life.seen_at.isoformat() if life.seen_at else None,
    }
    return json_visible(json.dumps(payload, ensure_ascii=False))


def report_lines(report: StatusReport) -> list[str]:
    from benefits_tui.cli.hold_cmd import hold_lines

    counts, last = report.counts, report.last
    width = max(len(state.label) for state in SyncState)
    lines = [f"{state.label:<{width}}  {counts[state]:>9,}" for state in SyncState]
    if report.stuck:
        lines.append(
            f"{report.stuck:,} In progress for longer than "
            f"{report.stuck_after_minutes:g} minutes (stuck)"
        )
    lines += hold_lines(report.hold)
    lines.append(f"Sync worker: {report.life.describe(report.now)}")
    if last.summary is not None:
        lines.append(
            f"Drift: {last.summary.total:,}, checked "
            f"{last.summary.finished_at.astimezone():%Y-%m-%d %H:%M} (benefits-tui reconcile)"
        )
    if last.failed_at is not None:
        lines.append(f"Last reconciliation failed {last.failed_at.astimezone():%Y-%m-%d %H:%M}")
    return lines
