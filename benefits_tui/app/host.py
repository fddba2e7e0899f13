"""What screens and widgets may ask of the app: one small interface.

Screens reach the running app only through :class:`AppHost` (via :func:`host_of`), never by
importing :mod:`benefits_tui.app.app`; so the app module can import its screens without an
import cycle, and a test can host any screen in a tiny app that has these few members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from benefits_tui.services.context import ServiceContext


class AppHost(Protocol):
    """The members of ``BenefitsApp`` that screens and widgets use."""

    services: ServiceContext
    """The open services (database, platform client, acting user)."""

    worker_status: str
    """One line on the background sync worker, for the status bar."""

    worker_note: str
    """When this process sends nothing itself: whether a worker is alive (its heartbeat)."""

    platform_note: str
    """The platform's hold or trouble (since when, until when), or "" (RULES §1.3)."""

    def refresh_data(self) -> None:
        """Reload what the main screen shows (after a change made on another screen)."""

    def freeze_heap(self) -> None:
        """Called once the first data is on screen (see ``BenefitsApp.freeze_heap``)."""


def host_of(node: DOMNode) -> AppHost:
    """The app ``node`` runs in, seen through :class:`AppHost`."""
    return cast(AppHost, node.app)
