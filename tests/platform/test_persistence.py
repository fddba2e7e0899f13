"""State survives restarts; preloaded accounts load once; duplicates are counted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from .conftest import AUTH, account_body, http_for, write_headers


async def test_state_file_survives_a_new_app_instance(make_app: Any, tmp_path: Path) -> None:
    state = tmp_path / "sim.db"
    app = make_app(state_path=state)
    async with http_for(app) as http:
        created = (
            await http.post("/v1/accounts", json=account_body(1), headers=write_headers("k1"))
        ).json()
        await http.post("/_sim/config", json={"async_ratio": 1, "job_delay_ms": 80})
        pending = (
            await http.post("/v1/accounts", json=account_body(2), headers=write_headers("k2"))
        ).json()["job"]
    app.state.sim.close()  # like a kill: nothing else is flushed

    again = make_app(state_path=state)
    async with http_for(again) as http:
        found = await http.get(
            "/v1/accounts", params={"email": account_body(1)["email"].upper()}, headers=AUTH
        )
        assert [a["id"] for a in found.json()["data"]] == [created["id"]]
        replay = await http.post("/v1/accounts", json=account_body(1), headers=write_headers("k1"))
        assert (
            replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == created["id"]
        )
        conflict = await http.post(
            "/v1/accounts", json=account_body(2), headers=write_headers("k1")
        )
        assert conflict.json()["code"] == "idempotency_key_reused"
        await asyncio.sleep(0.1)  # the job made before the restart finishes by its due time
        job = (await http.get(f"/v1/jobs/{pending['id']}", headers=AUTH)).json()
        assert job["status"] == "complete"
        assert (await http.get("/_sim/stats")).json()["accounts"] == 2


PRELOAD = """id,email,forenames,surname,external_id,benefit_level,annual_pay,status
acc_pre_1,Ana.Silva@example.com,Ana,Silva,E000010,CORE,30000,active
,li.wei@example.com,Wei,Li,,,,
,LI.WEI@example.com,Wei,Li (dup),,,,
"""


async def test_preload_links_existing_accounts_and_loads_once(
    make_app: Any, tmp_path: Path
) -> None:
    csv_path = tmp_path / "accounts.csv"
    csv_path.write_text(PRELOAD, encoding="utf-8")
    state = tmp_path / "sim.db"
    for _ in range(2):  # a restart with the same preload must not duplicate anything
        app = make_app(state_path=state, preload=csv_path)
        async with http_for(app) as http:
            stats = (await http.get("/_sim/stats")).json()
            assert stats["accounts"] == 3 and stats["duplicate_emails"] == 1
            found = (
                await http.get(
                    "/v1/accounts", params={"email": "ana.silva@EXAMPLE.com"}, headers=AUTH
                )
            ).json()
            assert (
                found["data"][0]["id"] == "acc_pre_1" and found["data"][0]["annual_pay"] == 30000.0
            )
            dup = (
                await http.get("/v1/accounts", params={"email": "li.wei@example.com"}, headers=AUTH)
            ).json()
            assert len(dup["data"]) == 2
            created = await http.post(
                "/v1/accounts",
                json=account_body(email="ana.silva@example.com"),
                headers=write_headers("x"),
            )
            assert created.json()["code"] == "email_in_use"
        app.state.sim.close()


async def test_preload_without_required_columns_is_refused(make_app: Any, tmp_path: Path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("email,surname\na@b.co,X\n", encoding="utf-8")
    try:
        make_app(preload=csv_path)
    except ValueError as exc:
        assert "forenames" in str(exc)
    else:
        raise AssertionError("a preload without forenames was accepted")
