"""A tiny host app for the workflow screens (the real BenefitsApp is built elsewhere)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from benefits_tui.services.context import ServiceContext


class HostApp(App[None]):
    """Has what the screens need: ``services`` and ``refresh_data()``; records results."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__()
        self.services = context
        self.refreshes = 0
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def refresh_data(self) -> None:
        self.refreshes += 1

    def open(self, screen: Screen[Any]) -> None:
        self.push_screen(screen, self.results.append)

    def notes(self) -> list[str]:
        return [str(notification.message) for notification in self._notifications]


def screen_text(app: App[Any], *, flat: bool = True) -> str:
    """What the terminal shows, as plain text; ``flat`` joins wrapped lines and drops borders."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    text = console.export_text()
    if not flat:
        return text
    for border in "█▀▄▔▁▊▎▏":
        text = text.replace(border, " ")
    return " ".join(text.split())
