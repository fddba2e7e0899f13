"""Type-ahead: keys typed faster than the app reacts land where they would have, had the user
waited (RULES §3: no keystroke lost or typed into another field; a save takes every key before it).

Textual routes each key to the widget focused *when the app reads the key*, then reads the next
one at once. In a burst (fast typing, a slow SSH link, ``tmux send-keys``) the keys after ``e``,
``/`` or ``tab`` are all routed to the old focus before the first has opened the form or moved
the focus, and are lost or typed into the wrong field.

:class:`TypeAhead` routes one key at a time instead: the next key is routed only once the
previous one has been handled by its widget and has bubbled up to the app (bindings run there),
including the focus changes it asked for; and while the active screen is opening (until it has
processed its first events, and until a screen that loads its form asynchronously says it is
ready with :func:`accept_keys`) keys wait, in order, then go to the field it focused.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen
    from textual.timer import Timer

KEY_TIMEOUT = 1.0  # a key whose handling never reports back does not block the keyboard
SETTLE_ROUNDS = 12  # rounds of "what the key caused" (a Submitted bubbling up, then a focus)
OPENING_TIMEOUT = 10.0  # nor does a screen that never says it is ready


class KeysWelcome(Message):
    """A screen that was loading (see :func:`hold_keys`) now takes the keys typed meanwhile."""


def hold_keys(screen: Screen[Any]) -> None:
    """Call in a screen's ``__init__`` when it builds its form after mounting (a database
    look-up), or later while a step waits on one: keys typed meanwhile wait for
    :func:`accept_keys` (at most ``OPENING_TIMEOUT`` from now)."""
    screen.accepts_keys = False  # type: ignore[attr-defined]
    screen.keys_held_at = time.monotonic()  # type: ignore[attr-defined]


def accept_keys(screen: Screen[Any]) -> None:
    """The screen's form is up and its first field focused: deliver the waiting keys."""
    if getattr(screen, "accepts_keys", True):
        return

    def ready() -> None:
        screen.accepts_keys = True  # type: ignore[attr-defined]
        screen.app.post_message(KeysWelcome())

    # After the focus changes already asked for (``Widget.focus`` goes through the app's queue).
    screen.app.call_later(ready)


class TypeAhead:
    """The app's key router (see the module docstring). ``route`` is Textual's own routing."""

    def __init__(self, app: App[Any], route: Callable[[events.Key], Awaitable[None]]) -> None:
        self.app = app
        self.route = route
        self.pending: deque[events.Key] = deque()
        self.busy = 0  # the token of the key being handled (0: none)
        self._tokens = 0
        self._ready_screen: Screen[Any] | None = None
        self._opening: Screen[Any] | None = None
        self._opening_since = 0.0
        self._timer: Timer | None = None

    async def arrived(self, key: events.Key) -> None:
        """A key read from the terminal (or posted by a test's pilot)."""
        self.pending.append(key)
        await self.drain()

    async def drain(self) -> None:
        """Route waiting keys while nothing is in flight and the screen takes keys."""
        while self.pending and not self.busy and self._screen_takes_keys():
            key = self.pending.popleft()
            self._tokens += 1
            token = self.busy = self._tokens
            target: DOMNode = self.app.focused or self.app.screen
            self._arm(token)
            await self.route(key)
            if self.busy == token:
                self._follow(target, token)

    # ------------------------------------------------------------------ readiness
    def _screen_takes_keys(self) -> bool:
        screen = self.app.screen
        if screen is not self._ready_screen:
            if self._opening is not screen:
                # A new screen: wait until it has handled the events queued so far (its
                # resume sets the first focus), then look again.
                self._opening = screen
                self._opening_since = time.monotonic()
                if not screen.call_later(self._screen_settled, screen):
                    self._ready_screen = screen
                    return True
            return False
        if getattr(screen, "accepts_keys", True):
            return True
        held_since = max(self._opening_since, getattr(screen, "keys_held_at", 0.0))
        if time.monotonic() - held_since > OPENING_TIMEOUT:
            return True
        self._arm_opening(held_since)
        return False

    def _screen_settled(self, screen: Screen[Any]) -> None:
        if self.app.screen is screen:
            self._ready_screen = screen
            self._opening_since = time.monotonic()
        self._opening = None
        self.app.call_later(self.drain)  # on the app's own queue, after the focus it was asked

    async def welcome(self) -> None:
        """A loading screen is ready (:class:`KeysWelcome`)."""
        await self.drain()

    # ------------------------------------------------------------------ completion
    def _follow(self, node: DOMNode, token: int) -> None:
        """Run after ``node`` has handled what is queued on it, then on its parent, up to the
        app: the key went the same way (it bubbles), so this arrives after its bindings ran."""
        if node is self.app:
            self.app.call_later(self._settle, token)
            return
        parent = node.parent if node.parent is not None else self.app

        def hop() -> None:
            if self.busy == token:
                self._follow(parent, token)

        if not node.call_later(hop):  # the widget went away (its screen closed)
            self._follow(parent, token)

    def _settle(self, token: int, rounds: int = 0) -> None:
        """Wait until what the key caused has run too: ``enter`` in a field posts Submitted,
        which bubbles to the screen, which moves the focus; the next key must see that focus.
        Each round waits for every widget of the screen with messages queued (and the app)."""
        if self.busy != token:
            return
        screen = self.app.screen
        nodes = [
            node
            for node in (self.app, *screen.walk_children(with_self=True))
            if node.message_queue_size
        ]
        if not nodes or rounds >= SETTLE_ROUNDS:
            self.app.call_later(self._done, token)
            return
        remaining = len(nodes)

        def processed() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                self._settle(token, rounds + 1)

        for node in nodes:
            if not node.call_later(processed):
                processed()

    async def _done(self, token: int) -> None:
        if self.busy != token:
            return
        self.busy = 0
        await self.drain()

    def _arm(self, token: int) -> None:
        def expired() -> None:
            if self.busy == token:
                self.busy = 0
                self.app.call_later(self.drain)

        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(KEY_TIMEOUT, expired)

    def _arm_opening(self, since: float) -> None:
        remaining = OPENING_TIMEOUT - (time.monotonic() - since)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(
            max(0.05, remaining + 0.05), lambda: self.app.call_later(self.drain)
        )
