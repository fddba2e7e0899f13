"""Whether a sync worker is alive, from its freshest heartbeat (RULES §1.10).

Apart from :mod:`benefits_tui.services.sync.heartbeat` (which writes and reads the beats) so
that ``status``'s quick path shares it without importing SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BEAT_SECONDS = 10.0
# A worker not seen for this long is taken for gone (three missed beats plus slack).
ALIVE_WITHIN = dt.timedelta(seconds=BEAT_SECONDS * 4)


@dataclass(frozen=True, slots=True)
class WorkerLife:
    """Whether a worker is alive: the freshest heartbeat, if any."""

    alive: bool
    login: str | None = None
    seen_at: dt.datetime | None = None

    def describe(self, now: dt.datetime) -> str:
        """One line for the status line and ``sync``."""
        if self.alive and self.login:
            return f"worker {self.login} alive"
        if self.seen_at is not None:
            minutes = max(int((now - self.seen_at).total_seconds() // 60), 1)
            return f"no worker running (last seen {minutes} min ago): requests wait in the queue"
        return "no worker running yet: requests wait in the queue"


def life_from(login: str | None, seen_at: dt.datetime | None, now: dt.datetime) -> WorkerLife:
    """The freshest heartbeat (none: ``seen_at`` is None), seen at ``now``."""
    if seen_at is None:
        return WorkerLife(False)
    return WorkerLife(now - seen_at <= ALIVE_WITHIN, login, seen_at)
