"""RFC 9457 problem+json answers with the platform's error codes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import Response

from benefits_tui.platform.contract import PROBLEM_TYPE_BASE, FieldProblem

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES: dict[str, str] = {
    "validation_failed": "The request has invalid fields",
    "invalid_json": "The body is not a JSON object",
    "email_in_use": "Another account already uses this email",
    "idempotency_key_required": "Idempotency-Key header required",
    "idempotency_key_invalid": "Idempotency-Key header not usable",
    "idempotency_key_reused": "Idempotency-Key reused with a different request",
    "idempotency_key_in_use": "A request with this Idempotency-Key is in progress",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "payload_too_large": "The body is too large",
    "unauthorized": "Missing or invalid API token",
    "rate_limited": "Too many requests",
    "internal_error": "Internal server error",
    "service_unavailable": "Service temporarily unavailable",
    "gateway_timeout": "The platform did not answer in time",
}


def problem_body(
    status: int,
    code: str,
    detail: str,
    errors: Iterable[FieldProblem] = (),
    title: str | None = None,
) -> dict[str, Any]:
    """A problem document as a dict."""
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [{"field": f, "code": c, "message": m} for f, c, m in errors],
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def problem_response(
    status: int,
    code: str,
    detail: str,
    errors: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    return Response(
        encode(problem_body(status, code, detail, errors)),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )
