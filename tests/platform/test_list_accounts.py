"""``GET /v1/accounts`` as a paged listing: stable order, opaque cursor, ``updated_since``."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from benefits_tui.platform.client import BenefitsClient
from benefits_tui.platform.errors import InvalidRequest, ProtocolError, ValidationFailed

from .conftest import AUTH, BASE, TOKEN, account_body, write_headers
from .test_simulator_api import assert_problem


async def seed(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    made = []
    for n in range(1, count + 1):
        response = await http.post(
            "/v1/accounts", json=account_body(n), headers=write_headers(f"seed-{n}")
        )
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


async def walk(http: httpx.AsyncClient, **params: Any) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await http.get("/v1/accounts", params=query, headers=AUTH)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "next_cursor"}
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100


async def test_pages_cover_every_account_once_in_id_order(http: httpx.AsyncClient) -> None:
    made = await seed(http, 7)
    pages = await walk(http, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [a["id"] for page in pages for a in page]
    assert ids == sorted(a["id"] for a in made)


async def test_exact_multiple_ends_with_null_cursor(http: httpx.AsyncClient) -> None:
    await seed(http, 4)
    pages = await walk(http, limit=2)
    # the second page is the last: no empty trailing page, and its cursor is null
    assert [len(p) for p in pages] == [2, 2]


async def test_empty_platform_and_default_limit(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/accounts", headers=AUTH)
    assert response.json() == {"data": [], "next_cursor": None}
    await seed(http, 3)
    body = (await http.get("/v1/accounts", headers=AUTH)).json()
    assert len(body["data"]) == 3 and body["next_cursor"] is None


async def test_updates_during_a_walk_neither_skip_nor_repeat(http: httpx.AsyncClient) -> None:
    made = await seed(http, 6)
    first = (await http.get("/v1/accounts", params={"limit": 3}, headers=AUTH)).json()
    # change an account already listed and one not listed yet: neither moves
    for n, account in enumerate(made):
        await http.patch(
            f"/v1/accounts/{account['id']}",
            json={"job_title": "Moved"},
            headers=write_headers(f"move-{n}"),
        )
    rest = await walk(http, limit=3, cursor=first["next_cursor"])
    ids = [a["id"] for a in first["data"]] + [a["id"] for page in rest for a in page]
    assert ids == sorted(a["id"] for a in made)


async def test_updated_since_filters_inclusively(http: httpx.AsyncClient, app: Starlette) -> None:
    made = await seed(http, 5)
    store = app.state.sim.store
    # age every account, then touch two of them now
    for account in made:
        account["updated_at"] = "2020-01-01T00:00:00Z"
        store._save(account["id"], account)
    changed = {made[1]["id"], made[3]["id"]}
    for n, account_id in enumerate(sorted(changed)):
        await http.patch(
            f"/v1/accounts/{account_id}", json={"job_title": "T"}, headers=write_headers(f"t{n}")
        )
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    pages = await walk(http, limit=1, updated_since=since)
    assert {a["id"] for page in pages for a in page} == changed
    # inclusive, and an offset is honoured: 2020-01-01T00:00:00Z written as +02:00
    everything = await walk(http, updated_since="2020-01-01T02:00:00+02:00")
    assert len(everything[0]) == 5
    later = await walk(http, updated_since="2020-01-01T00:00:01Z")
    assert {a["id"] for a in later[0]} == changed


async def test_email_filters_the_same_listing(http: httpx.AsyncClient) -> None:
    made = await seed(http, 3)
    body = (
        await http.get("/v1/accounts", params={"email": made[1]["email"].upper()}, headers=AUTH)
    ).json()
    assert [a["id"] for a in body["data"]] == [made[1]["id"]]
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"limit": "0"}, "limit", "invalid_limit"),
        ({"limit": "501"}, "limit", "invalid_limit"),
        ({"limit": "-1"}, "limit", "invalid_limit"),
        ({"limit": "ten"}, "limit", "invalid_limit"),
        ({"limit": "1" * 400}, "limit", "invalid_limit"),
        ({"limit": "٣"}, "limit", "invalid_limit"),  # an Arabic-Indic digit: isdigit() is True
        ({"cursor": "not a cursor"}, "cursor", "invalid_cursor"),
        ({"cursor": ""}, "cursor", "invalid_cursor"),
        ({"cursor": "e30"}, "cursor", "invalid_cursor"),  # base64 of {}
        ({"cursor": "x" * 5000}, "cursor", "invalid_cursor"),
        ({"updated_since": "yesterday"}, "updated_since", "invalid_date"),
        ({"updated_since": "2026-01-01"}, "updated_since", "invalid_date"),
        ({"updated_since": "2026-01-01T00:00:00"}, "updated_since", "invalid_date"),
        ({"updated_since": "2026-02-30T00:00:00Z"}, "updated_since", "invalid_date"),
        ({"email": "  "}, "email", "missing_field"),
        ({"email": ""}, "email", "missing_field"),
        ({"email": "\ufeff "}, "email", "missing_field"),  # blank to ECMA-262 regexes too
        ({"email": "a" * 255}, "email", "invalid_email"),
    ],
)
async def test_bad_parameters_are_422_problems(
    http: httpx.AsyncClient, params: dict[str, str], field: str, code: str
) -> None:
    response = await http.get("/v1/accounts", params=params, headers=AUTH)
    body = assert_problem(response, 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]


async def test_forged_and_mismatched_cursors_are_refused(http: httpx.AsyncClient) -> None:
    await seed(http, 3)
    first = (await http.get("/v1/accounts", params={"limit": 1}, headers=AUTH)).json()
    cursor = first["next_cursor"]
    document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for forged in (
        {**document, "v": 2},
        {**document, "after": 7},
        {**document, "updated_since": "not a date"},
        {**document, "extra": 1},
    ):
        raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        response = await http.get("/v1/accounts", params={"cursor": raw}, headers=AUTH)
        assert_problem(response, 422, "validation_failed")
    # deep nesting inside a cursor is refused, not a crash
    deep = base64.urlsafe_b64encode(b"[" * 1000 + b"]" * 1000).decode().rstrip("=")
    assert (
        await http.get("/v1/accounts", params={"cursor": deep}, headers=AUTH)
    ).status_code == 422
    # a cursor from an unfiltered walk used with a filter
    response = await http.get(
        "/v1/accounts",
        params={"cursor": cursor, "updated_since": "2020-01-01T00:00:00Z"},
        headers=AUTH,
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["code"] == "invalid_cursor"


async def test_extreme_offsets_do_not_crash(http: httpx.AsyncClient) -> None:
    await seed(http, 1)
    for since, expected in (
        ("0001-01-01T00:00:00+23:59", 1),  # before year 1 in UTC: everything
        ("9999-12-31T23:59:59-23:59", 0),  # after year 9999 in UTC: nothing
        ("2016-12-31T23:59:60Z", 1),  # a leap second
    ):
        response = await http.get("/v1/accounts", params={"updated_since": since}, headers=AUTH)
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == expected


# ---------------------------------------------------------------------- the client
async def test_client_lists_every_page(client: BenefitsClient, http: httpx.AsyncClient) -> None:
    made = await seed(http, 5)
    page = await client.list_accounts(limit=2)
    assert len(page.accounts) == 2 and page.next_cursor
    seen = [a.id for a in page.accounts]
    while page.next_cursor:
        page = await client.list_accounts(limit=2, cursor=page.next_cursor)
        seen += [a.id for a in page.accounts]
    assert seen == sorted(a["id"] for a in made)
    assert [a.id async for a in client.iter_accounts(page_size=2)] == seen
    recent = await client.list_accounts(updated_since=datetime.now(UTC) - timedelta(hours=1))
    assert len(recent.accounts) == 5
    naive_future = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    assert (await client.list_accounts(updated_since=naive_future)).accounts == ()


async def test_client_refuses_bad_arguments(client: BenefitsClient) -> None:
    for limit in (0, 501, True):
        with pytest.raises(InvalidRequest):
            await client.list_accounts(limit=limit)
    with pytest.raises(InvalidRequest):
        await client.list_accounts(cursor="")
    with pytest.raises(ValidationFailed) as caught:
        await client.list_accounts(cursor="forged")
    assert caught.value.problem is not None
    assert caught.value.problem.errors[0].code == "invalid_cursor"


@pytest.mark.parametrize(
    "body",
    [
        {"data": [], "next_cursor": 5},
        {"data": [], "next_cursor": ""},
        {"data": [{"id": "a"}] * 3, "next_cursor": None},  # more than asked for
        {"data": [{"no": "id"}], "next_cursor": None},
        {"data": {}, "next_cursor": None},
    ],
)
async def test_client_refuses_malformed_pages(body: dict[str, Any]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async with BenefitsClient(BASE, TOKEN, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProtocolError):
            await client.list_accounts(limit=2)


async def test_client_stops_a_cursor_loop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "next_cursor": "same"})

    async with BenefitsClient(BASE, TOKEN, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProtocolError):
            async for _ in client.iter_accounts():
                pass
