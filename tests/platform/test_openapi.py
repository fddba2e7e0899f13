"""The OpenAPI file and the simulator agree: routes, methods and the statuses answered."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from benefits_tui.platform.simulator.app import ROUTES

from .conftest import AUTH, account_body, http_for, write_headers

SPEC_FILE = Path(__file__).resolve().parents[2] / "assets" / "benefits-api.openapi.yaml"
METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return loaded


def documented(spec: dict[str, Any]) -> dict[tuple[str, str], set[int]]:
    ops = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                ops[(method.upper(), path)] = {int(code) for code in op["responses"]}
    return ops


def test_openapi_version_and_refs_resolve(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    text = SPEC_FILE.read_text(encoding="utf-8")
    for ref in set(re.findall(r'\$ref: "#/([^"]+)"', text)):
        node: Any = spec
        for part in ref.split("/"):
            node = node[part]
        assert node, ref


def test_routes_and_paths_agree(spec: dict[str, Any]) -> None:
    served = {(m, r.path) for r in ROUTES for m in (r.methods or ()) if m != "HEAD"}
    assert served == set(documented(spec))


def test_spec_table_statuses_are_documented(spec: dict[str, Any]) -> None:
    ops = documented(spec)
    table = {
        ("GET", "/v1/accounts"): {200},
        ("POST", "/v1/accounts"): {201, 202, 409, 422},
        ("GET", "/v1/accounts/{account_id}"): {200, 404},
        ("PATCH", "/v1/accounts/{account_id}"): {200, 202, 404, 409, 422},
        ("POST", "/v1/accounts/{account_id}/termination"): {200, 202, 404, 422},
        ("GET", "/v1/jobs/{job_id}"): {200},
        ("GET", "/v1/benefit-levels"): {200},
        ("GET", "/v1/picklists/{name}"): {200},
    }
    for op, statuses in table.items():
        assert statuses <= ops[op], op
    for (method, path), statuses in ops.items():
        if path.startswith("/v1/"):
            assert {401, 429, 500, 503} <= statuses, (method, path)
            if method != "GET":
                assert {400, 409} <= statuses, (method, path)


def template_of(path: str) -> str:
    for route in ROUTES:
        match, _ = route.matches({"type": "http", "path": path, "method": "GET"})
        if match.name != "NONE":
            return route.path
    raise AssertionError(f"no route for {path}")


async def test_every_status_the_simulator_answers_is_documented(
    spec: dict[str, Any], make_app: Any
) -> None:
    app = make_app(latency_ms=20)
    async with http_for(app) as http:
        acc = (
            await http.post("/v1/accounts", json=account_body(1), headers=write_headers("a"))
        ).json()
        other = (
            await http.post("/v1/accounts", json=account_body(2), headers=write_headers("b"))
        ).json()
        calls = [
            http.get("/v1/health", headers=AUTH),
            http.get("/v1/health"),
            http.get("/v1/accounts", params={"email": acc["email"]}, headers=AUTH),
            http.get("/v1/accounts", headers=AUTH),
            http.post("/v1/accounts", json=account_body(1), headers=write_headers("a")),
            http.post("/v1/accounts", json=account_body(3), headers=write_headers("a")),
            http.post("/v1/accounts", json=account_body(1), headers=write_headers("c")),
            http.post("/v1/accounts", json={}, headers=write_headers("d")),
            http.post("/v1/accounts", json={}, headers=AUTH),
            http.post("/v1/accounts", content=b"[", headers=write_headers("e")),
            http.get(f"/v1/accounts/{acc['id']}", headers=AUTH),
            http.get("/v1/accounts/zz", headers=AUTH),
            http.patch(
                f"/v1/accounts/{acc['id']}", json={"job_title": "T"}, headers=write_headers("f")
            ),
            http.patch(
                f"/v1/accounts/{acc['id']}",
                json={"email": other["email"]},
                headers=write_headers("g"),
            ),
            http.patch(
                f"/v1/accounts/{acc['id']}", json={"gender": "?"}, headers=write_headers("h")
            ),
            http.patch("/v1/accounts/zz", json={"job_title": "T"}, headers=write_headers("i")),
            http.post(
                f"/v1/accounts/{acc['id']}/termination",
                json={"leave_date": "2026-01-01", "reason": "x"},
                headers=write_headers("j"),
            ),
            http.post(
                f"/v1/accounts/{acc['id']}/termination",
                json={"leave_date": "x", "reason": "x"},
                headers=write_headers("k"),
            ),
            http.post(
                "/v1/accounts/zz/termination",
                json={"leave_date": "2026-01-01", "reason": "x"},
                headers=write_headers("l"),
            ),
            http.get("/v1/jobs/nope", headers=AUTH),
            http.get("/v1/benefit-levels", headers=AUTH),
            http.get("/v1/picklists/title", headers=AUTH),
            http.get("/v1/picklists/x", headers=AUTH),
        ]
        for call in calls:
            await call
        # a key in flight (409), async answers (202) and a job read
        await http.post("/_sim/config", json={"async_ratio": 1, "job_delay_ms": 10})
        busy = asyncio.gather(
            *(
                http.post("/v1/accounts", json=account_body(9), headers=write_headers("busy"))
                for _ in range(2)
            )
        )
        statuses = {r.status_code for r in await busy}
        assert statuses == {202, 409}
        job = (
            await http.patch(
                f"/v1/accounts/{acc['id']}", json={"job_title": "U"}, headers=write_headers("m")
            )
        ).json()
        await http.get(f"/v1/jobs/{job['job']['id']}", headers=AUTH)
        await http.post("/_sim/config", json={"async_ratio": 0, "fail_rate": 1, "rate_limit": 0})
        for _ in range(4):
            await http.get("/v1/health", headers=AUTH)
        await http.post("/_sim/config", json={"fail_rate": 0, "rate_limit": 1})
        for _ in range(2):
            await http.get("/v1/benefit-levels", headers=AUTH)
        log = (await http.get("/_sim/requests")).json()["data"]

    ops = documented(spec)
    seen: dict[tuple[str, str], set[int]] = {}
    for entry in log:
        op = (entry["method"], template_of(entry["path"]))
        seen.setdefault(op, set()).add(entry["status"])
        assert entry["status"] in ops[op], (op, entry["status"])
    assert {200, 201, 202, 400, 401, 404, 409, 422, 429} <= set().union(*seen.values())
    assert set().union(*seen.values()) & {500, 503}
