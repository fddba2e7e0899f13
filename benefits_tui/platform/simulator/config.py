"""How a simulator instance behaves: token, state file, and the faults it injects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benefits_tui.platform.contract import DEFAULT_BENEFIT_LEVELS

MAX_DELAY_MS = 3_600_000.0
"""Longest latency, jitter, job delay or hang (one hour)."""
MAX_RATE_LIMIT = 1_000_000.0
"""Highest rate limit in requests/s (0 = none)."""


@dataclass
class SimulatorConfig:
    """Settings of one simulator (RULES §2 and 4; times in milliseconds, shares in 0..1).

    ``state_path`` None keeps state in memory; ``rate_limit`` 0 means unlimited.
    ``fail_rate`` answers 500/503 before doing anything; ``timeout_rate`` hangs for
    ``hang_ms`` (half of those after committing the change). ``seed`` makes faults reproducible.
    """

    token: str = field(repr=False)
    state_path: str | Path | None = None
    latency_ms: float = 0
    jitter_ms: float = 0
    async_ratio: float = 0
    job_delay_ms: float = 500
    fail_rate: float = 0
    timeout_rate: float = 0
    hang_ms: float = 30000
    rate_limit: float = 0
    preload: str | Path | None = None
    seed: int = 0
    benefit_levels: tuple[tuple[str, str], ...] = DEFAULT_BENEFIT_LEVELS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting out of range."""
        if not self.token:
            raise ValueError("token must not be empty")
        # Written so that NaN (which fails every comparison) is refused too.
        for name in ("async_ratio", "fail_rate", "timeout_rate"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.fail_rate + self.timeout_rate > 1:
            raise ValueError("fail_rate + timeout_rate must not exceed 1")
        for name in ("latency_ms", "jitter_ms", "job_delay_ms", "hang_ms"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_DELAY_MS:
                raise ValueError(f"{name} must be from 0 to {MAX_DELAY_MS:g}, not {value}")
        if not 0 <= self.rate_limit <= MAX_RATE_LIMIT:
            raise ValueError(
                f"rate_limit must be from 0 to {MAX_RATE_LIMIT:g}, not {self.rate_limit}"
            )
        if not self.benefit_levels:
            raise ValueError("benefit_levels must offer at least one level")

    @property
    def fault_settings(self) -> dict[str, float]:
        """The settings ``POST /_sim/config`` may change at run time."""
        return {name: getattr(self, name) for name in MUTABLE_SETTINGS}


MUTABLE_SETTINGS: tuple[str, ...] = (
    "latency_ms",
    "jitter_ms",
    "async_ratio",
    "job_delay_ms",
    "fail_rate",
    "timeout_rate",
    "hang_ms",
    "rate_limit",
)
