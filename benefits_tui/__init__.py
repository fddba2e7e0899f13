"""benefits-tui: send HR employee records to a Benefits platform; watch and repair the sync."""

__version__ = "0.1.0"
