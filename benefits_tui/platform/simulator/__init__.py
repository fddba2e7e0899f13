"""A realistic, fault-injecting simulator of the Benefits platform API (Starlette + SQLite)."""

from benefits_tui.platform.simulator.config import SimulatorConfig

__all__ = ["SimulatorConfig"]
