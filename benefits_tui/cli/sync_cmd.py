"""`benefits-tui sync` (the Sync button, headless) and `benefits-tui worker`."""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandFailed, pass_services
from benefits_tui.domain.safe_text import visible
from benefits_tui.domain.states import SyncState
from benefits_tui.domain.wording import plural

if TYPE_CHECKING:
    from benefits_tui.services.context import ServiceContext

STATUS_CHOICES = click.Choice(["not-syncing", "failed"])


async def _check_platform(context: ServiceContext) -> str | None:
    """Can this process send now? None if so; else why not, for people ("a worker sends
    them"). A wrong token or URL is refused at once with the setting to fix (exit 2)."""
    from benefits_tui.platform.errors import AuthError, PlatformError, PlatformUnreachable
    from benefits_tui.services.permissions import Permission
    from benefits_tui.services.sync.pacing import HeldBack, Pacer

    if not context.has_platform:
        if not context.can(Permission.SEND):
            return f"{context.actor} ({context.role_label}) does not send syncs itself"
        return "no platform token here (BENEFITS_API_TOKEN)"
    context.settings.require_api_url()
    try:
        await Pacer(context).call(context.platform().check_connection)
    except HeldBack:
        return None  # another process was answered 429 just now: the platform is up
    except PlatformUnreachable as exc:
        return f"the platform cannot be reached now ({exc})"  # queue: a worker retries
    except AuthError as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None
    except PlatformError:
        pass  # busy or flaky (5xx, 429, slow): the worker retries with backoff
    return None


@click.command()
@click.option(
    "--status",
    type=STATUS_CHOICES,
    default="not-syncing",
    show_default=True,
    help="The tab to sync from.",
)
@click.option(
    "--search", default="", help="Only employees matching this search (name, email, number)."
)
@click.option(
    "--employee",
    "employees",
    multiple=True,
    metavar="E",
    help="An employee number or email; repeat for several.",
)
@click.option("--all", "sync_all", is_flag=True, help="Every employee in the tab and search.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-wait", is_flag=True, help="Queue and return; the worker finishes the job.")
@pass_services
async def sync(
    context: ServiceContext,
    status: str,
    search: str,
    employees: tuple[str, ...],
    sync_all: bool,
    yes: bool,
    no_wait: bool,
) -> None:
    """Send employees to Benefits (the Sync button, headless).

    Exit 0 when none failed, 1 when some failed, 2 for usage or configuration errors.
    """
    import anyio
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    from benefits_tui.services.permissions import Permission
    from benefits_tui.services.platform_hold import read_hold
    from benefits_tui.services.queries import EmployeeFilter, request_outcome, resolve_numbers
    from benefits_tui.services.sync.heartbeat import worker_life
    from benefits_tui.services.sync.requests import Selection, plan_sync, request_sync
    from benefits_tui.services.sync.worker import SyncWorker

    if not sync_all and not employees:
        raise CommandFailed(
            "say who to sync: --all (the whole tab and search) or --employee E", EXIT_USAGE
        )
    context.require(Permission.SYNC)  # before any look at the platform
    cannot_send = await _check_platform(context)
    if employees:
        selection = Selection.of(await resolve_numbers(context, employees))
    else:
        selection = Selection.all_in(EmployeeFilter(SyncState.from_slug(status), search))
    plan = await plan_sync(context, selection)
    count = plan.sendable
    err = Console(stderr=True, highlight=False, markup=False)

    def say(text: str) -> None:
        err.print(Text(visible(text)))  # names and reasons are shown, never obeyed

    if count == 0:
        say("Nothing to send: no matching employee is in Not syncing or Failed.")
        for line in plan.summary_lines():
            say(f"  {line}")
        return
    say(f"Send {plural(count, 'employee')} to Benefits?")
    for line in plan.summary_lines():
        say(f"  {line}")
    if not yes:
        if not sys.stdin.isatty():
            raise CommandFailed("not confirmed: pass --yes to sync without a prompt", EXIT_USAGE)
        if not click.confirm("Sync", default=False, err=True):
            raise CommandFailed("cancelled; nothing was sent", EXIT_USAGE)
    asked_at = context.clock.now()  # the request's records carry who asked and when
    result = await request_sync(context, selection, plan=plan)
    err.print(
        f"{plural(result.sent, 'employee')} sent to Benefits ({result.queued:,} queued, "
        f"{result.rejected:,} failed pre-flight)."
    )
    life = None
    if cannot_send is not None and result.queued:
        # RULES §1.10: HR needs no token; its requests wait in the queue for a worker.
        life = await worker_life(context)
        err.print(  # one line, whatever the terminal's width: scripts grep it
            Text(
                visible(
                    f"Queued: {cannot_send}, so a worker sends them "
                    f"({life.describe(context.clock.now())})."
                )
            ),
            soft_wrap=True,
        )
    if no_wait or (life is not None and not life.alive):
        if result.rejected:
            sys.exit(EXIT_FAILED)
        return
    # Wait for the outcome: our own worker sends them, or we watch the one that does.
    worker = SyncWorker(context) if cannot_send is None else None
    stop = anyio.Event()
    outcome: dict[str, int] = {}
    with Progress(
        TextColumn("Syncing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("sync", total=result.sent, detail="")

        async def watch() -> None:
            nonlocal outcome
            while True:
                started = anyio.current_time()
                outcome = await request_outcome(context, context.actor, asked_at)
                done = outcome.get("successful", 0) + outcome.get("failed", 0)
                held = await read_hold(context)
                waiting = ""  # the platform's hold or trouble, said once (RULES §1.3)
                if held.blocked_until is not None:
                    until = held.blocked_until.astimezone()
                    waiting = f"; platform holds requests until {until:%H:%M:%S}"
                elif held.trouble_since is not None:
                    since = held.trouble_since.astimezone()
                    waiting = f"; platform failing since {since:%H:%M:%S}"
                progress.update(
                    task,
                    completed=done,
                    detail=visible(
                        f"{outcome.get('successful', 0):,} ok, {outcome.get('failed', 0):,} failed"
                        + waiting
                    ),
                )
                if done >= result.sent or not outcome.get("in_progress", 0):
                    stop.set()
                    return
                # A count over a million records is not free: look less often then.
                await anyio.sleep(max(0.25, 4 * (anyio.current_time() - started)))

        async with anyio.create_task_group() as group:
            group.start_soon(watch)
            if worker is not None:
                group.start_soon(lambda: worker.run(stop=stop, poll_seconds=0.1))
    failed = outcome.get("failed", 0)
    say(f"Successful: {outcome.get('successful', 0):,}  Failed: {failed:,}")
    if failed:
        say("See the reasons with: benefits-tui export --status failed -")
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_OK)


@click.command()
@click.option("--once", is_flag=True, help="Work until no employee is In progress, then exit.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    help="Parallel platform calls (default from settings).",
)
@pass_services
async def worker(context: ServiceContext, once: bool, concurrency: int | None) -> None:
    """Run the sync worker without a screen (a long-running service)."""
    import anyio
    from rich.console import Console

    from benefits_tui.services.permissions import Permission
    from benefits_tui.services.sync.worker import SyncWorker

    context.require(Permission.SEND)
    context.settings.require_api_url()
    context.settings.token()
    sync_worker = SyncWorker(context, concurrency=concurrency)
    err = Console(stderr=True, highlight=False, markup=False)
    if once:
        stats = await sync_worker.drain()
        err.print(f"Worker done: {stats.processed:,} records handled.")
        return
    stop = anyio.Event()

    async def on_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                err.print("Stopping: finishing the calls in flight…")
                stop.set()
                return

    err.print(
        f"Worker {sync_worker.owner} running (concurrency {sync_worker.concurrency}); Ctrl+C "
        "stops it."
    )
    from benefits_tui.services.reconcile.schedule import reconcile_on_schedule

    async with anyio.create_task_group() as group:
        group.start_soon(on_signals)
        # Reconciles HR with the platform when the admins' schedule says so (off by default).
        group.start_soon(reconcile_on_schedule, context, stop)
        await sync_worker.run(stop=stop)
        group.cancel_scope.cancel()
