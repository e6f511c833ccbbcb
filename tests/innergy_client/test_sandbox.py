"""The sandbox itself, spoken to with plain httpx: traps, validation, knobs, persistence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from innergy_client.sandbox import Sandbox, running_sandbox
from innergy_client.wire import SPEC_PATH

GOOD = {"MaterialName": "Walnut 4/4", "ExternalId": "WAL-44", "Cost": {"Value": 9.75, "CurrencyCode": "USD"}}


def api(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, headers={"Api-Key": sandbox.api_key}, timeout=5)


def test_a_bad_key_redirects_to_an_html_login_page_answered_200(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.url, headers={"Api-Key": "nope"}) as http:
        first = http.get("/api/materials")
        assert first.status_code == 302 and first.headers["Location"].startswith("/Account/Login")
        login = http.get("/api/materials", follow_redirects=True)
    assert login.status_code == 200 and login.headers["Content-Type"].startswith("text/html")
    assert b"Log in" in login.content


def test_an_unknown_route_is_the_html_app_shell(sandbox: Sandbox) -> None:
    with api(sandbox) as http:
        answer = http.get("/api/materialz")
    assert answer.status_code == 200 and answer.text.startswith("<!DOCTYPE html>")


def test_validation_errors_use_innergys_error_body(sandbox: Sandbox) -> None:
    with api(sandbox) as http:
        missing = http.post("/api/materials/create", json=[{"Description": "no name"}])
        read_only = http.post("/api/materials/create", json=[{**GOOD, "Id": "x", "CreatedOn": "2024-01-01"}])
        not_array = http.post("/api/materials/create", json=GOOD)
        in_batch = http.post("/api/materials/create", json=[GOOD, {**GOOD, "ExternalId": "OTHER"}])
    assert missing.status_code == 400
    body = missing.json()
    assert body["OutcomeType"] == "Failure" and body["CorrelationId"]
    assert body["Messages"] == ["Item 0: MaterialName can't be empty"]
    assert read_only.json()["Messages"] == [
        "Item 0: Id cannot be written",
        "Item 0: CreatedOn cannot be written",
    ]
    assert not_array.status_code == 400
    assert in_batch.status_code == 400 and "already exists" in in_batch.json()["Messages"][0]
    assert sandbox.materials == [], "a rejected batch must create nothing"


def test_unknown_ids_are_404_with_a_json_body(sandbox: Sandbox) -> None:
    with api(sandbox) as http:
        answer = http.post("/api/materials/3f2504e0-4f89-11d3-9a0c-0305e82c3301/edit", json=GOOD)
    assert answer.status_code == 404 and answer.json()["OutcomeType"] == "Failure"


def test_faults_are_steered_over_http_from_another_process(sandbox: Sandbox) -> None:
    with api(sandbox) as http:
        assert http.post("/__sandbox/faults", json={"failure_rate": 1}).json()["failure_rate"] == 1
        assert http.get("/api/version").status_code == 500
        http.post("/__sandbox/faults", json={"failure_rate": 0, "rate_limit_rate": 1, "retry_after": 7})
        limited = http.get("/api/version")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
        assert http.post("/__sandbox/faults", json={"no_such_knob": 1}).status_code == 400
        http.post("/__sandbox/faults", json={"rate_limit_rate": 0, "commit_then_503_next": 1})
        assert http.post("/api/materials/create", json=[GOOD]).status_code == 503
    assert [m["ExternalId"] for m in sandbox.materials] == ["WAL-44"], "the write was committed"


def test_an_opportunity_is_won_over_the_admin_endpoint(sandbox: Sandbox) -> None:
    with api(sandbox) as http:
        [opp] = http.post(
            "/api/opportunities/create",
            json=[{"Name": "Lobby", "FacilityId": "F", "BidTypeId": "B", "ExternalIdentifier": "P-7"}],
        ).json()
        assert set(opp) == {"Id", "Name"}
        project = http.post(f"/__sandbox/opportunities/{opp['Id']}/win").json()
        assert http.post(f"/__sandbox/opportunities/{opp['Id']}/win").json()["Id"] == project["Id"]
        assert http.get(f"/api/projects/{project['Id']}").json()["ExternalId"] == "P-7"
        no_bid_type = http.post("/api/opportunities/create", json=[{"Name": "x", "FacilityId": "F"}])
    assert no_bid_type.json()["Messages"] == ["Item 0: BidTypeId can't be empty"]


def test_state_survives_a_restart_and_is_written_atomically(tmp_path: Path) -> None:
    data = tmp_path / "rehearsal" / "innergy.json"
    with running_sandbox(data=data) as first, api(first) as http:
        http.post("/api/materials/create", json=[GOOD])
    assert json.loads(data.read_text(encoding="utf-8"))["materials"]
    assert os.listdir(data.parent) == ["innergy.json"], "a temporary file was left behind"
    with running_sandbox(data=data) as second, api(second) as http:
        assert [m["MaterialName"] for m in http.get("/api/materials").json()["Items"]] == ["Walnut 4/4"]
        assert http.post("/api/materials/create", json=[GOOD]).status_code == 400


def test_the_sandbox_serves_its_openapi_document(sandbox: Sandbox) -> None:
    document = httpx.get(sandbox.url + SPEC_PATH).json()
    assert document["openapi"].startswith("3.") and "/api/materials/{Id}/edit" in document["paths"]


def test_matsync_sandbox_starts_and_answers_version(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "sheets_sync",
        "sandbox",
        "--port",
        "0",
        "--data",
        str(tmp_path / "s.json"),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" on ", 1)[1].split()[0]
        assert "sandbox-key" in line
        answer = httpx.get(url + "/api/version", headers={"Api-Key": "sandbox-key"}, timeout=5)
        assert answer.json() == {"ServerVersion": "sandbox-2024.1"}
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


@pytest.mark.parametrize("knob", ["failure_rate", "latency"])
def test_running_sandbox_takes_knobs_at_start(knob: str) -> None:
    with running_sandbox(**{knob: 0.5}) as sandbox:
        assert getattr(sandbox.faults, knob) == 0.5


def test_uniqueness_follows_renames_deactivations_and_records_seeded_into_the_store(sandbox: Sandbox) -> None:
    def refused(answer: httpx.Response) -> list[str]:
        assert answer.status_code == 400, answer.text
        return list(answer.json()["Messages"])

    cherry = {"MaterialName": "Cherry 4/4", "ExternalId": "CH-44"}
    with api(sandbox) as http:
        walnut, other = http.post("/api/materials/create", json=[GOOD, cherry]).json()
        edit = f"/api/materials/{walnut['Id']}/edit"
        renamed = {**GOOD, "MaterialName": "Walnut 5/4", "ExternalId": "WAL-54"}
        assert http.post(edit, json=renamed).status_code == 200
        reuse = {"MaterialName": "walnut 4/4", "ExternalId": "wal-44"}
        assert http.post("/api/materials/create", json=[reuse]).status_code == 200, "old values freed"
        assert refused(http.post("/api/materials/create", json=[{"MaterialName": "WALNUT 5/4"}])) == [
            "A material with MaterialName 'WALNUT 5/4' already exists"
        ]
        taking = {**cherry, "MaterialName": "Walnut 5/4", "ExternalId": "wal-54"}
        assert refused(http.post(f"/api/materials/{other['Id']}/edit", json=taking)) == [
            "A material with MaterialName 'Walnut 5/4' already exists",
            "A material with ExternalId 'wal-54' already exists",
        ]
        assert http.post(edit, json={**renamed, "Status": "Inactive"}).status_code == 200, "its own values"
        assert refused(http.post("/api/materials/create", json=[{"MaterialName": "Walnut 5/4"}])), (
            "an inactive material keeps its name"
        )
        assert http.post(edit, json={**renamed, "ExternalId": None}).status_code == 200
        batch = [
            {"MaterialName": "Cherry 4/4", "ExternalId": "WAL-54"},
            {"MaterialName": "Oak", "ExternalId": "wal-54"},
        ]
        assert refused(http.post("/api/materials/create", json=batch)) == [
            "A material with MaterialName 'Cherry 4/4' already exists",
            "A material with ExternalId 'wal-54' already exists",
        ], "the cleared external id is free; the second item repeats the first's"
        seeded = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
        with sandbox.store.lock:
            sandbox.store.data["materials"][seeded] = {
                "Id": seeded,
                "MaterialName": "Seeded",
                "ExternalId": None,
            }
        assert refused(http.post("/api/materials/create", json=[{"MaterialName": "seeded"}]))
        with sandbox.store.lock:
            del sandbox.store.data["materials"][seeded]
        assert http.post("/api/materials/create", json=[{"MaterialName": "seeded"}]).status_code == 200
    assert sorted(m["MaterialName"] for m in sandbox.materials) == [
        "Cherry 4/4",
        "Walnut 5/4",
        "seeded",
        "walnut 4/4",
    ]


def test_what_a_gone_client_had_sent_is_handled_once_the_sandbox_has_read_it(sandbox: Sandbox) -> None:
    import socket

    body = json.dumps(GOOD).encode()
    head = f"POST /api/materials/create HTTP/1.1\r\nHost: x\r\nApi-Key: {sandbox.api_key}\r\n"
    host, port = sandbox.url.removeprefix("http://").split(":")
    for _ in range(5):  # each written, then closed before any answer
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode())
            conn.sendall(body)
    sandbox.wait_until_read()

    assert sandbox.requests.count(("POST", "/api/materials/create")) == 5


def test_waiting_for_the_sandbox_to_read_names_a_live_clients_open_connection(sandbox: Sandbox) -> None:
    with api(sandbox) as client:
        assert client.get("/api/version").status_code == 200
        with pytest.raises(TimeoutError, match="still reading"):
            sandbox.wait_until_read(timeout=0.2)
    sandbox.wait_until_read()
