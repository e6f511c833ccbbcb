"""The INNERGY client over real loopback HTTP against the sandbox: traps and faults."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest

from canonical.errors import (
    InnergyAuthError,
    InnergyNotFound,
    InnergyUnavailable,
    InnergyValidationError,
)
from innergy_client import InnergyClient, check_connection
from innergy_client.sandbox import Sandbox
from innergy_client.wire import BomImport, BomItem, OpportunityCreate
from tests.innergy_client.conftest import material

SECRET = "live-key-0f9e8d7c6b5a"


def posts(sandbox: Sandbox, path: str) -> int:
    return Counter(sandbox.requests)[("POST", path)]


def test_version_is_the_cheap_key_check(sandbox: Sandbox) -> None:
    assert check_connection(sandbox.url, sandbox.api_key) == "sandbox-2024.1"


def test_a_bad_key_is_an_auth_error_that_names_what_to_check_and_hides_the_key(sandbox: Sandbox) -> None:
    with pytest.raises(InnergyAuthError) as caught:
        check_connection(sandbox.url, SECRET)
    message = str(caught.value)
    assert "INNERGY_API_KEY" in message and "web page" in message
    assert SECRET not in message


def test_a_missing_key_fails_before_any_call() -> None:
    with pytest.raises(InnergyAuthError, match="INNERGY_API_KEY"):
        InnergyClient("http://127.0.0.1:9", "")


def test_an_unknown_route_answers_the_html_shell_which_is_refused(client: InnergyClient) -> None:
    with pytest.raises(InnergyAuthError, match="INNERGY_BASE_URL"):
        client.openapi_document("/api/no/such/route")


def test_a_wrong_base_url_lands_on_the_login_page(sandbox: Sandbox) -> None:
    with pytest.raises(InnergyAuthError):
        check_connection(sandbox.url + "/app", sandbox.api_key)


def test_every_envelope(client: InnergyClient, sandbox: Sandbox) -> None:
    created = client.create_materials([material(1), material(2)])  # bare array answer
    assert [m.material_name for m in client.list_materials()] == ["Maple Ply 3/4 #1", "Maple Ply 3/4 #2"]
    assert client.get_material(created[1].id).external_id == "SKU-0002"  # bare object
    assert [w.name for w in client.workflows()] == ["Bid", "Engineering", "Shop"]  # bare array
    orders = client.work_orders()  # {data, totalCount}, paged by skip/take
    assert len(orders) == 1200 and len({o.id for o in orders}) == 1200
    assert Counter(path for _, path in sandbox.requests)["/api/v2-unstable/projectWorkOrders"] == 3
    closed = client.work_orders(status="Closed")
    assert closed and {o.status for o in closed} == {"Closed"}


def test_money_and_numbers_travel_exactly(client: InnergyClient) -> None:
    [created] = client.create_materials([material(1, margin=Decimal("0.3333"))])
    assert created.cost is not None and created.cost.value == Decimal("2.1875")
    assert client.get_material(created.id).margin == Decimal("0.3333")


def test_purchase_orders_follow_the_blob_redirect_without_the_key(
    client: InnergyClient, sandbox: Sandbox
) -> None:
    orders = client.purchase_orders(["Issued"])
    assert [o.number for o in orders] == ["PO-100002", "PO-100004"]
    assert sandbox.blob_requests, "the blob host was never asked"
    for headers in sandbox.blob_requests:
        assert "api-key" not in {name.lower() for name in headers}
        assert sandbox.api_key not in str(headers)


def test_a_purchase_order_is_got_by_number_not_by_id(client: InnergyClient) -> None:
    assert client.purchase_order("PO-100003").status == "Received"
    with pytest.raises(InnergyValidationError, match="Invalid Id"):
        client.purchase_order("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    with pytest.raises(InnergyNotFound):
        client.purchase_order("PO-999999")


def test_unknown_ids_are_not_found(client: InnergyClient) -> None:
    with pytest.raises(InnergyNotFound):
        client.get_material("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    with pytest.raises(InnergyNotFound):
        client.edit_material("3f2504e0-4f89-11d3-9a0c-0305e82c3301", material(1))


def test_duplicates_are_validation_errors_with_innergys_messages(client: InnergyClient) -> None:
    client.create_materials([material(1)])
    with pytest.raises(InnergyValidationError) as caught:
        client.create_materials([material(1, external_id="OTHER")])
    assert caught.value.messages == ("A material with MaterialName 'Maple Ply 3/4 #1' already exists",)
    with pytest.raises(InnergyValidationError, match="ExternalId 'sku-0001' already exists"):
        client.create_materials([material(2, external_id="sku-0001")])


def test_a_validation_error_carries_the_call_status_and_innergys_messages(client: InnergyClient) -> None:
    client.create_materials([material(1)])
    with pytest.raises(InnergyValidationError) as caught:
        client.create_materials([material(1, external_id="OTHER")])
    error = caught.value
    assert (error.method, error.path, error.status) == ("POST", "/api/materials/create", 400)
    assert error.messages == ("A material with MaterialName 'Maple Ply 3/4 #1' already exists",)


def test_a_not_found_carries_the_call_and_its_status(client: InnergyClient) -> None:
    missing = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    with pytest.raises(InnergyNotFound) as caught:
        client.get_material(missing)
    error = caught.value
    assert (error.method, error.status) == ("GET", 404)
    assert error.path is not None and missing in error.path


def test_exhausted_retries_carry_the_last_status(sandbox: Sandbox) -> None:
    sandbox.faults.failure_rate = 1.0
    with (
        InnergyClient(sandbox.url, sandbox.api_key, retries=1, backoff=0.001) as failing,
        pytest.raises(InnergyUnavailable) as caught,
    ):
        failing.version()
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", "/api/version", 500)


def test_an_html_answer_carries_the_call_and_hides_the_key(sandbox: Sandbox) -> None:
    with InnergyClient(sandbox.url, SECRET) as wrong, pytest.raises(InnergyAuthError) as caught:
        wrong.version()
    error = caught.value
    assert (error.method, error.path, error.status) == ("GET", "/api/version", 200)
    assert SECRET not in f"{error} {error.hint} {error.path} {error.messages}"


def test_edit_and_deactivate_keep_the_rest_of_the_record(client: InnergyClient, sandbox: Sandbox) -> None:
    [created] = client.create_materials([material(1, vendor="Columbia")])
    gone = client.deactivate_material(created)
    assert gone.status == "Inactive" and gone.vendor == "Columbia" and gone.margin == Decimal("0.35")
    assert sandbox.materials[0]["Status"] == "Inactive"


def test_a_503_after_a_committed_create_leaves_exactly_one_record(
    client: InnergyClient, sandbox: Sandbox
) -> None:
    sandbox.faults.commit_then_503_next = 1
    created = client.create_materials([material(1), material(2), material(3)])
    assert [m.external_id for m in created] == ["SKU-0001", "SKU-0002", "SKU-0003"]
    assert sorted(m["ExternalId"] for m in sandbox.materials) == ["SKU-0001", "SKU-0002", "SKU-0003"]
    assert posts(sandbox, "/api/materials/create") == 1, "the create was sent again blindly"


def test_a_timeout_after_a_committed_create_leaves_exactly_one_record(sandbox: Sandbox) -> None:
    sandbox.faults.slow_write_answer = 0.6
    with InnergyClient(sandbox.url, sandbox.api_key, timeout=0.2, backoff=0.001) as slow:
        [created] = slow.create_materials([material(1)])
    assert created.external_id == "SKU-0001"
    assert len(sandbox.materials) == 1


def test_a_failed_create_is_sent_again_only_for_what_did_not_land(
    client: InnergyClient, sandbox: Sandbox
) -> None:
    sandbox.faults.rate_limit_rate, sandbox.faults.retry_after = 1.0, 0
    with pytest.raises(InnergyUnavailable, match="looking them up failed"):
        InnergyClient(sandbox.url, sandbox.api_key, retries=1, backoff=0.001).create_materials([material(1)])
    sandbox.faults.rate_limit_rate = 0
    assert client.create_materials([material(1)])[0].external_id == "SKU-0001"
    assert len(sandbox.materials) == 1


def test_retry_after_is_honoured_and_retries_are_bounded(sandbox: Sandbox) -> None:
    sandbox.faults.rate_limit_rate, sandbox.faults.retry_after = 1.0, 0.2
    start = time.monotonic()
    with pytest.raises(InnergyUnavailable, match="after 3 tries: HTTP 429"):
        InnergyClient(sandbox.url, sandbox.api_key, retries=2, backoff=0).version()
    assert time.monotonic() - start >= 0.4  # two waits of at least Retry-After
    assert len(sandbox.requests) == 3


def test_timeouts_are_retried_then_fail_clearly(sandbox: Sandbox) -> None:
    sandbox.faults.latency = 0.3
    with pytest.raises(InnergyUnavailable, match="timed out"):
        InnergyClient(sandbox.url, sandbox.api_key, timeout=0.05, retries=1, backoff=0.001).version()


def test_a_call_whose_client_is_closed_under_it_fails_without_trying_again(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A plan whose master failed closes the client under its INNERGY read: that read ends."""
    sandbox.faults.latency = 0.5
    client = InnergyClient(sandbox.url, sandbox.api_key, retries=4, backoff=0)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.version()
        except BaseException as exc:  # the outcome is what is checked
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.2)
    client.close()
    thread.join(5)
    assert not thread.is_alive()
    assert [type(e) for e in outcome] == [InnergyUnavailable]
    assert "trying again" not in caplog.text
    assert len(sandbox.requests) == 1


def test_thirty_percent_random_429_and_500_still_complete(sandbox: Sandbox) -> None:
    faults = sandbox.faults
    faults.failure_rate, faults.rate_limit_rate, faults.retry_after = 0.15, 0.15, 0
    faults.commit_then_503_rate = 0.1
    with InnergyClient(
        sandbox.url, sandbox.api_key, retries=12, backoff=0.001, concurrency=4, batch_size=10
    ) as c:
        created = c.create_materials([material(n) for n in range(60)])
        edited = [c.edit_material(m.id, material(n, note="edited")) for n, m in enumerate(created[:20])]
        listed = c.list_materials()
    assert [m.external_id for m in created] == [f"SKU-{n:04}" for n in range(60)]
    assert all(m.note == "edited" for m in edited)
    assert len(listed) == 60 and len({m.external_id for m in listed}) == 60
    assert len(sandbox.requests) > 6 + 20 + 1 + 5, "the faults never fired"


def test_under_faults_every_call_completes_or_fails_clearly(sandbox: Sandbox) -> None:
    sandbox.faults.failure_rate, sandbox.faults.rate_limit_rate, sandbox.faults.retry_after = 0.15, 0.15, 0
    outcomes = Counter()
    with InnergyClient(sandbox.url, sandbox.api_key, retries=1, backoff=0.001) as c:
        for _ in range(60):
            try:
                c.version()
                outcomes["ok"] += 1
            except InnergyUnavailable as exc:
                assert "HTTP 429" in str(exc) or "HTTP 500" in str(exc)
                outcomes["failed"] += 1
    assert outcomes["ok"] > 0 and outcomes["failed"] > 0 and sum(outcomes.values()) == 60


def test_concurrency_is_bounded() -> None:
    with pytest.raises(ValueError, match=r"1\.\.5"):
        InnergyClient("http://127.0.0.1:9", "k", concurrency=6)


def test_naughty_strings_survive_a_create_and_read_back(
    client: InnergyClient, sandbox: Sandbox, naughty_strings: list[str]
) -> None:
    bodies = [
        material(n, material_name=f"#{n} {text}", description=text, note=text, vendor=text or None)
        for n, text in enumerate(naughty_strings)
    ]
    client.create_materials(bodies)
    back = {m.external_id: m for m in client.list_materials()}
    for n, text in enumerate(naughty_strings):
        record = back[f"SKU-{n:04}"]
        assert (record.material_name, record.description, record.note) == (f"#{n} {text}", text, text)


def test_a_won_opportunity_becomes_a_project_that_takes_bom_lines(
    client: InnergyClient, sandbox: Sandbox
) -> None:
    sandbox.faults.commit_then_503_next = 1
    [opp] = client.create_opportunities(
        [
            OpportunityCreate(
                name="Lobby millwork", facility_id="F-1", bid_type_id="B-1", external_identifier="P-1001"
            )
        ]
    )
    assert [o.identifier for o in client.list_opportunities()] == ["P-1001"], "created twice"
    project = sandbox.win_opportunity(opp.id)
    assert [p.identifier for p in client.list_projects()] == ["P-1001"]
    items = [BomItem(name="SKU-0001", uom="SF", quantity=Decimal("64"), engineering_id="P-1001:1")]
    outcome = client.import_bom(BomImport(logged_in_user_email="pm@shop.test", project_identifier="P-1001",
                                          engineering_bom_items=items))  # fmt: skip
    assert outcome.outcome_type == "Success"
    assert [(b.sku, b.quantity) for b in client.budget_products(project["Id"])] == [
        ("SKU-0001", Decimal("64"))
    ]
    with pytest.raises(InnergyValidationError, match="was not found"):
        client.import_bom(BomImport(logged_in_user_email="pm@shop.test", project_identifier="P-404",
                                    engineering_bom_items=items))  # fmt: skip


def test_opportunities_need_a_bid_type(client: InnergyClient) -> None:
    with pytest.raises(ValueError, match="BidTypeId"):
        OpportunityCreate.model_validate({"Name": "x", "FacilityId": "F"})
    assert client.companies()[0].external_identifier == "C-001"


def test_a_408_request_timeout_is_retried_like_a_timeout() -> None:
    answers = iter(
        [httpx.Response(408, text="Request Timeout"), httpx.Response(200, json={"ServerVersion": "9"})]
    )
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return next(answers)

    client = InnergyClient("https://innergy.test", "key", backoff=0, transport=httpx.MockTransport(answer))
    assert client.version() == "9"
    assert seen == ["/api/version", "/api/version"]


def _bom_client(answers: list[httpx.Response | Exception], seen: list[str]) -> InnergyClient:
    """A client whose BOM imports are answered (or failed) in turn by ``answers``."""
    queue = iter(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        reply = next(queue)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return InnergyClient("https://innergy.test", "key", backoff=0, transport=httpx.MockTransport(answer))


BOM = BomImport(
    logged_in_user_email="pm@shop.test",
    project_identifier="P-1001",
    engineering_bom_items=[
        BomItem(name="SKU-0001", uom="SF", quantity=Decimal("64"), engineering_id="P-1:1")
    ],
)
LANDED = httpx.Response(200, json={"OutcomeType": "Success", "Messages": []})


@pytest.mark.parametrize(
    "lost",
    [httpx.Response(503, text="Service Unavailable"), httpx.ReadTimeout("read timed out")],
    ids=["503", "timeout"],
)
def test_a_bom_import_whose_answer_was_lost_is_not_sent_again(lost: httpx.Response | Exception) -> None:
    seen: list[str] = []
    with pytest.raises(InnergyUnavailable, match="after 1 tries"):
        _bom_client([lost, LANDED], seen).import_bom(BOM)
    assert seen == ["/api/engineeringsync/importjson"], "a BOM import that may have landed was sent again"


@pytest.mark.parametrize(
    "untaken",
    [httpx.Response(429, headers={"Retry-After": "0"}), httpx.ConnectError("connection refused")],
    ids=["429", "refused"],
)
def test_a_bom_import_innergy_surely_did_not_take_is_tried_again(untaken: httpx.Response | Exception) -> None:
    seen: list[str] = []
    assert _bom_client([untaken, LANDED], seen).import_bom(BOM).outcome_type == "Success"
    assert seen == ["/api/engineeringsync/importjson"] * 2
