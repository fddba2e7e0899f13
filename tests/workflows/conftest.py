"""A tiny host app for the workflow screens (the real BenefitsApp is built elsewhere)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from benefits_tui.services.context import ServiceContext
from tests.helpers import piloted, settle


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

    @asynccontextmanager
    async def opened(
        self, screen: Screen[Any], size: tuple[int, int] = (80, 24)
    ) -> AsyncIterator[Pilot[Any]]:
        """This app running headless with ``screen`` open on it, settled."""
        async with piloted(self, size) as pilot:
            self.open(screen)
            await settle(pilot)
            yield pilot

    def notes(self) -> list[str]:
        return [str(notification.message) for notification in self._notifications]
