"""Idempotency-Key semantics and asynchronous (202) writes with eventual consistency."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from .conftest import AUTH, account_body, http_for, write_headers
from .test_simulator_api import assert_problem


async def test_same_key_and_body_replays_the_first_answer(http: httpx.AsyncClient) -> None:
    first = await http.post("/v1/accounts", json=account_body(), headers=write_headers("same"))
    # same body with keys in another order is the same request
    reordered = dict(reversed(list(account_body().items())))
    again = await http.post("/v1/accounts", json=reordered, headers=write_headers("same"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await http.get("/_sim/stats")).json()["accounts"] == 1


async def test_errors_are_replayed_too(http: httpx.AsyncClient) -> None:
    bad = await http.post(
        "/v1/accounts", json=account_body(email="nope"), headers=write_headers("bad")
    )
    again = await http.post(
        "/v1/accounts", json=account_body(email="nope"), headers=write_headers("bad")
    )
    assert bad.status_code == again.status_code == 422 and again.json() == bad.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_same_key_different_body_is_422_reused(http: httpx.AsyncClient) -> None:
    await http.post("/v1/accounts", json=account_body(1), headers=write_headers("k"))
    assert_problem(
        await http.post("/v1/accounts", json=account_body(2), headers=write_headers("k")),
        422,
        "idempotency_key_reused",
    )
    created = (await http.get("/_sim/accounts")).json()["data"][0]
    # a different path with the same key is a different request, too
    patch = await http.patch(
        f"/v1/accounts/{created['id']}", json={"job_title": "X"}, headers=write_headers("k")
    )
    assert_problem(patch, 422, "idempotency_key_reused")
    assert (await http.get("/_sim/stats")).json()["accounts"] == 1


async def test_key_in_flight_is_409_in_use(make_app: Any) -> None:
    app = make_app(latency_ms=150)
    async with http_for(app) as http:
        first = asyncio.create_task(
            http.post("/v1/accounts", json=account_body(), headers=write_headers("busy"))
        )
        await asyncio.sleep(0.03)
        second = await http.post("/v1/accounts", json=account_body(), headers=write_headers("busy"))
        assert_problem(second, 409, "idempotency_key_in_use")
        assert (await first).status_code == 201
        third = await http.post("/v1/accounts", json=account_body(), headers=write_headers("busy"))
        assert third.status_code == 201 and third.headers["idempotent-replayed"] == "true"
        assert (await http.get("/_sim/stats")).json()["accounts"] == 1


async def test_injected_failures_are_not_stored(make_app: Any) -> None:
    app = make_app(fail_rate=1.0, seed=3)
    async with http_for(app) as http:
        failed = await http.post(
            "/v1/accounts", json=account_body(), headers=write_headers("retry-me")
        )
        assert failed.status_code in (500, 503)
        assert failed.json()["code"] in ("internal_error", "service_unavailable")
        assert (await http.get("/_sim/stats")).json()["accounts"] == 0
        await http.post("/_sim/config", json={"fail_rate": 0})
        ok = await http.post("/v1/accounts", json=account_body(), headers=write_headers("retry-me"))
        assert ok.status_code == 201 and "idempotent-replayed" not in ok.headers


async def test_rate_limited_requests_are_not_stored(make_app: Any) -> None:
    app = make_app(rate_limit=1)
    async with http_for(app) as http:
        assert (await http.get("/v1/health", headers=AUTH)).status_code == 200
        limited = await http.post(
            "/v1/accounts", json=account_body(), headers=write_headers("later")
        )
        assert_problem(limited, 429, "rate_limited")
        assert limited.headers["retry-after"] == "1"
        await http.post("/_sim/config", json={"rate_limit": 0})
        ok = await http.post("/v1/accounts", json=account_body(), headers=write_headers("later"))
        assert ok.status_code == 201 and "idempotent-replayed" not in ok.headers


# ------------------------------------------------------------------ async jobs
async def wait_job(http: httpx.AsyncClient, job_id: str, timeout: float = 2.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job: dict[str, Any] = (await http.get(f"/v1/jobs/{job_id}", headers=AUTH)).json()
        if job["status"] in ("complete", "error"):
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.02)


async def test_async_create_is_invisible_until_the_job_completes(make_app: Any) -> None:
    # A job is pending for the first half of its delay, then in progress: the halves are
    # wide enough (0.5 s) that a busy machine's late wake-up does not skip one.
    app = make_app(async_ratio=1.0, job_delay_ms=1000)
    async with http_for(app) as http:
        response = await http.post("/v1/accounts", json=account_body(), headers=write_headers("a1"))
        assert response.status_code == 202
        job = response.json()["job"]
        assert job["status"] == "pending" and "account_id" not in job
        assert response.headers["location"] == f"/v1/jobs/{job['id']}"
        # eventual consistency: not found by email while pending
        lookup = await http.get(
            "/v1/accounts", params={"email": account_body()["email"]}, headers=AUTH
        )
        assert lookup.json() == {"data": [], "next_cursor": None}
        assert (await http.get("/_sim/stats")).json()["accounts"] == 0
        await asyncio.sleep(0.6)
        assert (await http.get(f"/v1/jobs/{job['id']}", headers=AUTH)).json()[
            "status"
        ] == "in_progress"
        done = await wait_job(http, job["id"])
        assert done["status"] == "complete" and done["account_id"].startswith("acc_")
        account = (await http.get(f"/v1/accounts/{done['account_id']}", headers=AUTH)).json()
        assert account["email"] == account_body()["email"]
        lookup = await http.get(
            "/v1/accounts", params={"email": account_body()["email"].upper()}, headers=AUTH
        )
        assert [a["id"] for a in lookup.json()["data"]] == [done["account_id"]]
        # the replay of the 202 is the same 202
        replay = await http.post("/v1/accounts", json=account_body(), headers=write_headers("a1"))
        assert replay.status_code == 202 and replay.json()["job"]["id"] == job["id"]
        assert (await http.get("/_sim/stats")).json()["accounts"] == 1


async def test_jobs_complete_by_time_even_if_nobody_polls(make_app: Any) -> None:
    app = make_app(async_ratio=1.0, job_delay_ms=50)
    async with http_for(app) as http:
        for n in range(3):
            assert (
                await http.post(
                    "/v1/accounts", json=account_body(n), headers=write_headers(f"n{n}")
                )
            ).status_code == 202
        await asyncio.sleep(0.08)
        assert (await http.get("/_sim/stats")).json()["accounts"] == 3


async def test_validation_errors_stay_synchronous_in_async_mode(make_app: Any) -> None:
    app = make_app(async_ratio=1.0, job_delay_ms=50)
    async with http_for(app) as http:
        response = await http.post(
            "/v1/accounts", json=account_body(gender="?"), headers=write_headers("v")
        )
        assert_problem(response, 422, "validation_failed")
        patch = await http.patch(
            "/v1/accounts/acc_missing", json={"job_title": "x"}, headers=write_headers("w")
        )
        assert_problem(patch, 404, "not_found")


async def test_email_conflict_found_when_the_job_runs_ends_it_in_error(make_app: Any) -> None:
    app = make_app(async_ratio=1.0, job_delay_ms=40)
    async with http_for(app) as http:
        a = await http.post("/v1/accounts", json=account_body(1), headers=write_headers("c1"))
        b = await http.post(
            "/v1/accounts",
            json=account_body(2, email=account_body(1)["email"].upper()),
            headers=write_headers("c2"),
        )
        assert a.status_code == b.status_code == 202
        first = await wait_job(http, a.json()["job"]["id"])
        second = await wait_job(http, b.json()["job"]["id"])
        assert first["status"] == "complete"
        assert second["status"] == "error" and second["error"]["code"] == "email_in_use"
        assert second["error"]["status"] == 409 and second["error"]["errors"][0]["field"] == "email"
        stats = (await http.get("/_sim/stats")).json()
        assert stats["accounts"] == 1 and stats["duplicate_emails"] == 0


async def test_async_update_and_termination(make_app: Any) -> None:
    app = make_app()
    async with http_for(app) as http:
        account = (
            await http.post("/v1/accounts", json=account_body(), headers=write_headers("x"))
        ).json()
        # Long enough that the account is read before the job is due, however busy the machine.
        await http.post("/_sim/config", json={"async_ratio": 1, "job_delay_ms": 500})
        patch = await http.patch(
            f"/v1/accounts/{account['id']}",
            json={"benefit_level": "ENHANCED"},
            headers=write_headers("y"),
        )
        assert patch.status_code == 202
        assert (await http.get(f"/v1/accounts/{account['id']}", headers=AUTH)).json()[
            "benefit_level"
        ] == "CORE"
        assert (await wait_job(http, patch.json()["job"]["id"]))["account_id"] == account["id"]
        assert (await http.get(f"/v1/accounts/{account['id']}", headers=AUTH)).json()[
            "benefit_level"
        ] == "ENHANCED"
        term = await http.post(
            f"/v1/accounts/{account['id']}/termination",
            json={"leave_date": "2026-06-30", "reason": "Retired"},
            headers=write_headers("z"),
        )
        assert term.status_code == 202
        await wait_job(http, term.json()["job"]["id"])
        final = (await http.get(f"/v1/accounts/{account['id']}", headers=AUTH)).json()
        assert final["status"] == "terminated" and final["leave_date"] == "2026-06-30"


async def test_unknown_job_is_404(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/v1/jobs/job_nope", headers=AUTH), 404, "not_found")


async def test_async_ratio_is_a_share_and_seeded(make_app: Any) -> None:
    outcomes = []
    for _ in range(2):
        app = make_app(async_ratio=0.5, seed=42)
        async with http_for(app) as http:
            codes = [
                (
                    await http.post(
                        "/v1/accounts", json=account_body(n), headers=write_headers(f"s{n}")
                    )
                ).status_code
                for n in range(40)
            ]
        outcomes.append(codes)
    assert outcomes[0] == outcomes[1]
    assert 8 <= outcomes[0].count(202) <= 32 and set(outcomes[0]) == {201, 202}
