"""Every call of RULES §2 against the simulator, over HTTP (in-process ASGI)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from benefits_tui.domain.fields import REQUIRED_FOR_PLATFORM
from benefits_tui.platform.contract import MAX_TEXT_LENGTH

from .conftest import AUTH, account_body, http_for, write_headers


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "code", "errors"}
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith("/" + code)
    problem: dict[str, Any] = body
    return problem


async def create(
    http: httpx.AsyncClient, n: int = 1, key: str | None = None, **overrides: Any
) -> httpx.Response:
    return await http.post(
        "/v1/accounts", json=account_body(n, **overrides), headers=write_headers(key or f"k-{n}")
    )


# ------------------------------------------------------------------------ auth
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"bearer x{AUTH}"},
    ],
)
async def test_every_v1_call_needs_the_token(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/v1/accounts?email=a@b.co"),
        ("POST", "/v1/accounts"),
        ("GET", "/v1/health"),
        ("GET", "/v1/benefit-levels"),
        ("GET", "/v1/jobs/x"),
        ("PATCH", "/v1/accounts/x"),
    ]:
        response = await http.request(method, path, headers=headers)
        body = assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "PLATFORM-SECRET" not in response.text and body["errors"] == []


async def test_sim_endpoints_need_no_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/_sim/stats")).status_code == 200


async def test_health(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/health", headers=AUTH)
    assert response.status_code == 200 and response.json()["status"] == "ok"


# ------------------------------------------------------------------- create
async def test_create_returns_201_with_the_account(http: httpx.AsyncClient) -> None:
    response = await create(http)
    assert response.status_code == 201
    account = response.json()
    sent = account_body(1)
    assert account["id"].startswith("acc_")
    for field, value in sent.items():
        assert account[field] == value
    assert account["status"] == "active" and account["leave_date"] is None
    assert "idempotent-replayed" not in response.headers


async def test_create_keeps_unicode_and_markup_literally(http: httpx.AsyncClient) -> None:
    prefix = "[bold]Ådne[/bold] \u202eأحمد\x1b[31m"
    name = prefix + "x" * (MAX_TEXT_LENGTH - len(prefix))  # as long as a name may be
    response = await create(http, forenames=name)
    assert response.status_code == 201
    fetched = await http.get(f"/v1/accounts/{response.json()['id']}", headers=AUTH)
    assert fetched.json()["forenames"] == name
    too_long = await create(http, 2, forenames=name + "x")
    body = assert_problem(too_long, 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("forenames", "too_long")]


async def test_create_missing_fields_is_422_naming_each(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/accounts", json={"forenames": "A"}, headers=write_headers("k"))
    body = assert_problem(response, 422, "validation_failed")
    fields = {e["field"] for e in body["errors"] if e["code"] == "missing_field"}
    # Every field HR knows the platform needs (but the forenames sent), and our own key.
    assert fields == {"external_id", *REQUIRED_FOR_PLATFORM} - {"forenames"}
    assert (await http.get("/_sim/stats")).json()["accounts"] == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "jo@@example", "invalid_email"),
        ("date_of_birth", "1990-13-01", "invalid_date"),
        ("benefit_level", "Platinum", "unknown_benefit_level"),
        ("title", "Lord", "picklist_value_not_recognised"),
        ("gender", "male", "picklist_value_not_recognised"),
        ("pay_basis", "Commission", "picklist_value_not_recognised"),
        ("pay_frequency", "Yearly", "picklist_value_not_recognised"),
        ("id", "acc_mine", "read_only_field"),
        ("favourite_colour", "blue", "unknown_field"),
    ],
)
async def test_create_field_errors(
    http: httpx.AsyncClient, field: str, value: str, code: str
) -> None:
    fields: dict[str, Any] = {field: value}
    body = assert_problem(await create(http, **fields), 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert body["errors"][0]["message"]


async def test_create_rejects_a_body_that_is_not_a_json_object(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/accounts", content=b"{nope", headers=write_headers("j1"))
    assert_problem(response, 400, "invalid_json")
    response = await http.post("/v1/accounts", json=[1, 2], headers=write_headers("j2"))
    assert_problem(response, 400, "invalid_json")


async def test_create_with_an_email_in_use_is_409_case_insensitive(http: httpx.AsyncClient) -> None:
    first = await create(http, 1, email="Sam.Lee@Example.com")
    assert first.status_code == 201
    body = assert_problem(await create(http, 2, email="sam.lee@EXAMPLE.COM"), 409, "email_in_use")
    assert (
        body["errors"][0]["field"] == "email" and first.json()["id"] in body["errors"][0]["message"]
    )
    stats = (await http.get("/_sim/stats")).json()
    assert stats["accounts"] == 1 and stats["duplicate_emails"] == 0


async def test_writes_need_an_idempotency_key(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    for method, path, body in [
        ("POST", "/v1/accounts", account_body(2)),
        ("PATCH", f"/v1/accounts/{created['id']}", {"job_title": "X"}),
        (
            "POST",
            f"/v1/accounts/{created['id']}/termination",
            {"leave_date": "2026-01-31", "reason": "Left"},
        ),
    ]:
        assert_problem(
            await http.request(method, path, json=body, headers=AUTH),
            400,
            "idempotency_key_required",
        )
    too_long = {**AUTH, "Idempotency-Key": "k" * 256}
    assert_problem(
        await http.post("/v1/accounts", json=account_body(3), headers=too_long),
        400,
        "idempotency_key_invalid",
    )
    assert (await http.get("/_sim/stats")).json()["accounts"] == 1


# ------------------------------------------------------------------- look-up
async def test_lookup_by_email_is_case_insensitive(http: httpx.AsyncClient) -> None:
    created = (await create(http, email="Mixed.Case@Example.com")).json()
    for query in ["mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM", "Mixed.Case@Example.com"]:
        response = await http.get("/v1/accounts", params={"email": query}, headers=AUTH)
        assert response.status_code == 200
        assert [a["id"] for a in response.json()["data"]] == [created["id"]]
    response = await http.get("/v1/accounts", params={"email": "nobody@example.com"}, headers=AUTH)
    assert response.json() == {"data": [], "next_cursor": None}


async def test_lookup_with_a_blank_email_is_422(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/accounts", params={"email": " "}, headers=AUTH)
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0] == {
        "field": "email",
        "code": "missing_field",
        "message": "email, when given, must not be blank",
    }


# --------------------------------------------------------------------- read
async def test_read_by_id_and_404(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    response = await http.get(f"/v1/accounts/{created['id']}", headers=AUTH)
    assert response.status_code == 200 and response.json() == created
    assert_problem(await http.get("/v1/accounts/acc_missing", headers=AUTH), 404, "not_found")


# -------------------------------------------------------------------- patch
async def test_patch_is_a_partial_update(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    response = await http.patch(
        f"/v1/accounts/{created['id']}",
        json={"benefit_level": "EXECUTIVE", "annual_pay": 50000},
        headers=write_headers("p1"),
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["benefit_level"] == "EXECUTIVE" and updated["annual_pay"] == 50000
    assert updated["surname"] == created["surname"] and updated["email"] == created["email"]
    assert (await http.get(f"/v1/accounts/{created['id']}", headers=AUTH)).json() == updated


async def test_patch_validates_each_given_field(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    response = await http.patch(
        f"/v1/accounts/{created['id']}",
        json={"email": "bad", "title": "King", "surname": ""},
        headers=write_headers("p2"),
    )
    body = assert_problem(response, 422, "validation_failed")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("email", "invalid_email"),
        ("title", "picklist_value_not_recognised"),
        ("surname", "missing_field"),
    }
    assert (await http.get(f"/v1/accounts/{created['id']}", headers=AUTH)).json() == created


async def test_patch_unknown_account_is_404(http: httpx.AsyncClient) -> None:
    response = await http.patch(
        "/v1/accounts/acc_nope", json={"job_title": "X"}, headers=write_headers("p3")
    )
    assert_problem(response, 404, "not_found")


async def test_patch_email_to_another_accounts_email_is_409(http: httpx.AsyncClient) -> None:
    a = (await create(http, 1)).json()
    b = (await create(http, 2)).json()
    response = await http.patch(
        f"/v1/accounts/{b['id']}", json={"email": a["email"].upper()}, headers=write_headers("p4")
    )
    assert_problem(response, 409, "email_in_use")
    # changing the case of its own email, or to a free email, is fine and moves the look-up
    ok = await http.patch(
        f"/v1/accounts/{b['id']}",
        json={"email": "new.home@example.com"},
        headers=write_headers("p5"),
    )
    assert ok.status_code == 200
    found = await http.get("/v1/accounts", params={"email": "NEW.HOME@example.com"}, headers=AUTH)
    assert [x["id"] for x in found.json()["data"]] == [b["id"]]
    old = await http.get("/v1/accounts", params={"email": b["email"]}, headers=AUTH)
    assert old.json()["data"] == []
    same = await http.patch(
        f"/v1/accounts/{a['id']}", json={"email": a["email"].upper()}, headers=write_headers("p6")
    )
    assert same.status_code == 200


# -------------------------------------------------------------- termination
async def test_termination(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    response = await http.post(
        f"/v1/accounts/{created['id']}/termination",
        json={"leave_date": "2026-03-31", "reason": "Resignation"},
        headers=write_headers("t1"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "terminated" and body["leave_date"] == "2026-03-31"
    assert body["termination_reason"] == "Resignation"


async def test_termination_errors(http: httpx.AsyncClient) -> None:
    created = (await create(http)).json()
    bad = await http.post(
        f"/v1/accounts/{created['id']}/termination",
        json={"leave_date": "2026-02-30", "reason": "x"},
        headers=write_headers("t2"),
    )
    body = assert_problem(bad, 422, "validation_failed")
    assert (
        body["errors"][0]["field"] == "leave_date" and body["errors"][0]["code"] == "invalid_date"
    )
    missing = await http.post(
        f"/v1/accounts/{created['id']}/termination", json={}, headers=write_headers("t3")
    )
    assert {e["field"] for e in assert_problem(missing, 422, "validation_failed")["errors"]} == {
        "leave_date",
        "reason",
    }
    unknown = await http.post(
        "/v1/accounts/acc_x/termination",
        json={"leave_date": "2026-01-01", "reason": "x"},
        headers=write_headers("t4"),
    )
    assert_problem(unknown, 404, "not_found")
    assert (await http.get(f"/v1/accounts/{created['id']}", headers=AUTH)).json()[
        "status"
    ] == "active"


# --------------------------------------------------------- levels, picklists
async def test_benefit_levels_and_picklists(http: httpx.AsyncClient) -> None:
    levels = await http.get("/v1/benefit-levels", headers=AUTH)
    assert levels.json() == {
        "data": [
            {"code": "CORE", "name": "Core"},
            {"code": "ENHANCED", "name": "Enhanced"},
            {"code": "EXECUTIVE", "name": "Executive"},
        ]
    }
    expected = {
        "title": ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"],
        "gender": ["M", "F", "X", "N"],
        "pay_basis": ["Salary", "Hourly"],
        "pay_frequency": ["Weekly", "Fortnightly", "Four-weekly", "Monthly"],
    }
    for name, values in expected.items():
        response = await http.get(f"/v1/picklists/{name}", headers=AUTH)
        assert response.status_code == 200 and response.json() == {"data": values}
    assert_problem(await http.get("/v1/picklists/shoe_size", headers=AUTH), 404, "not_found")


async def test_configured_benefit_levels_are_offered_and_enforced(make_app: Any) -> None:
    app = make_app(benefit_levels=(("GOLD", "Gold"),))
    async with http_for(app) as http:
        assert (await http.get("/v1/benefit-levels", headers=AUTH)).json() == {
            "data": [{"code": "GOLD", "name": "Gold"}]
        }
        assert (await create(http, benefit_level="GOLD")).status_code == 201
        assert_problem(await create(http, 2, benefit_level="CORE"), 422, "validation_failed")


async def test_unknown_route_and_method_are_problems(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/v1/nothing", headers=AUTH), 404, "not_found")
    assert_problem(await http.delete("/v1/accounts/x", headers=AUTH), 405, "method_not_allowed")


# -------------------------------------------------------------- /_sim views
async def test_stats_shape_and_counts(http: httpx.AsyncClient) -> None:
    await create(http, 1)
    await create(http, 1, key="other")  # 409: same email
    await http.get("/v1/accounts/none", headers=AUTH)
    await http.get("/v1/health")
    stats = (await http.get("/_sim/stats")).json()
    assert stats == {
        "accounts": 1,
        "duplicate_emails": 0,
        "requests_by_status": {"201": 1, "401": 1, "404": 1, "409": 1},
    }


async def test_request_log_and_accounts_view(http: httpx.AsyncClient) -> None:
    await create(http, 1, key="log-key")
    await http.get("/v1/health", headers=AUTH)
    log = (await http.get("/_sim/requests")).json()["data"]
    assert [(e["method"], e["path"], e["status"], e["idempotency_key"]) for e in log] == [
        ("POST", "/v1/accounts", 201, "log-key"),
        ("GET", "/v1/health", 200, None),
    ]
    assert log[0]["time"] <= log[1]["time"]
    assert (await http.get("/_sim/requests?limit=1")).json()["data"][0]["path"] == "/v1/health"
    accounts = (await http.get("/_sim/accounts")).json()["data"]
    assert [a["email"] for a in accounts] == [account_body(1)["email"]]


async def test_the_log_bounds_arrival_by_when_the_server_was_last_free(
    http: httpx.AsyncClient,
) -> None:
    """A server kept busy reads its sockets late: each entry says how early the request can
    have arrived (``earliest``) beside when it was seen (``time``)."""
    await http.get("/v1/health", headers=AUTH)  # the serving loop starts noting when it is free
    await asyncio.sleep(0.1)
    await http.get("/v1/health", headers=AUTH)
    time.sleep(0.3)  # the server's loop is kept busy (in-process here: this test holds it)
    await http.get("/v1/health", headers=AUTH)
    first, prompt, late = (await http.get("/_sim/requests")).json()["data"]
    assert first["earliest"] == first["time"]
    assert 0 <= prompt["time"] - prompt["earliest"] < 0.25  # the loop was free a beat ago
    assert late["time"] - late["earliest"] >= 0.3  # it may have arrived any time in the stall


async def test_reset_and_runtime_config(http: httpx.AsyncClient) -> None:
    await create(http, 1)
    assert (await http.post("/_sim/reset")).status_code == 204
    assert (await http.get("/_sim/stats")).json() == {
        "accounts": 0,
        "duplicate_emails": 0,
        "requests_by_status": {},
    }
    changed = await http.post("/_sim/config", json={"latency_ms": 5, "async_ratio": 1})
    assert changed.status_code == 200 and changed.json()["async_ratio"] == 1
    assert (await create(http, 2)).status_code == 202
    assert (await http.post("/_sim/config", json={"fail_rate": 3})).status_code == 422
    assert (await http.post("/_sim/config", json={"token": "x"})).status_code == 400
    assert (await http.get("/_sim/config")).json()["fail_rate"] == 0
