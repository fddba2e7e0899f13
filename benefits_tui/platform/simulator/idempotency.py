"""Idempotency-Key handling (Stripe's semantics) on top of the store.

The first final answer to a key is stored with a fingerprint of method + path + body; the
same key and body replay it (``Idempotent-Replayed: true``), a different body is 422
``idempotency_key_reused``, and a key still being processed is 409 ``idempotency_key_in_use``.
"""

from __future__ import annotations

import hashlib

from benefits_tui.platform.contract import IDEMPOTENCY_KEY_RE, MAX_IDEMPOTENCY_KEY_LENGTH


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A hash of the request; pass a JSON body canonicalised (see ``bodies.canonical``) so
    that key order and spacing do not matter, or the raw bytes when it is not JSON."""
    digest = hashlib.sha256()
    digest.update(method.upper().encode())
    digest.update(b" ")
    digest.update(path.encode())
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def key_problem(key: str | None) -> str | None:
    """Why *key* is unusable (a message), or None when it is fine."""
    if key is None or not key.strip():
        return "this write needs an Idempotency-Key header"
    if not IDEMPOTENCY_KEY_RE.fullmatch(key):
        return (
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters "
            "(no spaces); a UUID is a good choice"
        )
    return None


class InFlight:
    """Keys whose request is being processed right now (in this process)."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def claim(self, key: str) -> bool:
        """Reserve *key*; False when it is already reserved."""
        if key in self._keys:
            return False
        self._keys.add(key)
        return True

    def release(self, key: str) -> None:
        """Free *key*."""
        self._keys.discard(key)
