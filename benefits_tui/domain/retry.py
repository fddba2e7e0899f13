"""The one retry/backoff policy: how long to wait before trying again, and when to stop.

Every wait that follows a failure uses a :class:`RetryPolicy`: a record's retries after
transient trouble, the polling of a platform job, the worker's waits on database trouble and
the client's quick retries of a GET. Delays grow geometrically from ``base_seconds`` by
``factor`` up to ``max_seconds``; ``jitter`` spreads them (a fraction of each delay drawn at
random) so that many records do not come back at the same instant. A retry is bounded by
**time** (``budget_seconds``), never by a count: an outage shorter than the budget fails
nobody, whatever the delays (RULES §1.3).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays ``base * factor**(n-1)`` capped at ``max_seconds``, within a time budget."""

    base_seconds: float
    max_seconds: float
    factor: float = 2.0
    jitter: float = 0.0  # 0.5: each delay drawn between half and all of its ceiling
    budget_seconds: float | None = None  # None: never give up (the caller waits for ever)

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.max_seconds < self.base_seconds or self.factor < 1:
            raise ValueError("a retry policy needs 0 < base <= max and a factor >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 for the first)."""
        exponent = min(max(attempt - 1, 0), 1000)  # no overflow however many attempts
        try:
            ceiling = min(self.max_seconds, self.base_seconds * self.factor**exponent)
        except OverflowError:
            ceiling = self.max_seconds
        if self.jitter and rng is not None:
            return ceiling * (1 - self.jitter + self.jitter * rng.random())
        return ceiling

    def delay_after(self, waited_seconds: float) -> float:
        """The next delay when ``waited_seconds`` have passed since the first try.

        For callers that keep the start time but no count (a job being polled): the
        attempt number whose delays add up to ``waited_seconds``, then its delay.
        """
        waited = max(waited_seconds, 0.0)
        if self.factor == 1:
            return self.base_seconds
        attempts = math.log(waited * (self.factor - 1) / self.base_seconds + 1, self.factor)
        return self.delay(math.floor(attempts) + 1)

    def delays(self, count: int) -> tuple[float, ...]:
        """The first ``count`` delays, without jitter (a fixed schedule)."""
        return tuple(self.delay(attempt) for attempt in range(1, max(count, 0) + 1))

    def spent(self, since: dt.datetime, now: dt.datetime) -> bool:
        """True when the time budget that started at ``since`` has run out at ``now``."""
        if self.budget_seconds is None:
            return False
        return (now - since).total_seconds() >= self.budget_seconds


#: The client's quick retries of an idempotent GET on transient trouble (0.1 s, 0.4 s, ...).
GET_RETRY = RetryPolicy(base_seconds=0.1, max_seconds=2.0, factor=4.0)
#: A worker's waits while the database is in trouble: 0.5 s doubling to 30 s, for ever.
DATABASE_TROUBLE = RetryPolicy(base_seconds=0.5, max_seconds=30.0)
