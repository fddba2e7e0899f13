"""`benefits-tui hold [--clear]`: the platform's current hold (RULES §1.13)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import pass_services

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.platform_hold import PlatformHold


def hold_lines(hold: PlatformHold) -> list[str]:
    """The hold and the platform's trouble, for people (empty when there is neither)."""
    from benefits_tui.domain.safe_text import visible

    lines = []
    if hold.blocked_until is not None:
        since = f" since {_at(hold.blocked_since)}" if hold.blocked_since else ""
        lines.append(
            f"The Benefits platform holds requests back{since} until {_at(hold.blocked_until)} "
            "(it answered 429)."
        )
    if hold.trouble_since is not None:
        lines.append(
            f"The Benefits platform has been failing since {_at(hold.trouble_since)}: "
            f"{visible(hold.trouble or 'no answer')}"
        )
    return lines


def _at(moment: object) -> str:
    import datetime as dt

    assert isinstance(moment, dt.datetime)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def hold_json(hold: PlatformHold) -> dict[str, str | None]:
    """The JSON keys ``status --json`` and ``hold --json`` share."""
    return {
        "platform_hold_until": hold.blocked_until.isoformat() if hold.blocked_until else None,
        "platform_hold_since": hold.blocked_since.isoformat() if hold.blocked_since else None,
        "platform_trouble_since": hold.trouble_since.isoformat() if hold.trouble_since else None,
        "platform_trouble": hold.trouble,
    }


@click.command()
@click.option("--clear", is_flag=True, help="End the hold now (admins only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_services
async def hold(context: ServiceContext, clear: bool, as_json: bool) -> None:
    """Show the platform's hold (a 429's Retry-After, capped) and trouble; --clear ends it.

    Every process obeys the hold until it ends or an admin clears it. Exit 0.
    """
    from benefits_tui.domain.safe_text import json_visible
    from benefits_tui.services.platform_hold import clear_hold, read_hold

    if clear:
        before = await clear_hold(context)
        current = await read_hold(context)
        if not as_json:
            click.echo(
                "Hold cleared: every process may send again."
                if before.blocked_until
                else "There was no hold to clear."
            )
    else:
        current = await read_hold(context)
    if as_json:
        click.echo(json_visible(json.dumps(hold_json(current), ensure_ascii=False)))
        return
    lines = hold_lines(current)
    if not clear or lines:
        for line in lines or ["No hold: the Benefits platform takes requests."]:
            click.echo(line)
