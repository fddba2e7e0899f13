"""Words shown to people, written once for every layer (CLI, services and app)."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 employee`` / ``1,234 employees`` (``words`` for an irregular plural)."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
