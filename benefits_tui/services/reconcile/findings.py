"""What a reconciliation reports (RULES §1.16), and the comparison of HR with an account.

The comparison starts from exactly what a sync would send (:func:`account_body`, the same
function the sync engine uses), so an employee synced a moment ago never shows as drift;
each field is then compared the way the platform itself treats it (emails without regard to
case, pay as an amount of money, an address without its empty parts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from benefits_tui.domain.safe_text import clip
from benefits_tui.platform.contract import WRITABLE_FIELDS, normalise_email
from benefits_tui.services.sync.payload import account_body

MAX_VALUE_CHARS = 500  # the platform's words are stored bounded (RULES §1.15)


class DriftKind(StrEnum):
    """The kinds of difference between HR and the platform, in the order people read them."""

    FIELD_DRIFT = "field_drift"
    TERMINATED_ON_PLATFORM = "terminated_on_platform"
    MISSING_ON_PLATFORM = "missing_on_platform"
    ACTIVE_LEAVER = "active_leaver"
    UNLINKED_MATCH = "unlinked_match"
    ORPHAN = "orphan"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def slug(self) -> str:
        """The CLI spelling: ``field-drift``."""
        return self.value.replace("_", "-")


KIND_LABELS: dict[DriftKind, str] = {
    DriftKind.FIELD_DRIFT: "Fields differ",
    DriftKind.TERMINATED_ON_PLATFORM: "Terminated on platform",
    DriftKind.MISSING_ON_PLATFORM: "Gone from platform",
    DriftKind.ACTIVE_LEAVER: "Leaver still active",
    DriftKind.UNLINKED_MATCH: "Unlinked match",
    DriftKind.ORPHAN: "Orphan account",
}

# The kinds `reconcile --fix` and the Drift view can repair.
REPAIRABLE = (DriftKind.FIELD_DRIFT, DriftKind.UNLINKED_MATCH)

# What the detail pane shows side by side, beyond the fields a sync writes.
SHOWN_FIELDS: tuple[str, ...] = (*WRITABLE_FIELDS, "status", "leave_date")


@dataclass(frozen=True)
class Finding:
    """One difference. ``fields`` are the differing ones (``field_drift``); ``values`` both
    sides of every field, for the side-by-side view."""

    kind: DriftKind
    employee_id: int | None = None
    account_id: str | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


def bounded(value: Any) -> Any:
    """A value from the platform as it may be stored: JSON scalars and small objects, strings
    clipped; anything else shown as its text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return clip(value, MAX_VALUE_CHARS)
    if isinstance(value, Mapping):
        return {str(key)[:64]: bounded(item) for key, item in list(value.items())[:20]}
    return bounded(str(value))


def _address(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {key: item for key, item in value.items() if item not in (None, "")} or None


def _same(name: str, hr: Any, platform: Any) -> bool:
    """Whether the platform holds what HR would send for ``name``."""
    if name == "email" and isinstance(hr, str) and isinstance(platform, str):
        return normalise_email(hr) == normalise_email(platform)
    if name == "annual_pay":
        numbers = (int, float)
        if (
            isinstance(hr, numbers)
            and isinstance(platform, numbers)
            and not isinstance(platform, bool)
        ):
            return round(float(hr), 2) == round(float(platform), 2)
        return False
    if name == "address":
        return bool(_address(hr) == _address(platform))
    return bool(hr == platform)


def hr_body(employee: Mapping[str, Any]) -> dict[str, Any]:
    """What a sync would send for this employee (the sync engine's own function)."""
    return account_body(employee)


def differing_fields(
    body: Mapping[str, Any], account: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The fields of ``body`` (what HR sends) the account holds differently.

    Fields HR leaves empty are not sent by a sync, so they are not compared either: a re-send
    of HR's values repairs every difference reported here.
    """
    return {
        name: {"hr": bounded(value), "platform": bounded(account.get(name))}
        for name, value in body.items()
        if not _same(name, value, account.get(name))
    }


def side_by_side(
    body: Mapping[str, Any] | None,
    account: Mapping[str, Any] | None,
    leave_date: dt.date | None = None,
) -> dict[str, dict[str, Any]]:
    """Both sides of every shown field (either side may be absent)."""
    hr = dict(body or {})
    if leave_date is not None:
        hr["leave_date"] = leave_date.isoformat()
    if body is not None:
        hr.setdefault("status", "leaver" if leave_date is not None else "current")
    values: dict[str, dict[str, Any]] = {}
    for name in SHOWN_FIELDS:
        mine = hr.get(name)
        theirs = account.get(name) if account is not None else None
        if mine is None and theirs is None:
            continue
        values[name] = {"hr": bounded(mine), "platform": bounded(theirs)}
    return values
