"""Fault injection: which requests fail, hang or are slow, drawn from one seeded RNG."""

from __future__ import annotations

import enum
import random

from benefits_tui.platform.simulator.config import SimulatorConfig


class Fault(enum.Enum):
    """What the simulator does to one request before (or after) handling it."""

    NONE = "none"
    FAIL_500 = "fail_500"  # answer 500 before doing anything
    FAIL_503 = "fail_503"  # answer 503 before doing anything
    HANG_BEFORE = "hang_before"  # hang hang_ms without doing anything, then 504
    HANG_AFTER = "hang_after"  # handle (and commit) the request, then hang before answering


class FaultInjector:
    """Reproducible decisions: the same seed and request order give the same faults."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)

    def draw_fault(self) -> Fault:
        """The fault for the next /v1 request (consumes two draws when faults are on)."""
        fail, timeout = self.config.fail_rate, self.config.timeout_rate
        if fail <= 0 and timeout <= 0:
            return Fault.NONE
        roll = self.rng.random()
        coin = self.rng.random() < 0.5
        if roll < fail:
            return Fault.FAIL_503 if coin else Fault.FAIL_500
        if roll < fail + timeout:
            return Fault.HANG_AFTER if coin else Fault.HANG_BEFORE
        return Fault.NONE

    def latency_s(self) -> float:
        """This request's processing time: latency_ms ± jitter_ms, never negative."""
        base, jitter = self.config.latency_ms, self.config.jitter_ms
        if jitter > 0:
            base += self.rng.uniform(-jitter, jitter)
        return max(0.0, base) / 1000.0

    def goes_async(self) -> bool:
        """Whether this write answers 202 with a job."""
        ratio = self.config.async_ratio
        return ratio > 0 and (ratio >= 1 or self.rng.random() < ratio)

    def job_delay_s(self) -> float:
        """How long a new job takes: job_delay_ms ± jitter_ms, never negative."""
        delay, jitter = self.config.job_delay_ms, self.config.jitter_ms
        if jitter > 0:
            delay += self.rng.uniform(-jitter, jitter)
        return max(0.0, delay) / 1000.0

    @property
    def hang_s(self) -> float:
        """How long a hanging request hangs."""
        return self.config.hang_ms / 1000.0
