"""Untrusted text made safe to show and to store (RULES §1.15, 5 "Hostile input").

Names, emails and above all the platform's answers (titles, details, messages) may carry
terminal escape sequences (an OSC 52 clipboard write, clear screen, a window title),
8-bit C1 controls (``\\x9b`` is a CSI on many terminals) and bidirectional overrides
(U+202E turns ``gnp.exe`` into ``exe.png``). :func:`visible` is the one sanitiser every
output uses: the app's screens, ``history``, ``status``, ``sync`` and ``export`` to a
terminal. It never drops a character silently: each dangerous one becomes a visible symbol,
so what the platform said can still be read. :func:`clip` bounds what is stored.
"""

from __future__ import annotations

# C0 controls as the Unicode "control pictures" (ESC is ␛, NUL ␀, BEL ␇); DEL as ␡.
_SYMBOLS: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_SYMBOLS[0x7F] = "\u2421"
# C1 controls (0x80-0x9f: CSI 0x9b, OSC 0x9d, ...) have no picture: the replacement character.
_SYMBOLS.update(dict.fromkeys(range(0x80, 0xA0), "\ufffd"))
# Bidirectional embeddings, overrides, isolates and marks, and the line/paragraph
# separators: shown by their code point, so that reordered text cannot pass for other text.
for _code in (
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x2028,
    0x2029,
):
    _SYMBOLS[_code] = f"\u27e8U+{_code:04X}\u27e9"
del _code

_MULTILINE = dict(_SYMBOLS)
del _MULTILINE[0x0A]  # a newline may stay where the output wraps text

ELLIPSIS = "\u2026"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def visible(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """``text`` as a plain string safe to print to a terminal or draw on screen.

    Control characters, escape sequences (their ESC/C1 introducer) and bidirectional
    controls become visible symbols; with ``multiline`` newlines are kept. ``limit`` cuts
    long values (before the symbols are substituted, so the cut never splits one).
    """
    if text is None:
        return ""
    value = str(text)
    if limit is not None:
        value = clip(value, limit)
    return value.translate(_MULTILINE if multiline else _SYMBOLS)


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds a character :func:`visible` would replace."""
    return any(ord(char) in _SYMBOLS for char in text)


# json.dumps already escapes C0 controls inside strings; these it leaves raw with
# ensure_ascii=False. Outside strings JSON only has ASCII, so escaping them is always valid.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in _SYMBOLS if code >= 0x7F}


def json_visible(json_text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) safe for a terminal: DEL, C1
    and bidirectional controls written as ``\\uXXXX`` escapes, so a reader parses the exact
    value while the terminal sees no control character."""
    return json_text.translate(_JSON_ESCAPES)
