"""The Textual app: opens the services on its own event loop, runs the sync worker, polls.

Two ways in: ``BenefitsApp(settings)`` (the CLI; the database engine and platform client are
created inside the app's event loop, as the async engine requires) or
``BenefitsApp(services=context)`` (tests, around a context they built on the same loop).
A third, for speed: ``BenefitsApp(preview=first_page, settings_loader=load)`` draws the first
page read with the standard library (``services.first_page``), then loads the settings and
opens the services as the first way does (RULES §5: nothing heavy before the first frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from textual import events, on
from textual.app import App
from textual.filter import LineFilter, Monochrome, NoColor
from textual.screen import Screen
from textual.worker import Worker

from benefits_tui.app.bindings import APP_BINDINGS
from benefits_tui.app.messages import DataChanged
from benefits_tui.app.screens.benefits_management import BenefitsManagementScreen
from benefits_tui.app.typeahead import KeysWelcome, TypeAhead
from benefits_tui.domain.errors import one_line
from benefits_tui.domain.states import SyncState
from benefits_tui.domain.wording import plural

# The settings (pydantic) and the services (SQLAlchemy) are imported where used: with a preview,
# after the first frame (RULES §5).
if TYPE_CHECKING:
    from benefits_tui.config import Settings
    from benefits_tui.services.clock import Clock
    from benefits_tui.services.context import ServiceContext
    from benefits_tui.services.first_page import FirstPage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
FULL_REFRESH_EVERY = 15  # polls: stuck flags and "next attempt at" move with time alone
WORKER_RESTART_SECONDS = 10.0
WORKER_CHECK_EVERY = 5  # polls: how often a process without its own worker looks for one
FIRST_PAINT_GRACE_SECONDS = 3.0
CLOSE_GRACE_SECONDS = 5.0  # for cancelled work to end before the database closes


class BenefitsApp(App[None]):
    """Benefits Management: send HR employees to the Benefits platform and watch the sync.

    Screens see it through :class:`benefits_tui.app.host.AppHost` (they never import this).
    """

    # The main screen's stylesheet is the app's: that screen can be the app's first screen
    # (get_default_screen), which Textual does not load a CSS_PATH for.
    CSS_PATH = ["app.tcss", "screens/benefits_management.tcss"]
    TITLE = "Benefits Management"
    BINDINGS = APP_BINDINGS

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        services: ServiceContext | None = None,
        start_worker: bool = True,
        poll_seconds: float | None = POLL_SECONDS,
        clock: Clock | None = None,
        transport: Any = None,
        theme: str | None = None,
        preview: FirstPage | None = None,
        settings_loader: Callable[[], Settings] | None = None,
    ) -> None:
        if settings is None and services is None and settings_loader is None:
            raise ValueError("BenefitsApp needs settings, services or a settings loader")
        super().__init__()
        if settings is None and services is not None:
            settings = services.settings
        # With a loader: set once loaded, before the services open.
        self.settings: Settings = settings  # type: ignore[assignment]
        self._settings_loader = settings_loader
        self.preview = preview
        self.services: ServiceContext = services  # type: ignore[assignment]
        self.start_worker = start_worker
        self.poll_seconds = poll_seconds
        self.startup_error: BaseException | None = None
        # Unknown until the worker starts after the first rows: nothing is shown meanwhile
        # ("Worker off" flashed at every start). Without a worker it is off, and says so.
        self.worker_status = "" if start_worker else "Worker off"
        self._own_services = services is None
        self._clock = clock
        self._transport = transport
        self._theme_name = theme
        self._stack = contextlib.AsyncExitStack()
        self._stop: anyio.Event | None = None
        self._sync_worker: Worker[None] | None = None
        self._marker: int | None = None
        self._polls = 0
        self._polling = False
        self._watch_workers = False
        self.worker_note = ""  # whether a worker is alive, when this process sends nothing
        self.platform_note = ""  # the platform's hold or trouble, once for the app (§1.3)
        self._closed = False
        self._heap_frozen = False
        self._background_started = False
        self.main_screen: BenefitsManagementScreen | None = None
        self.typeahead = TypeAhead(self, super().on_event)
        self._no_color_filters: dict[bool, LineFilter] = {True: NoColor(), False: Monochrome()}

    # ------------------------------------------------------------------ colour
    def get_line_filters(self) -> list[LineFilter]:
        """With ``NO_COLOR``, the colour-removing filter that suits the theme in use.

        Textual picks it once, for the theme it starts with: Monochrome (greys) for a
        truecolor theme. An ANSI theme chosen afterwards (``--theme ansi-dark``) went through
        that filter too, which turns every ANSI colour into black: black text on black. An
        ANSI theme gets NoColor instead (the terminal's own foreground and background).
        """
        filters = list(super().get_line_filters())
        if not self.no_color:
            return filters
        wanted = self._no_color_filters[self.native_ansi_color]
        return [f for f in filters if not isinstance(f, (NoColor, Monochrome))] + [wanted]

    # ------------------------------------------------------------------ keys
    async def on_event(self, event: events.Event) -> None:
        if self.services is None and isinstance(event, events.MouseEvent):
            return  # nothing to click before the services are open (the preview is a picture)
        # Keys from the terminal go through the type-ahead router (one at a time, never to a
        # screen still opening); keys bubbling back from widgets take Textual's usual path.
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.typeahead.arrived(event)
            return
        await super().on_event(event)

    @on(KeysWelcome)
    async def _keys_welcome(self) -> None:
        await self.typeahead.welcome()

    # ------------------------------------------------------------------ start
    def get_default_screen(self) -> Screen[Any]:
        """With a preview (the first page read before the services), the main screen is the
        app's first screen, composed with the app and drawn in its first frame. Pushed over
        Textual's default screen, it was styled and rendered twice before anything showed
        (RULES §5)."""
        if self.preview is not None and self.services is None:
            self.main_screen = BenefitsManagementScreen(self.preview)
            return self.main_screen
        return super().get_default_screen()

    async def on_mount(self) -> None:
        if self._theme_name:
            self.theme = self._theme_name
        if self.main_screen is not None:
            # The preview's first page is on screen; the services open once it is drawn.
            self.call_after_refresh(self._open_after_preview)
            return
        if not await self._open_services():
            return
        self.main_screen = BenefitsManagementScreen()
        await self.push_screen(self.main_screen)
        self._start_background()

    def _open_after_preview(self) -> None:
        self.run_worker(self._services_after_preview(), group="open", exit_on_error=False)

    async def _services_after_preview(self) -> None:
        if not await self._open_services():
            return
        assert self.main_screen is not None
        self.main_screen.services_ready()
        self._start_background()

    async def _open_services(self) -> bool:
        """Load the settings (when given a loader) and open the services; False (and the app
        exits, the CLI printing the error) when that fails."""
        try:
            if self.services is None:
                if self._settings_loader is not None:
                    self.settings = self._settings_loader()
                from benefits_tui.services.context import open_context

                self.services = await self._stack.enter_async_context(
                    open_context(self.settings, clock=self._clock, transport=self._transport)
                )
            from benefits_tui.services.queries import change_marker

            self._stop = anyio.Event()
            self._marker = await change_marker(self.services)
        except Exception as exc:  # noqa: BLE001 - any start failure: the CLI prints one line
            self.startup_error = exc
            self.exit(return_code=2)
            return False
        return True

    def _start_background(self) -> None:
        # Nothing the first rows do not need runs before them: the sync worker (platform
        # client, reference data) starts once they are on screen (freeze_heap), or after
        # FIRST_PAINT_GRACE_SECONDS should the first load fail.
        self.set_timer(FIRST_PAINT_GRACE_SECONDS, self._after_first_paint)
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self._poll)

    def _after_first_paint(self) -> None:
        """Start the background work, once: the sync worker and the pre-flight warm-up."""
        gc.enable()  # off while the CLI started the app (cli/main.py); on from here in any case
        if self._background_started or self._closed:
            return
        self._background_started = True
        if self.start_worker:  # tests without a worker keep the platform quiet too
            self._start_sync_worker()
            self.run_worker(self._warm_preflight(), group="warm", exit_on_error=False)

    async def _warm_preflight(self) -> None:
        """Fetch the platform's reference data if old, and compute verdicts left stale.

        So Confirm Sync finds both ready (it would do the same itself, while the user waits).
        """
        from benefits_tui.services.sync.reference import platform_rules
        from benefits_tui.services.sync.verdicts import refresh_verdicts

        try:
            rules = await platform_rules(self.services)
            await refresh_verdicts(self.services, rules)
        except Exception:  # a warm-up: Confirm Sync does it again and reports
            log.debug("pre-flight warm-up failed", exc_info=True)

    def _start_sync_worker(self) -> None:
        if not self.services.has_platform:
            # HR needs no token (RULES §1.10): requests are queued, a worker login sends them;
            # the status line shows whether one is alive (its heartbeat).
            self._watch_workers = True
            self._set_worker_status("Syncs are sent by a worker")
            self.run_worker(self._check_workers(), group="poll", exit_on_error=False)
            return
        self._set_worker_status("Worker running")
        self._sync_worker = self.run_worker(
            self._run_sync_worker(), name="sync-worker", group="sync-worker", exit_on_error=False
        )

    async def _run_sync_worker(self) -> None:
        """The sync worker in the background; it restarts after an unexpected error."""
        from benefits_tui.services.sync.worker import SyncWorker  # not on the first rows' path

        assert self._stop is not None
        while not self._stop.is_set():
            try:
                await SyncWorker(self.services).run(stop=self._stop)
            except Exception as exc:
                log.exception("sync worker stopped")
                first = one_line(exc)
                self._set_worker_status(f"Sync worker paused: {first}")
                self.notify(f"Sync worker paused: {first}", severity="error", markup=False)
                with anyio.move_on_after(WORKER_RESTART_SECONDS):
                    await self._stop.wait()
                self._set_worker_status("Worker running")

    def _set_worker_status(self, status: str) -> None:
        """What the status line says of the sync worker, shown at once."""
        self.worker_status = status
        if self.main_screen is not None and self.main_screen.is_mounted:
            self.main_screen.update_status()

    # ------------------------------------------------------------------ live
    def _poll(self) -> None:
        if self._polling or self.services is None or self._closed:
            return
        self._polling = True
        self.run_worker(self._check_changes(), group="poll", exit_on_error=False)

    async def _check_workers(self) -> None:
        from benefits_tui.services.sync.heartbeat import worker_life

        life = await worker_life(self.services)
        self.worker_note = life.describe(self.services.clock.now())
        status = f"Sent by a worker: {self.worker_note}"
        if status != self.worker_status:
            self._set_worker_status(status)

    async def _check_platform(self) -> None:
        """The platform's hold or trouble, shown once for the whole app (RULES §1.3)."""
        from benefits_tui.services.platform_hold import read_hold

        note = (await read_hold(self.services)).summary()
        if note != self.platform_note:
            self.platform_note = note
            if self.main_screen is not None:
                self.main_screen.update_status()

    async def _check_changes(self) -> None:
        from benefits_tui.services.queries import change_marker

        try:
            await self._check_platform()
            if self._watch_workers and self._polls % WORKER_CHECK_EVERY == 0:
                await self._check_workers()
            marker = await change_marker(self.services)
            self._polls += 1
            if marker != self._marker or self._polls % FULL_REFRESH_EVERY == 0:
                self._marker = marker
                if self.main_screen is not None:
                    self.main_screen.post_message(DataChanged(marker))
        except Exception:
            log.debug("change poll failed", exc_info=True)
        finally:
            self._polling = False

    def freeze_heap(self) -> None:
        """Once the first screen is up: what is alive then leaves the garbage collector's reach.

        That is ~150,000 objects (Textual, SQLAlchemy, the screen) that a full collection would
        otherwise walk every so often: an 80-130 ms pause, felt as a late key. Undone on close.
        """
        if not self._heap_frozen and not self._closed:
            self._heap_frozen = True
            gc.freeze()
        self._after_first_paint()

    def refresh_data(self) -> None:
        """Reload what the main screen shows (HR workflow screens call this after a change)."""
        if self.main_screen is not None:
            self.main_screen.refresh_data()

    # ------------------------------------------------------------------ stop
    async def action_quit(self) -> None:
        message = self.quit_message()
        await self._close()
        self.exit(message=message)

    def quit_message(self) -> str | None:
        """What quitting leaves behind, printed as the app closes: syncs still In progress are
        not lost (RULES §1.12), and the person should not wonder whether they are."""
        screen = self.main_screen
        waiting = screen.counts.get(SyncState.IN_PROGRESS, 0) if screen is not None else 0
        if not waiting:
            return None
        return (
            f"{plural(waiting, 'employee')} still In progress: nothing is lost. A running "
            "`benefits-tui worker`, or the next start of benefits-tui, finishes "
            f"{'it' if waiting == 1 else 'them'}."
        )

    async def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._heap_frozen:
            gc.unfreeze()
        if self._stop is not None:
            self._stop.set()
        if self._sync_worker is not None:
            with anyio.move_on_after(1.5), contextlib.suppress(Exception):
                await self._sync_worker.wait()
            self._sync_worker.cancel()
        self.workers.cancel_all()
        # A cancelled read closes its session on its connection (shielded, once the driver's
        # thread has finished the statement): let that end before the engine is disposed (a
        # close cut short by a second cancellation is made safe in db/engine.py, _stop_once).
        with anyio.move_on_after(CLOSE_GRACE_SECONDS):
            await asyncio.gather(
                *(worker.wait() for worker in self.workers), return_exceptions=True
            )
        if self.main_screen is not None:
            await self.main_screen.end_listings(CLOSE_GRACE_SECONDS)
        await self._stack.aclose()

    async def on_unmount(self) -> None:
        await self._close()
