"""Hooks the HR side sets around platform calls; no httpx here, so importing them is cheap.

(The app imports the pacing of platform calls long before it makes one: importing the client,
and httpx with it, cost the first frame a tenth of a second.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

#: Awaited (when set) before each automatic retry of a GET. The sync engine sets it around
#: its calls so that a retry waits for the shared 429 hold-back and rate limit like any
#: other request, instead of landing inside another process's Retry-After window.
before_retry: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "benefits_before_retry", default=None
)
