"""Reading request bodies from outside: bounded in size, depth and content.

Whatever arrives is refused with a reason (a 4xx problem) rather than reaching code that
would fail on it: more than :data:`MAX_BODY_BYTES`, bytes that are not UTF-8, text that is
not JSON or uses JavaScript's ``NaN``/``Infinity``, nesting deeper than :data:`MAX_DEPTH`
(Python's parser would otherwise raise ``RecursionError`` near 1,000 levels), or a lone
UTF-16 surrogate such as ``"\\ud800"`` (valid JSON syntax, but no text: it cannot be
stored, hashed or sent back as UTF-8).
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.requests import Request

MAX_BODY_BYTES: Final = 1 << 20
"""Largest request body read (1 MiB; an account with every text field at its longest fits)."""
MAX_DEPTH: Final = 32
"""Deepest nesting of arrays and objects accepted (an account needs 2)."""


class BodyTooLarge(Exception):
    """The body is longer than :data:`MAX_BODY_BYTES`."""


class BadBody(ValueError):
    """The body cannot be used; ``str(exc)`` says why, for a problem's ``detail``."""


async def read_capped(request: Request) -> bytes:
    """The whole body, refusing (:class:`BodyTooLarge`) one longer than the cap.

    The stream is read chunk by chunk, so a lying or missing ``Content-Length`` cannot make
    the simulator hold more than the cap in memory.
    """
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse_constant(name: str) -> Any:
    raise BadBody(f"the body uses {name}, which is not JSON")


def parse_json(raw: bytes) -> Any:
    """*raw* parsed as strict JSON; raises :class:`BadBody` saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadBody(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except BadBody:
        raise
    except ValueError:
        raise BadBody("the body is not valid JSON") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise BadBody(f"the body is nested more than {MAX_DEPTH} levels deep")
    if _has_lone_surrogate(value):
        raise BadBody("the body holds a lone UTF-16 surrogate escape (such as \\ud800), not text")
    return value


def canonical(value: Any) -> bytes:
    """*value* (from :func:`parse_json`) as canonical JSON bytes: sorted keys, no spaces.

    ASCII with escapes, as the simulator has always hashed bodies: an answer stored by an
    earlier version still replays for the same request."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _has_lone_surrogate(value: Any) -> bool:
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
