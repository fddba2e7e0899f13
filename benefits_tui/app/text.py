"""Untrusted text, shown literally (RULES §3, 5 "Hostile input").

Every value that came from a person or the platform (names, emails, reasons, history) goes
through :func:`clean` or :func:`literal` before it reaches the screen: it is never parsed as
markup, and control characters (ANSI escape sequences, carriage returns, bells...) are
replaced by visible symbols so they cannot move the cursor or restyle the terminal (the one
sanitiser, :func:`benefits_tui.domain.safe_text.visible`, which the CLI uses too).
"""

from __future__ import annotations

import datetime as dt

from textual.content import Content

from benefits_tui.domain.safe_text import visible

MAX_CHARS = 4000  # a 10,000-character value is shown cut, with an ellipsis


def clean(text: object, *, multiline: bool = False, limit: int = MAX_CHARS) -> str:
    """``text`` as a plain string safe to draw: control characters made visible."""
    return visible(text, multiline=multiline, limit=limit)


def literal(text: object, style: str = "", *, multiline: bool = False) -> Content:
    """Untrusted ``text`` as :class:`Content` (never markup), optionally styled."""
    return Content.styled(clean(text, multiline=multiline), style)


def when(moment: dt.datetime | None) -> str:
    """A timestamp for people, in local time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
