"""Hostile and malformed input at the platform boundary: 4xx problems from the simulator,
documented error classes from the client (issue 14's list, each case once)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from benefits_tui.platform.client import BenefitsClient
from benefits_tui.platform.errors import (
    AuthError,
    InvalidRequest,
    PlatformError,
    PlatformUnreachable,
    ProtocolError,
    ValidationFailed,
)
from benefits_tui.platform.simulator.app import ROUTES
from benefits_tui.platform.simulator.bodies import canonical, parse_json
from benefits_tui.platform.simulator.idempotency import fingerprint

from .conftest import AUTH, BASE, TOKEN, account_body, http_for, write_headers
from .test_simulator_api import assert_problem

DEEP = b'{"external_id":' + b"[" * 1000 + b"]" * 1000 + b"}"  # ~2 KB, 1,000 levels
LONE_SURROGATE = b'{"external_id": "E1", "forenames": "\\ud800"}'


def _nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    node = outer
    for _ in range(depth):
        node.append([])
        node = node[0]
    return outer


async def created(http: httpx.AsyncClient, n: int = 1) -> dict[str, Any]:
    response = await http.post("/v1/accounts", json=account_body(n), headers=write_headers(f"c{n}"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# --------------------------------------------------------------- simulator: bodies
@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (DEEP, "nested more than 32 levels"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested more than 32 levels"),
        (LONE_SURROGATE, "lone UTF-16 surrogate"),
        (b'{"key\\udfff": 1}', "lone UTF-16 surrogate"),
        (b'{"annual_pay": NaN}', "NaN"),
        (b'{"annual_pay": -Infinity}', "-Infinity"),
        (b'{"forenames": "\xff"}', "not UTF-8"),
        (b"[" * 100_000, "nested"),
    ],
    ids=["deep", "deep-objects", "surrogate", "surrogate-key", "nan", "infinity", "latin1", "100k"],
)
async def test_hostile_bodies_are_400_problems_on_every_write(
    http: httpx.AsyncClient, raw: bytes, detail: str
) -> None:
    account = await created(http)
    for n, path in enumerate(
        [
            "/v1/accounts",
            f"/v1/accounts/{account['id']}",
            f"/v1/accounts/{account['id']}/termination",
        ]
    ):
        method = "PATCH" if n == 1 else "POST"
        response = await http.request(
            method,
            path,
            content=raw,
            headers={**write_headers(f"h{n}"), "Content-Type": "application/json"},
        )
        body = assert_problem(response, 400, "invalid_json")
        assert detail in body["detail"]
        # the answer is stored like any final answer: a replay gives it back
        again = await http.request(method, path, content=raw, headers=write_headers(f"h{n}"))
        assert again.status_code == 400 and again.headers["idempotent-replayed"] == "true"


async def test_oversized_body_is_413(http: httpx.AsyncClient) -> None:
    raw = b'{"forenames": "' + b"x" * (1 << 20) + b'"}'
    response = await http.post("/v1/accounts", content=raw, headers=write_headers("big"))
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "pay",
    ["1" * 401, "1e309", "-1", "1000000000000", "true", '"1"'],
    ids=["401-digits", "1e309", "negative", "1e12", "bool", "string"],
)
async def test_annual_pay_out_of_range_is_422(http: httpx.AsyncClient, pay: str) -> None:
    body = json.dumps(account_body(1)).replace('"annual_pay": 42000.5', f'"annual_pay": {pay}')
    assert pay in body
    response = await http.post("/v1/accounts", content=body.encode(), headers=write_headers("p"))
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("annual_pay", "invalid_number")
    ]


async def test_a_blank_benefit_level_is_refused_and_null_clears_it(http: httpx.AsyncClient) -> None:
    for level in ("", "   "):
        response = await http.post(
            "/v1/accounts",
            json=account_body(1, benefit_level=level),
            headers=write_headers(f"b{len(level)}"),
        )
        problem = assert_problem(response, 422, "validation_failed")
        assert problem["errors"][0]["code"] == "unknown_benefit_level"
    account = await created(http, 2)
    response = await http.patch(
        f"/v1/accounts/{account['id']}", json={"benefit_level": " "}, headers=write_headers("pb")
    )
    assert_problem(response, 422, "validation_failed")
    response = await http.patch(
        f"/v1/accounts/{account['id']}", json={"benefit_level": None}, headers=write_headers("pn")
    )
    assert response.status_code == 200 and response.json()["benefit_level"] is None


async def test_termination_reason_in_a_patch_is_read_only(http: httpx.AsyncClient) -> None:
    account = await created(http)
    response = await http.patch(
        f"/v1/accounts/{account['id']}",
        json={"termination_reason": "x"},
        headers=write_headers("tr"),
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [
        {
            "field": "termination_reason",
            "code": "read_only_field",
            "message": "termination_reason is set by the platform and cannot be written",
        }
    ]


async def test_a_replayed_202_keeps_its_location(make_app: Any) -> None:
    app = make_app(async_ratio=1, job_delay_ms=10_000)
    async with http_for(app) as http:
        first = await http.post("/v1/accounts", json=account_body(1), headers=write_headers("j"))
        again = await http.post("/v1/accounts", json=account_body(1), headers=write_headers("j"))
    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert first.headers["location"] == f"/v1/jobs/{first.json()['job']['id']}"


@pytest.mark.parametrize(
    "key", ["two words", "clé", "\t", "k" * 256], ids=["space", "latin1", "tab", "256"]
)
async def test_unusable_idempotency_keys_are_400(http: httpx.AsyncClient, key: str) -> None:
    headers = {**AUTH, "Idempotency-Key": key.encode("latin-1").decode("latin-1")}
    response = await http.post(
        "/v1/accounts",
        json=account_body(1),
        headers=[(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
    )
    code = "idempotency_key_required" if not key.strip() else "idempotency_key_invalid"
    assert_problem(response, 400, code)


# ------------------------------------------------------------------ simulator: 405
def _other_method(methods: set[str]) -> str:
    return next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in methods)


async def test_every_405_says_which_methods_are_allowed(http: httpx.AsyncClient) -> None:
    for route in ROUTES:
        methods = set(route.methods or ())
        path = route.path.replace("{account_id}", "acc_x").replace("{job_id}", "job_x")
        path = path.replace("{name}", "title")
        response = await http.request(_other_method(methods), path, headers=AUTH)
        assert_problem(response, 405, "method_not_allowed")
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == methods, route.path


# ----------------------------------------------------------- simulator: /_sim/config
@pytest.mark.parametrize(
    "change",
    [
        b'{"fail_rate": false}',
        b'{"latency_ms": "10"}',
        b'{"latency_ms": null}',
        b'{"jitter_ms": NaN}',
        b'{"hang_ms": 1e999}',
        b'{"job_delay_ms": 1e12}',
        b'{"rate_limit": -1}',
        b'{"async_ratio": 2}',
        b'{"fail_rate": 0.7, "timeout_rate": 0.7}',
    ],
)
async def test_sim_config_refuses_what_is_not_a_setting(
    http: httpx.AsyncClient, change: bytes
) -> None:
    before = (await http.get("/_sim/config")).json()
    response = await http.post("/_sim/config", content=change)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    after = await http.get("/_sim/config")
    assert json.loads(after.content, parse_constant=_no_constant) == before


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in a JSON answer")


# ------------------------------------------------------------------------- client
@pytest.mark.parametrize(
    "key",
    ["", "   ", "line\nbreak", "clé", "a b", "\u2028", "k" * 256, "\ud800"],
    ids=["empty", "blank", "newline", "latin1", "space", "u2028", "256", "surrogate"],
)
async def test_client_refuses_unusable_idempotency_keys(client: BenefitsClient, key: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await client.create_account(account_body(1), key)
    assert "BENEFITS_API_URL" not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        account_body(1, annual_pay=float("nan")),
        account_body(1, annual_pay=float("inf")),
        account_body(1, forenames="\ud800"),
        account_body(1, address={"\udfff": "x"}),
        account_body(1, job_title=object()),
        {"external_id": _nested(5000)},
    ],
    ids=["nan", "inf", "surrogate", "surrogate-key", "object", "deep"],
)
async def test_client_refuses_bodies_json_cannot_carry(
    client: BenefitsClient, body: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequest):
        await client.create_account(body, "key-1")


async def test_client_refuses_unusable_text_arguments(client: BenefitsClient) -> None:
    with pytest.raises(InvalidRequest):
        await client.find_account_by_email("\ud800@example.com")
    with pytest.raises(InvalidRequest):
        await client.get_account("acc_\ud800")
    with pytest.raises(InvalidRequest):
        await client.get_account("")
    with pytest.raises(InvalidRequest):
        await client.list_accounts(cursor="\udfff")


@pytest.mark.parametrize(
    "answer",
    [
        b'{"id": "acc_1", "annual_pay": ' + b"9" * 401 + b"}",
        b'{"id": "acc_1", "annual_pay": NaN}',
        b'{"id": "acc_1", "annual_pay": 1e999}',
        b'{"id": "acc_1", "forenames": "\\ud800"}',
        b'{"id": "acc_1", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"id": "acc_1", "x": "\xff"}',
    ],
    ids=["401-digits", "nan", "1e999", "surrogate", "deep", "latin1"],
)
async def test_client_reading_hostile_answers_raises_protocol_error(answer: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer, headers={"content-type": "application/json"})

    async with BenefitsClient(BASE, TOKEN, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProtocolError):
            await client.get_account("acc_1")


async def test_client_over_the_simulator_gets_documented_errors(app: Starlette) -> None:
    """The issue's hostile writes, end to end: each is a documented, permanent error."""
    async with BenefitsClient(BASE, TOKEN, transport=httpx.ASGITransport(app=app)) as client:
        huge = json.loads(json.dumps(account_body(1)))
        huge["annual_pay"] = int("1" * 401)
        with pytest.raises(ValidationFailed):
            await client.create_account(huge, "huge")
        with pytest.raises(ValidationFailed):
            await client.create_account(account_body(2, benefit_level=""), "blank-level")
        made = await client.create_account(account_body(3), "ok")
        assert made.account is not None
        with pytest.raises(ValidationFailed) as caught:
            await client.update_account(made.account.id, {"termination_reason": "x"}, "ro")
        assert caught.value.problem is not None
        assert caught.value.problem.errors[0].code == "read_only_field"
        for key in ("", "\n", "é"):
            with pytest.raises(PlatformError) as unusable:
                await client.update_account(made.account.id, {"job_title": "x"}, key)
            assert isinstance(unusable.value, InvalidRequest)


def test_request_fingerprints_are_those_earlier_versions_stored() -> None:
    """A state file written before bodies were parsed once keeps replaying its answers."""
    raw = '{"surname": "Ødegård", "forenames":"Zoë"}'.encode()
    before = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    expected = hashlib.sha256(b"POST /v1/accounts\n" + before).hexdigest()
    assert fingerprint("post", "/v1/accounts", canonical(parse_json(raw))) == expected


@pytest.mark.parametrize(
    ("url", "token", "expected"),
    [
        ("http://a\x00b", TOKEN, PlatformUnreachable),
        ("http://\ud800.example", TOKEN, PlatformUnreachable),
        (BASE, "tok\nen", AuthError),
        (BASE, "tokén", AuthError),
        (BASE, "\ud800", AuthError),
        (BASE, " padded ", AuthError),
    ],
    ids=["nul-in-url", "surrogate-host", "newline-token", "latin1-token", "surrogate", "padded"],
)
async def test_unusable_settings_are_documented_errors(
    url: str, token: str, expected: type[PlatformError]
) -> None:
    with pytest.raises(expected) as caught:
        async with BenefitsClient(url, token) as client:
            await client.check_connection()
    assert token.strip() not in str(caught.value)
