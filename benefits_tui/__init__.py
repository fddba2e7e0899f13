"""benefits-tui: send HR employee records to a Benefits platform, and watch, review and repair the sync."""

__version__ = "0.1.0"
