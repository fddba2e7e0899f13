"""Every answer of the simulator validates against the OpenAPI file for its status.

Each operation is driven down its success paths (201, 200, 202 + a job followed to its end,
pages of a listing, a replay) and its error paths, and every response — status, content
type, required headers, body — is checked with ``openapi-schema-validator`` against what
``assets/benefits-api.openapi.yaml`` says for that status. Schemathesis does the same while
fuzzing (tests/contract/test_schemathesis.py); this test makes sure each path is reached.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from starlette.applications import Starlette

from benefits_tui.domain.fields import DEFAULT_PICKLISTS, EMAIL_RE
from benefits_tui.platform import contract as c
from benefits_tui.platform.simulator.app import ROUTES

from .conftest import AUTH, account_body, http_for, write_headers

SPEC_FILE = Path(__file__).resolve().parents[2] / "assets" / "benefits-api.openapi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _template(path: str) -> str:
    for route in ROUTES:
        match, _ = route.matches({"type": "http", "path": path, "method": "GET"})
        if match.name != "NONE":
            return route.path
    raise AssertionError(f"no route for {path}")


class Conformance:
    """Validates responses and remembers which (operation, status) pairs it saw."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, response: httpx.Response) -> httpx.Response:
        method = response.request.method.lower()
        template = _template(response.request.url.path)
        operation = SPEC["paths"][template][method]
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, (method, template, response.status_code, response.text)
        documented = _resolve(documented)
        for name, declared in documented.get("headers", {}).items():
            header = _resolve(declared)
            if header.get("required"):
                assert name.lower() in response.headers, (template, name)
            if name.lower() in response.headers:
                self._validate(header["schema"], response.headers[name], (template, name))
        content = documented.get("content")
        if content is None:
            assert not response.content
        else:
            media = response.headers["content-type"].split(";")[0]
            assert media in content, (template, response.status_code, media)
            self._validate(content[media]["schema"], response.json(), (template, media))
        self.seen.add((method.upper(), template, response.status_code))
        return response

    @staticmethod
    def _validate(schema: dict[str, Any], value: Any, where: Any) -> None:
        validator = OAS31Validator(
            {**schema, "components": SPEC["components"]}, format_checker=oas31_format_checker
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
        assert not errors, (where, errors[:5])


@pytest.fixture
def conformance() -> Conformance:
    return Conformance()


async def test_every_path_of_every_operation_conforms(
    make_app: Any, conformance: Conformance
) -> None:
    ok = conformance.check
    app: Starlette = make_app(job_delay_ms=0)
    async with http_for(app) as http:
        # reference data, health, the 401 of every kind of call
        ok(await http.get("/v1/health", headers=AUTH))
        ok(await http.get("/v1/health"))
        ok(await http.get("/v1/benefit-levels", headers=AUTH))
        for name in DEFAULT_PICKLISTS:
            ok(await http.get(f"/v1/picklists/{name}", headers=AUTH))
        ok(await http.get("/v1/picklists/nope", headers=AUTH))

        # create: 201, replay, reuse, conflict, invalid, bad JSON, no key, too large
        created = ok(
            await http.post("/v1/accounts", json=account_body(1), headers=write_headers("a"))
        ).json()
        ok(await http.post("/v1/accounts", json=account_body(1), headers=write_headers("a")))
        ok(await http.post("/v1/accounts", json=account_body(2), headers=write_headers("a")))
        ok(await http.post("/v1/accounts", json=account_body(1), headers=write_headers("b")))
        ok(await http.post("/v1/accounts", json={"x": 1}, headers=write_headers("c")))
        ok(await http.post("/v1/accounts", content=b"[", headers=write_headers("d")))
        ok(await http.post("/v1/accounts", json=account_body(3), headers=AUTH))
        big = b'{"forenames":"' + b"x" * (1 << 20) + b'"}'
        ok(await http.post("/v1/accounts", content=big, headers=write_headers("e")))
        for n in range(4, 8):
            ok(
                await http.post(
                    "/v1/accounts", json=account_body(n), headers=write_headers(f"n{n}")
                )
            )

        # read, list (pages, filters, bad parameters), look-up
        account_id = created["id"]
        ok(await http.get(f"/v1/accounts/{account_id}", headers=AUTH))
        ok(await http.get("/v1/accounts/acc_none", headers=AUTH))
        page = ok(await http.get("/v1/accounts", params={"limit": 2}, headers=AUTH)).json()
        while page["next_cursor"]:
            params = {"limit": 2, "cursor": page["next_cursor"]}
            page = ok(await http.get("/v1/accounts", params=params, headers=AUTH)).json()
        ok(await http.get("/v1/accounts", params={"email": created["email"]}, headers=AUTH))
        since = {"updated_since": "2020-01-01T00:00:00Z"}
        ok(await http.get("/v1/accounts", params=since, headers=AUTH))
        ok(await http.get("/v1/accounts", params={"limit": 0}, headers=AUTH))
        ok(await http.get("/v1/accounts", params={"cursor": "x"}, headers=AUTH))

        # update and terminate: 200, 404, 409, 422
        path = f"/v1/accounts/{account_id}"
        ok(await http.patch(path, json={"job_title": "Lead"}, headers=write_headers("f")))
        ok(await http.patch(path, json={"benefit_level": None}, headers=write_headers("g")))
        other = account_body(4)["email"]
        ok(await http.patch(path, json={"email": other}, headers=write_headers("h")))
        ok(await http.patch(path, json={"surname": " "}, headers=write_headers("i")))
        ok(await http.patch("/v1/accounts/acc_none", json={}, headers=write_headers("j")))
        leaver = {"leave_date": "2026-03-31", "reason": "Resigned"}
        ok(await http.post(f"{path}/termination", json=leaver, headers=write_headers("k")))
        ok(await http.post(f"{path}/termination", json={}, headers=write_headers("l")))
        ok(
            await http.post(
                "/v1/accounts/acc_none/termination", json=leaver, headers=write_headers("m")
            )
        )
        ok(await http.get(path, headers=AUTH))  # a terminated account reads back too

        # asynchronous: 202 + Location for each write, replayed too, jobs to complete/error
        await http.post("/_sim/config", json={"async_ratio": 1, "job_delay_ms": 0})
        jobs = [
            ok(await http.post("/v1/accounts", json=account_body(20), headers=write_headers("p"))),
            ok(await http.post("/v1/accounts", json=account_body(20), headers=write_headers("p"))),
            ok(
                await http.post(  # the email is taken: the job ends in error
                    "/v1/accounts", json=account_body(5), headers=write_headers("q")
                )
            ),
            ok(await http.patch(path, json={"job_title": "X"}, headers=write_headers("r"))),
            ok(await http.post(f"{path}/termination", json=leaver, headers=write_headers("s"))),
        ]
        statuses = set()
        for response in jobs:
            assert response.status_code == 202
            job = ok(await http.get(response.headers["location"], headers=AUTH)).json()
            statuses.add(job["status"])
        assert statuses == {"complete", "error"}
        ok(await http.get("/v1/jobs/job_none", headers=AUTH))

        # faults: 429, 500, 503
        await http.post("/_sim/config", json={"async_ratio": 0, "fail_rate": 1})
        for _ in range(6):
            ok(await http.get("/v1/health", headers=AUTH))
        await http.post("/_sim/config", json={"fail_rate": 0, "rate_limit": 1})
        for _ in range(3):
            ok(await http.get("/v1/benefit-levels", headers=AUTH))

    v1 = {(m, t) for m, t, _ in conformance.seen}
    documented = {
        (method.upper(), path)
        for path, item in SPEC["paths"].items()
        if path.startswith("/v1/")
        for method in item
        if method in ("get", "post", "patch")
    }
    assert v1 == documented  # every operation was reached
    for operation in documented:
        assert any((*operation, s) in conformance.seen for s in (200, 201)), (
            f"no success for {operation}"
        )
    seen_statuses = {s for _, _, s in conformance.seen}
    assert {200, 201, 202, 400, 401, 404, 409, 413, 422, 429, 500, 503} <= seen_statuses


# --------------------------------------------------- the file says what the code enforces
def _schema(name: str) -> dict[str, Any]:
    return SPEC["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_patterns_in_the_file_are_the_codes() -> None:
    patterns = SPEC["x-patterns"]
    assert patterns["not-blank"] == c.NOT_BLANK_PATTERN
    assert patterns["email"] == EMAIL_RE.pattern
    assert patterns["date-of-birth"] == c.DATE_OF_BIRTH_PATTERN
    assert patterns["idempotency-key"] == c.IDEMPOTENCY_KEY_PATTERN
    assert _schema("Text")["pattern"] == c.NOT_BLANK_PATTERN
    assert _schema("Text")["maxLength"] == c.MAX_TEXT_LENGTH
    assert _schema("Email")["pattern"] == EMAIL_RE.pattern
    assert _schema("DateOfBirth")["pattern"] == c.DATE_OF_BIRTH_PATTERN
    key = SPEC["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert key["pattern"] == c.IDEMPOTENCY_KEY_PATTERN
    assert _schema("AnnualPay")["exclusiveMaximum"] == c.MAX_ANNUAL_PAY


def test_fields_and_values_in_the_file_are_the_codes() -> None:
    create = _schema("AccountCreate")
    assert set(create["properties"]) == set(c.WRITABLE_FIELDS)
    assert set(create["required"]) == set(c.REQUIRED_CREATE_FIELDS)
    assert _schema("AccountUpdate")["properties"] == create["properties"]
    account = _schema("Account")
    assert set(account["properties"]) == {*c.WRITABLE_FIELDS, *c.READ_ONLY_FIELDS}
    assert set(account["required"]) == set(account["properties"])
    for name, values in c.PICKLISTS.items():
        assert tuple(create["properties"][name]["enum"]) == values, name
    levels = _schema("BenefitLevelCode")["enum"]
    assert tuple(levels) == tuple(code for code, _ in c.DEFAULT_BENEFIT_LEVELS)
    codes = set(_schema("FieldError")["properties"]["code"]["enum"])
    used = {
        value
        for name, value in vars(c).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z_]+", value)
    }
    field_codes = {
        c.MISSING_FIELD, c.INVALID_EMAIL, c.INVALID_DATE, c.INVALID_TYPE, c.INVALID_NUMBER,
        c.UNKNOWN_FIELD, c.READ_ONLY_FIELD, c.UNKNOWN_BENEFIT_LEVEL, c.TOO_LONG,
        c.PICKLIST_VALUE_NOT_RECOGNISED, c.EMAIL_IN_USE, c.INVALID_CURSOR, c.INVALID_LIMIT,
    }  # fmt: skip
    assert field_codes <= used and codes == field_codes
    limit = next(
        p for p in SPEC["paths"]["/v1/accounts"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == c.LIST_LIMIT_MAX
    assert limit["schema"]["default"] == c.LIST_LIMIT_DEFAULT


async def test_the_files_request_examples_are_valid_and_accepted(http: httpx.AsyncClient) -> None:
    """Each example validates against its schema, and the platform accepts it."""
    examples = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and "example" in body["content"]["application/json"]:
                media = body["content"]["application/json"]
                Conformance._validate(media["schema"], media["example"], (method, path))
                examples[(method, path)] = media["example"]
    assert len(examples) == 3  # create, update, terminate
    created = await http.post(
        "/v1/accounts",
        json=examples[("post", "/v1/accounts")],
        headers=write_headers("example-create"),
    )
    assert created.status_code == 201, created.text
    path = f"/v1/accounts/{created.json()['id']}"
    update = examples[("patch", "/v1/accounts/{account_id}")]
    updated = await http.patch(path, json=update, headers=write_headers("example-update"))
    assert updated.status_code == 200, updated.text
    leaver = examples[("post", "/v1/accounts/{account_id}/termination")]
    ended = await http.post(
        f"{path}/termination", json=leaver, headers=write_headers("example-end")
    )
    assert ended.status_code == 200, ended.text
