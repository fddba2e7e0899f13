"""`benefits-tui reconcile`: what differs between HR and the platform, and its repairs."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from benefits_tui.cli.runner import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandFailed, pass_services

if TYPE_CHECKING:
    from rich.console import Console

    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.reconcile.findings import DriftKind
    from benefits_tui.services.reconcile.store import RunSummary

FIX_CHOICES = click.Choice(["field-drift", "unlinked-match"])
SHOWN_PER_KIND = 20  # rows per kind in the text report; --json lists every one


def _plain(value: object) -> str:
    """A value from a person or the platform, safe to print (the one sanitiser)."""
    from benefits_tui.domain.safe_text import visible

    return visible(value)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON (RULES §4).")
@click.option(
    "--fix",
    "fixes",
    type=FIX_CHOICES,
    multiple=True,
    help="Repair this kind: field-drift re-sends HR's values; unlinked-match links the account. "
    "Repeat for both.",
)
@click.option("--yes", is_flag=True, help="Repair without asking.")
@pass_services
async def reconcile(
    context: ServiceContext, as_json: bool, fixes: tuple[str, ...], yes: bool
) -> None:
    """Compare every employee with the Benefits platform (it only reads the platform).

    Reports fields that differ, accounts terminated on the platform, linked accounts gone,
    leavers still active, accounts matching an unlinked employee, and accounts no employee
    owns. Exit 0 no drift, 1 drift found, 2 errors. With --fix, drift that was repaired
    (its repair queued) no longer counts: exit 0 when every finding was repaired, 1 when some
    is left (a kind --fix does not repair, a refused link, a declined prompt).
    """
    from rich.console import Console

    from benefits_tui.cli.sync_cmd import _check_platform
    from benefits_tui.config import ConfigError
    from benefits_tui.domain.wording import plural
    from benefits_tui.platform.errors import PlatformError
    from benefits_tui.services.errors import ServiceError
    from benefits_tui.services.permissions import Permission
    from benefits_tui.services.reconcile.engine import kinds_from_slugs
    from benefits_tui.services.reconcile.engine import reconcile as run_reconciliation

    err = Console(stderr=True, highlight=False, markup=False, emoji=False)
    try:
        if fixes:
            context.require(Permission.RECONCILE)
        await _check_platform(context)  # a wrong URL or token: exit 2 at once, not after retries
        summary = await _run(context, err, run_reconciliation)
        kinds = kinds_from_slugs(fixes)
        if as_json:
            await _print_json(context, summary)
        else:
            await _print_text(context, summary)
        repaired = 0
        if kinds and summary.total:
            repaired = await _repair(context, summary, kinds, yes, err)
    except (ServiceError, PlatformError, ConfigError) as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None
    # Exit 1 means "a person should look": drift this run leaves behind. A cron job running
    # `reconcile --fix field-drift --yes` must not report failure for drift it just repaired.
    left = summary.total - repaired
    if repaired and left:
        err.print(f"{plural(left, 'finding')} not repaired.")
    sys.exit(EXIT_FAILED if left else EXIT_OK)


async def _run(context: ServiceContext, err: Console, run: Any) -> RunSummary:
    """The reconciliation, with a progress bar when stderr is a terminal."""
    if not err.is_terminal:
        return await run(context)  # type: ignore[no-any-return]
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("Reconciling: {task.fields[accounts]:,} platform accounts read"),
        TextColumn("({task.fields[calls]:,} calls)"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("reconcile", total=None, accounts=0, calls=0)

        def on_progress(accounts: int, calls: int) -> None:
            progress.update(task, accounts=accounts, calls=calls)

        return await run(context, on_progress=on_progress)  # type: ignore[no-any-return]


async def _print_json(context: ServiceContext, summary: RunSummary) -> None:
    """RULES §4's document, the drift list streamed (100,000 findings are never all in memory)."""
    from benefits_tui.services.reconcile.store import iter_findings

    head = {
        "checked_employees": summary.checked_employees,
        "platform_accounts": summary.platform_accounts,
        "platform_calls": summary.platform_calls,
        "checked_at": summary.finished_at.isoformat(),
        "counts": summary.counts_json(),
    }
    out = sys.stdout
    out.write(json.dumps(head)[:-1] + ', "drift": [')
    first = True
    async for finding in iter_findings(context, summary.id):
        out.write(("" if first else ", ") + json.dumps(finding.as_json()))
        first = False
    out.write("]}\n")
    out.flush()


async def _print_text(context: ServiceContext, summary: RunSummary) -> None:
    from benefits_tui.services.reconcile.findings import DriftKind
    from benefits_tui.services.reconcile.store import list_findings

    echo = click.echo
    echo(
        f"Checked {summary.checked_employees:,} employees against "
        f"{summary.platform_accounts:,} platform accounts ({summary.platform_calls:,} calls)."
    )
    if not summary.total:
        echo("No drift: the platform holds what HR would send.")
        return
    for kind in DriftKind:
        count = summary.counts.get(kind, 0)
        if not count:
            continue
        echo(f"\n{kind.label} ({kind.value}): {count:,}")
        for finding in await list_findings(context, summary.id, kind=kind, limit=SHOWN_PER_KIND):
            who = (
                f"{finding.employee_number} {_plain(finding.employee_name)}"
                if finding.employee_number
                else "no HR employee"
            )
            line = f"  {_plain(who)}  ·  account {_plain(finding.account_id or '-')}"
            if finding.fields:
                changes = "; ".join(
                    f"{name}: HR {_plain(sides.get('hr'))} / "
                    f"platform {_plain(sides.get('platform'))}"
                    for name, sides in finding.fields.items()
                )
                line += f"  ·  {changes}"
            echo(line)
        if count > SHOWN_PER_KIND:
            echo(f"  … and {count - SHOWN_PER_KIND:,} more (--json lists every one)")


async def _repair(
    context: ServiceContext, summary: RunSummary, kinds: list[DriftKind], yes: bool, err: Console
) -> int:
    """Repair the findings of ``kinds`` (asking first unless ``yes``); how many were repaired."""
    from benefits_tui.services.reconcile.findings import DriftKind
    from benefits_tui.services.reconcile.repairs import link_matches, resend_hr_values
    from benefits_tui.services.reconcile.store import iter_findings

    repaired = 0
    for kind in kinds:
        count = summary.counts.get(kind, 0)
        if not count:
            continue
        question = (
            f"Re-send HR's values to {count:,} Benefits accounts (updates by account ID)?"
            if kind is DriftKind.FIELD_DRIFT
            else f"Link {count:,} unlinked employees to the Benefits account that matches them?"
        )
        err.print(question)
        if not yes:
            if not sys.stdin.isatty():
                raise CommandFailed(
                    "not confirmed: pass --yes to repair without a prompt", EXIT_USAGE
                )
            if not click.confirm("Repair", default=False, err=True):
                err.print("Not repaired.")
                continue
        findings = [finding async for finding in iter_findings(context, summary.id, kind=kind)]
        if kind is DriftKind.FIELD_DRIFT:
            result = await resend_hr_values(context, findings)
            err.print(result.message("Re-sends of HR's values"))
        else:
            result = await link_matches(context, findings)
            err.print(result.message("Links"))
        repaired += result.queued
    err.print("The worker sends the queued changes (benefits-tui worker, or an open app).")
    return repaired
