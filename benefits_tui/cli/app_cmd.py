"""``benefits-tui`` (the app on the configured database and platform) and ``benefits-tui demo``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from benefits_tui.cli.runner import (
    expected_errors,
    fail,
    require_existing_database,
    settings_from,
    stop_on,
)
from benefits_tui.domain.errors import BenefitsError, one_line

if TYPE_CHECKING:
    from benefits_tui.config import Settings
    from benefits_tui.services.first_page import FirstPage

THEME_ENV = "BENEFITS_TUI_THEME"


def _check_theme(theme: str | None) -> str | None:
    if not theme:
        return None
    from textual.theme import BUILTIN_THEMES

    names = sorted(BUILTIN_THEMES)
    if theme not in names:
        fail(f"--theme: unknown theme {theme!r} (choose from {', '.join(names)})")
    return theme


def run_app(
    settings: Settings | None,
    *,
    theme: str | None = None,
    preview: FirstPage | None = None,
    settings_loader: Callable[[], Settings] | None = None,
) -> None:
    """Run the app; a startup problem (settings, database) is one line, never a traceback."""
    from benefits_tui.app.app import BenefitsApp

    app = BenefitsApp(settings, theme=theme, preview=preview, settings_loader=settings_loader)
    app.run()
    error = app.startup_error
    if error is None:
        if app.return_code:
            raise SystemExit(app.return_code)
        return
    if isinstance(error, expected_errors()):
        stop_on(error)
    fail(f"cannot start: {type(error).__name__}: {one_line(error)}", 1)


def open_app(ctx: click.Context) -> None:
    """Open the app on the configured database and platform (``benefits-tui`` alone)."""
    preview = first_page_preview(ctx.find_root().obj or {})
    if preview is not None:
        # A SQLite file at this program's schema: the first page is drawn from the standard
        # library's reader, the settings and services load behind it (RULES §5).
        theme = _check_theme(os.environ.get(THEME_ENV))
        run_app(None, theme=theme, preview=preview, settings_loader=lambda: settings_from(ctx))
        return
    try:
        settings = settings_from(ctx)
        require_existing_database(settings)
    except BenefitsError as exc:
        stop_on(exc)
    run_app(settings, theme=_check_theme(os.environ.get(THEME_ENV)))


def first_page_preview(flags: dict[str, object]) -> FirstPage | None:
    """The first tab's first page read with the standard library, or None when the settings or
    the database are anything the quick path is not sure of (the full path then decides)."""
    from benefits_tui.config_quick import quick_identity, quick_settings
    from benefits_tui.services.first_page import FIRST_PAGE, read_first_page

    settings = quick_settings(flags)
    identity = quick_identity(flags)
    if settings is None or identity is None:
        return None
    size = max(FIRST_PAGE, shutil.get_terminal_size().lines)  # as the grid's first page
    return read_first_page(settings, identity, size)


@click.command("demo")
@click.option(
    "--employees",
    default=500,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="How many demo employees to seed.",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed of the demo data."
)
@click.option(
    "--presync",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Share of employees already sent on start (so every tab shows something); 0 = none.",
)
@click.option(
    "--theme", envvar=THEME_ENV, help="Textual theme, e.g. ansi-dark for plain terminals."
)
@click.option(
    "--keep", is_flag=True, help="Keep the demo directory (database, simulator state) on exit."
)
@click.pass_context
def demo(
    ctx: click.Context, employees: int, seed: int, presync: float, theme: str | None, keep: bool
) -> None:
    """The whole product with nothing to configure: a seeded SQLite database, a Benefits
    simulator on a free loopback port (with latency, async jobs and a few errors), and the app.

    It runs in a new temporary folder of its own (kept with --keep), never on your database.
    """
    root = ctx.find_root().obj or {}
    given = [flag for flag in ("database_url", "api_url") if root.get(flag)]
    if given:  # the demo would silently not use them: say so rather than surprise
        names = " and ".join("--" + flag.replace("_", "-") for flag in given)
        raise click.UsageError(
            f"demo runs on its own database and simulator; {names} cannot apply "
            "(run `benefits-tui` to open the configured ones)"
        )
    import secrets  # here, not at the top: not on the app's way to its first frame
    import tempfile

    import anyio

    from benefits_tui.config import load_settings
    from benefits_tui.platform.simulator.config import SimulatorConfig
    from benefits_tui.platform.simulator.server import start_in_thread
    from benefits_tui.services.context import open_context
    from benefits_tui.services.demo import prepare_demo, write_preload_csv

    theme = _check_theme(theme)
    directory = Path(tempfile.mkdtemp(prefix="benefits-tui-demo-"))
    token = "sk_demo_" + secrets.token_urlsafe(24)
    preload = directory / "existing-accounts.csv"
    write_preload_csv(preload, employees, seed)
    click.echo(f"Starting the demo in {directory} ...", err=True)
    simulator = start_in_thread(
        SimulatorConfig(
            token=token,
            state_path=directory / "simulator.db",
            latency_ms=80,
            jitter_ms=40,
            async_ratio=0.2,
            job_delay_ms=1500,
            fail_rate=0.03,
            preload=preload,
            seed=seed,
        )
    )
    try:
        flags = dict(ctx.find_root().obj or {})
        flags.update(
            database_url=f"sqlite+aiosqlite:///{directory / 'demo.db'}",
            api_url=simulator.url,
            api_token=token,
            default_role="admin",  # the demo shows everything, the integration settings too
        )
        try:
            settings = load_settings(**flags)
        except BenefitsError as exc:
            stop_on(exc)

        async def prepare() -> None:
            async with open_context(settings) as context:
                await prepare_demo(context, employees, seed, presync)

        anyio.run(prepare)
        run_app(settings, theme=theme)
    finally:
        simulator.stop()
        if keep:
            click.echo(f"Demo files kept in {directory}", err=True)
        else:
            shutil.rmtree(directory, ignore_errors=True)
