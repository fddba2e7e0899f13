"""Schemathesis hooks for the contract run (loaded through ``schemathesis.toml``).

Each write gets a fresh ``Idempotency-Key``: generated keys repeat (Hypothesis likes ``"0"``),
and the platform rightly answers a key reused with another body 422
``idempotency_key_reused``. Only keys the contract accepts are replaced, so the negative
cases that send an unusable key still test its rejection.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

from benefits_tui.platform.contract import IDEMPOTENCY_KEY_RE

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Replace a usable generated Idempotency-Key with a new UUID."""
    headers = case.headers
    if not headers:
        return
    for name in list(headers):
        value = headers[name]
        usable = isinstance(value, str) and IDEMPOTENCY_KEY_RE.fullmatch(value)
        if name.lower() == HEADER.lower() and usable:
            headers[name] = f"contract-{uuid.uuid4()}"
