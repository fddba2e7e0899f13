"""A token bucket: ``rate`` requests per second with a burst of about one second's worth."""

from __future__ import annotations

import math
import time


class TokenBucket:
    """Allows ``rate`` requests/s on average, bursts of ``max(1, rate)``; rate 0 = unlimited."""

    def __init__(self, rate: float) -> None:
        self.configure(rate)

    def configure(self, rate: float) -> None:
        """Change the rate (the bucket starts full)."""
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()

    def take(self) -> float:
        """Spend one token: 0.0 when allowed, else seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


def retry_after_header(wait_s: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))
