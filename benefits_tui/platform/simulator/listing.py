"""``GET /v1/accounts`` as a paged listing: its query parameters and its opaque cursor.

Accounts are listed in ``id`` order (byte order), a total and stable order: an account's
place never changes when it is updated, so a walk over every page sees each account that
existed throughout exactly once. The cursor remembers the last ``id`` sent and the filters
(``email``, ``updated_since``) of the walk; it is base64url JSON, opaque to clients, and
checked strictly because it comes back from outside.

``updated_at`` has whole-second precision, so ``updated_since`` is compared at whole seconds
and inclusively: a caller passing the time of its last run sees every change since then
(and perhaps a few it has already seen), never fewer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from benefits_tui.domain.fields import MAX_EMAIL_LENGTH
from benefits_tui.platform import contract as c

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_STAMP: Final = "%Y-%m-%dT%H:%M:%SZ"  # the store's timestamps: UTC, whole seconds
_CURSOR_CHARS: Final = re.compile(r"[A-Za-z0-9_-]+")
_CURSOR_VERSION: Final = 1
_FILTERS: Final = ("email", "updated_since")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One page request: at most *limit* accounts after *after*, matching the filters."""

    limit: int
    after: str | None = None
    email: str | None = None  # normalised (see contract.normalise_email)
    updated_since: str | None = None  # UTC, whole seconds, in the store's timestamp format


class BadQuery(ValueError):
    """The query parameters cannot be honoured; ``problems`` say which and why."""

    def __init__(self, problems: list[c.FieldProblem]) -> None:
        super().__init__("; ".join(message for _f, _c, message in problems))
        self.problems = problems


def parse_query(params: Mapping[str, str]) -> ListQuery:
    """The page asked for by these query parameters; raises :class:`BadQuery`."""
    problems: list[c.FieldProblem] = []
    limit = c.LIST_LIMIT_DEFAULT
    raw_limit = params.get("limit")
    if raw_limit is not None:
        if (
            raw_limit.isascii()
            and raw_limit.isdigit()
            and len(raw_limit) <= 4
            and 1 <= int(raw_limit) <= c.LIST_LIMIT_MAX
        ):
            limit = int(raw_limit)
        else:
            problems.append(
                (
                    "limit",
                    c.INVALID_LIMIT,
                    f"limit must be a whole number from 1 to {c.LIST_LIMIT_MAX}",
                )
            )

    email: str | None = None
    raw_email = params.get("email")
    if raw_email is not None:
        if c.is_blank(raw_email):
            problems.append(("email", c.MISSING_FIELD, "email, when given, must not be blank"))
        elif len(raw_email) > MAX_EMAIL_LENGTH:
            problems.append(
                ("email", c.INVALID_EMAIL, f"email must be at most {MAX_EMAIL_LENGTH} characters")
            )
        else:
            email = c.normalise_email(raw_email)

    since: str | None = None
    raw_since = params.get("updated_since")
    if raw_since is not None:
        since = parse_timestamp(raw_since)
        if since is None:
            problems.append(
                (
                    "updated_since",
                    c.INVALID_DATE,
                    "updated_since must be an RFC 3339 date-time with an offset, "
                    "e.g. 2026-01-31T09:00:00Z",
                )
            )

    after: str | None = None
    raw_cursor = params.get("cursor")
    if raw_cursor is not None and not problems:
        walk = decode_cursor(raw_cursor)
        if walk is None:
            problems.append(
                ("cursor", c.INVALID_CURSOR, "cursor is not one this platform gave out")
            )
        elif (raw_email is not None and walk.email != email) or (
            raw_since is not None and walk.updated_since != since
        ):
            problems.append(
                (
                    "cursor",
                    c.INVALID_CURSOR,
                    "cursor belongs to a listing with other filters; send the same "
                    "email and updated_since with every page, or none",
                )
            )
        else:
            after, email, since = walk.after, walk.email, walk.updated_since
    if problems:
        raise BadQuery(problems)
    return ListQuery(limit=limit, after=after, email=email, updated_since=since)


def parse_timestamp(text: str) -> str | None:
    """*text* (RFC 3339 date-time with an offset) as UTC whole seconds, or None if invalid.

    Times before year 1 or after 9999 in UTC (reachable only through an offset) are
    clamped to the first or last representable second: they still filter correctly.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        # RFC 3339 admits a leap second (:60); Python's datetime does not.
        local = dt.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    offset = dt.timedelta()
    if match.group(8) is not None:
        hours, minutes = int(match.group(9)), int(match.group(10))
        if hours > 23 or minutes > 59:
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if match.group(8) == "-":
            offset = -offset
    try:
        utc = local - offset
    except OverflowError:
        utc = dt.datetime.min if offset > dt.timedelta() else dt.datetime.max
    return utc.strftime(_STAMP)


def encode_cursor(query: ListQuery, last_id: str) -> str:
    """The cursor for the page after the account *last_id* of this walk."""
    document = {
        "v": _CURSOR_VERSION,
        "after": last_id,
        "email": query.email,
        "updated_since": query.updated_since,
    }
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> ListQuery | None:
    """The walk a cursor continues (its ``limit`` unset: 0), or None when it is not ours."""
    if len(cursor) > c.MAX_CURSOR_LENGTH or not _CURSOR_CHARS.fullmatch(cursor):
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if (
        not isinstance(document, dict)
        or set(document) != {"v", "after", *_FILTERS}
        or type(document["v"]) is not int
        or document["v"] != _CURSOR_VERSION
        or not isinstance(document["after"], str)
        or not document["after"]
    ):
        return None
    email, since = document["email"], document["updated_since"]
    if email is not None and (not isinstance(email, str) or c.is_blank(email)):
        return None
    if since is not None and (not isinstance(since, str) or parse_timestamp(since) != since):
        return None
    return ListQuery(limit=0, after=document["after"], email=email, updated_since=since)
