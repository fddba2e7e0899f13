"""Words for people, shared by the app and the command line (no Textual here)."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 employee`` / ``1,234 employees``."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
