"""A local INNERGY on loopback: the same contract as ``wire``, INNERGY's traps included.

What tests, ``matsync demo`` and a shop's rehearsals run against. It answers a bad key
with a redirect to an HTML login page (HTTP 200), an unknown route with the HTML app
shell, purchase orders with a 302 to a gzip blob on a second host (which records the
headers it receives), validation failures with INNERGY's error body, unknown ids with
404. Its materials carry the import sheet's fields we do not model (``MRPType``, GL
accounts, ``Stock`` ...), and an edit replaces the whole record: a field the body leaves
out is cleared, as INNERGY does. Opportunities echo our identifier as
``ExternalIdentifier`` (``identifier_field`` picks ``ExternalId``, or none at all).
State persists in a JSON file (written atomically) so a rehearsal survives a
restart. Fault knobs (``Faults``) are set at start, as attributes of ``Sandbox.faults``,
or over HTTP with ``POST /__sandbox/faults`` from another process.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import secrets
import select
import tempfile
import threading
import time
import uuid
from collections import UserDict
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from innergy_client import wire
from innergy_client.spec import openapi_document

__all__ = ["DEFAULT_API_KEY", "SHEET_ONLY_FIELDS", "Faults", "Sandbox", "running_sandbox"]

DEFAULT_API_KEY = "sandbox-key"
SERVER_VERSION = "sandbox-2024.1"
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>INNERGY - Log in</title></head>"
    b"<body><form action='/Account/Login' method='post'><input name='Email'>"
    b"<input name='Password' type='password'></form></body></html>"
)
APP_SHELL = (
    b"<!DOCTYPE html><html><head><title>INNERGY</title></head><body><div id='app'></div></body></html>"
)
WORKFLOWS = [
    {"Id": str(uuid.UUID(int=i + 1)), "Name": n} for i, n in enumerate(["Bid", "Engineering", "Shop"])
]
COMPANIES = [
    {"Id": str(uuid.UUID(int=101)), "Name": "Acme Builders", "ExternalIdentifier": "C-001"},
    {"Id": str(uuid.UUID(int=102)), "Name": "Oak & Co", "ExternalIdentifier": None},
]
PURCHASE_ORDERS = [
    {
        "Number": f"PO-{100001 + i}",
        "Status": s,
        "Vendor": "Columbia Forest",
        "VendorExternalIdentifier": "V-7",
    }
    for i, s in enumerate(["Open", "Issued", "Received", "Issued"])
]
WORK_ORDERS = [
    {"Id": str(uuid.UUID(int=10_000 + i)), "Number": f"WO-{i:05}", "Name": f"Work order {i}",
     "Status": "Open" if i % 3 else "Closed", "ExternalIdentifier": None}
    for i in range(1, 1201)
]  # fmt: skip
"""Enough V2 work orders to need three pages of 500."""


@dataclass
class Faults:
    """The failure knobs; change them any time (attributes, or ``POST /__sandbox/faults``)."""

    failure_rate: float = 0.0
    """Share of API calls answered 500 before anything happens."""
    rate_limit_rate: float = 0.0
    """Share of API calls answered 429 with ``Retry-After``."""
    retry_after: float = 1.0
    latency: float = 0.0
    """Seconds every API call waits before it is handled."""
    commit_then_503_rate: float = 0.0
    """Share of writes that are committed and then answered 503."""
    commit_then_503_next: int = 0
    """The next N writes are committed and then answered 503."""
    slow_write_answer: float = 0.0
    """Seconds a committed write waits before answering (a client timeout after commit)."""

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault knob {name!r} (known: {', '.join(known)})")
            setattr(self, name, int(value) if name == "commit_then_503_next" else float(value))


class _Reply(Exception):
    """An answer, raised from anywhere in a handler."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _error(status: int, *messages: str) -> _Reply:
    body = {"Messages": list(messages), "CorrelationId": str(uuid.uuid4()), "OutcomeType": "Failure"}
    return _Reply(status, body)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_MODELLED = {(info.alias or name).casefold() for name, info in wire.MaterialWrite.model_fields.items()}
SHEET_ONLY_FIELDS = tuple(c for c in wire.IMPORT_COLUMNS if c.casefold() not in _MODELLED)
"""The material fields INNERGY holds (its import sheet's columns) that matsync does not model."""


class _StrictMaterial(wire.MaterialWrite):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)


_SHEET_FIELDS: dict[str, Any] = {name: (Any, Field(default=None, alias=name)) for name in SHEET_ONLY_FIELDS}
_ServerMaterial = create_model("ServerMaterial", __base__=_StrictMaterial, **_SHEET_FIELDS)
"""A material as the sandbox's INNERGY takes it: every field it holds, nothing else."""


def _validated(model: type[BaseModel], body: Any, index: int | None = None) -> dict[str, Any]:
    """A write body checked like INNERGY would: required fields, types, nothing read-only."""
    prefix = f"Item {index}: " if index is not None else ""
    try:
        return wire.json_body(model.model_validate(body))
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]) or "body"
            if error["type"] == "extra_forbidden":
                messages.append(f"{prefix}{name} cannot be written")
            elif error["type"] in ("missing", "string_too_short"):
                messages.append(f"{prefix}{name} can't be empty")
            else:
                messages.append(f"{prefix}{name}: {error['msg']}")
        raise _error(400, *messages) from None


class _Materials(UserDict[str, dict[str, Any]]):
    """The materials by id, with who holds each MaterialName and ExternalId (case ignored).

    INNERGY refuses a second material with a name or external id already taken; looking
    them up here keeps that check O(1) (scanning every record cost 5 ms an edit at 4,000
    records). Every way in and out of the mapping goes through ``__setitem__`` and
    ``__delitem__``, so records seeded straight into the store are indexed too; a name or
    external id changes by replacing the record, never by editing it in place.
    """

    UNIQUE = ("MaterialName", "ExternalId")

    def __init__(self, records: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.holders: dict[str, dict[str, set[str]]] = {field: {} for field in self.UNIQUE}
        """field -> casefolded value -> ids of the records holding it."""
        super().__init__(records)

    def __setitem__(self, material_id: str, record: dict[str, Any]) -> None:
        if material_id in self.data:
            del self[material_id]
        self.data[material_id] = record
        for field, key in self._keys(record):
            self.holders[field].setdefault(key, set()).add(material_id)

    def __delitem__(self, material_id: str) -> None:
        for field, key in self._keys(self.data.pop(material_id)):
            holders = self.holders[field][key]
            holders.discard(material_id)
            if not holders:
                del self.holders[field][key]

    def _keys(self, record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        for field in self.UNIQUE:
            if value := record.get(field):
                yield field, str(value).casefold()

    def clashes(self, candidates: list[dict[str, Any]], skip_id: str | None = None) -> list[str]:
        """INNERGY's messages for candidates taken by another record or an earlier candidate."""
        messages: list[str] = []
        for field in self.UNIQUE:
            taken, batch = self.holders[field], set()
            for item in candidates:
                if not (value := item.get(field)):
                    continue
                key = value.casefold()
                if key in batch or any(holder != skip_id for holder in taken.get(key, ())):
                    messages.append(f"A material with {field} '{value}' already exists")
                batch.add(key)
        return messages


class _Store:
    """The sandbox's records, saved atomically to a JSON file after every write."""

    KINDS = ("materials", "opportunities", "projects", "bom")

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.RLock()
        loaded: dict[str, Any] = {}
        if path is not None and path.is_file():
            loaded = json.loads(path.read_text(encoding="utf-8"))
        self.materials = _Materials(loaded.get("materials"))
        self.data: dict[str, MutableMapping[str, Any]] = {kind: loaded.get(kind, {}) for kind in self.KINDS}
        self.data["materials"] = self.materials

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, ensure_ascii=False, default=dict)
        os.replace(tmp, self.path)


class Sandbox:
    """The INNERGY sandbox: an API server and a blob host, on loopback ports."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        data: Path | None = None,
        port: int = 0,
        faults: Faults | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        identifier_field: str | None = "ExternalIdentifier",
    ) -> None:
        self.api_key = api_key
        self.identifier_field = identifier_field
        """The name opportunities echo our identifier under (``None``: they echo none)."""
        self.faults = faults or Faults()
        self.store = _Store(data)
        self.blob_requests: list[dict[str, str]] = []
        """The headers of every request the blob host received."""
        self.requests: list[tuple[str, str]] = []
        """(method, path) of every API request, faults included."""
        self._blobs: dict[str, bytes] = {}
        self._rng = random.Random(seed)
        self._api = _Server((host, port), _ApiHandler, self)
        self._blob = _Server((host, 0), _BlobHandler, self)
        self._threads: list[threading.Thread] = []
        self._routes = _routes(self)

    @property
    def url(self) -> str:
        host, port = self._api.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def blob_url(self) -> str:
        host, port = self._blob.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def materials(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self.store.materials.values())

    @property
    def projects(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self.store.data["projects"].values())

    def bom(self, project_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self.store.data["bom"].get(project_id, {}).values())

    def start(self) -> Sandbox:
        for server in (self._api, self._blob):
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def wait_until_read(self, timeout: float = 5.0) -> None:
        """Return once every connection is read to its end or to its next request's body:
        what a killed client had already sent (its dead sockets still deliver it) has been
        counted and committed. A live client's idle keep-alive connection is never read to
        its end: close the clients first."""
        deadline = time.monotonic() + timeout
        while self._api.unread_connections() or self._blob.unread_connections():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sandbox was still reading requests after {timeout} s")
            time.sleep(0.01)

    def stop(self) -> None:
        for server in (self._api, self._blob):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (the ``matsync sandbox`` command)."""
        blob = threading.Thread(target=self._blob.serve_forever, args=(0.05,), daemon=True)
        blob.start()
        try:
            self._api.serve_forever(0.05)
        finally:
            self._blob.shutdown()
            self._api.server_close()
            self._blob.server_close()

    # -- behaviour ----------------------------------------------------------------------

    def _chance(self, rate: float) -> bool:
        with self.store.lock:
            return rate > 0 and self._rng.random() < rate

    def _commit_then_fail(self) -> bool:
        with self.store.lock:
            if self.faults.commit_then_503_next > 0:
                self.faults.commit_then_503_next -= 1
                return True
        return self._chance(self.faults.commit_then_503_rate)

    def handle_api(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: Any
    ) -> _Reply:
        """Answer one ``/api`` call: the key trap, the fault knobs, then the route."""
        self.requests.append((method, path))
        if headers.get("Api-Key") != self.api_key:
            return _Reply(302, None, {"Location": f"/Account/Login?ReturnUrl={path}"})
        faults = self.faults
        if faults.latency:
            time.sleep(faults.latency)
        if self._chance(faults.rate_limit_rate):
            return _Reply(
                429, {"Messages": ["Too many requests"]}, {"Retry-After": f"{faults.retry_after:g}"}
            )
        if self._chance(faults.failure_rate):
            return _error(500, "An unexpected error occurred")
        for verb, pattern, handler in self._routes:
            if verb == method and (match := pattern.fullmatch(path)):
                try:
                    reply = handler(query=query, body=body, **match.groupdict())
                except _Reply as answer:
                    return answer
                if method == "POST":
                    if faults.slow_write_answer:
                        time.sleep(faults.slow_write_answer)
                    if self._commit_then_fail():
                        return _error(503, "Service Unavailable")
                return reply
        return _Reply(200, APP_SHELL, {"Content-Type": "text/html; charset=utf-8"})

    def handle_admin(self, method: str, path: str, body: Any) -> _Reply:
        if path == "/__sandbox/faults":
            if method == "POST":
                try:
                    self.faults.update(body or {})
                except (TypeError, ValueError, AttributeError) as exc:
                    return _error(400, str(exc))
            return _Reply(200, asdict(self.faults))
        if path == "/__sandbox/blob-requests":
            return _Reply(200, self.blob_requests)
        if method == "POST" and (m := re.fullmatch(r"/__sandbox/opportunities/([^/]+)/win", path)):
            try:
                return _Reply(200, self.win_opportunity(m[1]))
            except KeyError:
                return _error(404, f"opportunity {m[1]} not found")
        return _error(404, f"no sandbox admin route {method} {path}")

    def win_opportunity(self, opportunity_id: str) -> dict[str, Any]:
        """Mark an opportunity won: INNERGY converts it into a project, reading back its
        identifier (if it echoes one) as ``ExternalId``."""
        with self.store.lock:
            opportunity = self.store.data["opportunities"][opportunity_id]
            projects = self.store.data["projects"]
            existing = next((p for p in projects.values() if p["Opportunity"]["Id"] == opportunity_id), None)
            if existing:
                return dict(existing)
            opportunity["Status"] = "Won"
            now, amount = _now(), opportunity.get("ProjectedRevenue")
            identifier = opportunity.get("ExternalIdentifier") or opportunity.get("ExternalId")
            project = {
                "Id": str(uuid.uuid4()),
                "Number": f"{datetime.now(UTC).year}-{len(projects) + 1:04}",
                "Name": opportunity["Name"],
                "ExternalId": identifier,
                "Status": "Active",
                "Customer": {"Id": None, "Name": opportunity.get("CustomerName")},
                "WorkflowStepName": WORKFLOWS[0]["Name"],
                "TotalContract": None
                if amount is None
                else {"Value": amount, "OriginalValue": amount, "CurrencyCode": "USD"},
                "CreatedOn": now,
                "ModifiedOn": now,
                "Opportunity": {"Id": opportunity_id, "Name": opportunity["Name"], "ConversionDate": now},
            }
            projects[project["Id"]] = project
            self.store.save()
            return dict(project)

    # -- routes (one per wire endpoint) --------------------------------------------------

    def version(self, **_: Any) -> _Reply:
        return _Reply(200, {"ServerVersion": SERVER_VERSION})

    def _items(self, items: list[Any], **extra: Any) -> _Reply:
        return _Reply(200, {"CreateDate": _now(), **extra, "Items": items})

    def materials_list(self, **_: Any) -> _Reply:
        return self._items(self.materials)

    def _material(self, material_id: str) -> dict[str, Any]:
        record = self.store.materials.get(material_id)
        if record is None:
            raise _error(404, f"Material {material_id} not found")
        return record

    def materials_get(self, Id: str, **_: Any) -> _Reply:
        with self.store.lock:
            return _Reply(200, self._material(Id))

    def _check_unique(self, candidates: list[dict[str, Any]], skip_id: str | None = None) -> None:
        if messages := self.store.materials.clashes(candidates, skip_id):
            raise _error(400, *messages)

    def materials_create(self, body: Any, **_: Any) -> _Reply:
        if not isinstance(body, list):
            raise _error(400, "The request body must be an array of materials")
        items = [_validated(_ServerMaterial, item, i) for i, item in enumerate(body)]
        with self.store.lock:
            self._check_unique(items)
            now, created = _now(), []
            for item in items:
                record = {"Id": str(uuid.uuid4()), **item, "CreatedOn": now, "ModifiedOn": now}
                self.store.materials[record["Id"]] = record
                created.append(record)
            self.store.save()
        return _Reply(200, created)

    def materials_edit(self, Id: str, body: Any, **_: Any) -> _Reply:
        """The body replaces the record: what it leaves out is cleared."""
        item = _validated(_ServerMaterial, body)
        with self.store.lock:
            created = self._material(Id).get("CreatedOn")
            record = {"Id": Id, **item, "CreatedOn": created, "ModifiedOn": _now()}
            self._check_unique([item], skip_id=Id)
            self.store.materials[Id] = record
            self.store.save()
            return _Reply(200, dict(record))

    def _project(self, project_id: str) -> dict[str, Any]:
        found = self.store.data["projects"].get(project_id)
        if found is None:
            raise _error(400 if not _is_uuid(project_id) else 404, "Invalid Id")
        return found

    def projects_list(self, **_: Any) -> _Reply:
        return self._items(self.projects)

    def projects_get(self, Id: str, **_: Any) -> _Reply:
        with self.store.lock:
            return _Reply(200, self._project(Id))

    def projects_budget_products(self, Id: str, **_: Any) -> _Reply:
        with self.store.lock:
            project = self._project(Id)
            items = [
                {"SKU": line["Name"], "LibraryName": line["Name"], "Quantity": line["Quantity"]}
                for line in self.bom(Id)
            ]
        return self._items(items, ProjectNumber=project["Number"], ProjectName=project["Name"])

    def projects_work_orders(self, Id: str, **_: Any) -> _Reply:
        with self.store.lock:
            project = self._project(Id)
        return self._items([], ProjectNumber=project["Number"], ProjectName=project["Name"])

    def work_orders_list(self, query: dict[str, list[str]], **_: Any) -> _Reply:
        try:
            skip, take = int(query.get("skip", ["0"])[0]), int(query.get("take", ["100"])[0])
        except ValueError:
            raise _error(400, "skip and take must be whole numbers") from None
        if not (skip >= 0 and 0 < take <= 500):
            raise _error(400, "take must be 1..500 and skip 0 or more")
        status = query.get("status", [None])[0]
        rows = [w for w in WORK_ORDERS if status is None or w["Status"] == status]
        return _Reply(200, {"data": rows[skip : skip + take], "totalCount": len(rows)})

    def workflows_list(self, **_: Any) -> _Reply:
        return _Reply(200, WORKFLOWS)

    def opportunities_list(self, **_: Any) -> _Reply:
        with self.store.lock:
            return self._items(list(self.store.data["opportunities"].values()))

    def opportunities_create(self, body: Any, **_: Any) -> _Reply:
        if not isinstance(body, list):
            raise _error(400, "The request body must be an array of opportunities")
        items = [_validated(wire.OpportunityCreate, item, i) for i, item in enumerate(body)]
        created = []
        with self.store.lock:
            for item in items:
                identifier = item.pop("ExternalIdentifier")
                record = {
                    "Id": str(uuid.uuid4()),
                    **item,
                    "FacilityName": "Main Shop",
                    "BidType": "Standard",
                    "Status": "Open",
                }
                if self.identifier_field:
                    record[self.identifier_field] = identifier
                self.store.data["opportunities"][record["Id"]] = record
                created.append({k: record[k] for k in ("Id", "Name")})
            self.store.save()
        return _Reply(200, created)

    def engineering_sync_import(self, body: Any, **_: Any) -> _Reply:
        item = _validated(wire.BomImport, body)
        ident = item["ProjectIdentifier"]
        with self.store.lock:
            project = next(
                (p for p in self.projects if ident in (p["Id"], p["Number"], p.get("ExternalId"))), None
            )
            if project is None:
                raise _error(400, f"Project '{ident}' was not found")
            lines = self.store.data["bom"].setdefault(project["Id"], {})
            for line in item["EngineeringBomItems"]:
                lines[line["EngineeringID"]] = line
            self.store.save()
        return _Reply(200, {"Messages": [], "CorrelationId": str(uuid.uuid4()), "OutcomeType": "Success"})

    def companies_list(self, **_: Any) -> _Reply:
        return self._items(COMPANIES)

    def purchase_orders_list(self, query: dict[str, list[str]], **_: Any) -> _Reply:
        statuses = set(query.get("statuses", []))
        items = [po for po in PURCHASE_ORDERS if not statuses or po["Status"] in statuses]
        token = secrets.token_urlsafe(12)
        payload = json.dumps({"CreateDate": _now(), "Items": items}).encode()
        with self.store.lock:
            self._blobs[token] = gzip.compress(payload)
        return _Reply(302, None, {"Location": f"{self.blob_url}/exports/{token}.json.gz?sv=2021&sig=sandbox"})

    def purchase_orders_get(self, Number: str, **_: Any) -> _Reply:
        if _is_uuid(Number):
            raise _error(400, "Invalid Id")
        found = next((po for po in PURCHASE_ORDERS if po["Number"] == Number), None)
        if found is None:
            raise _error(404, f"Purchase order {Number} not found")
        return _Reply(200, found)

    def blob(self, token: str) -> bytes | None:
        with self.store.lock:
            return self._blobs.get(token)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _routes(sandbox: Sandbox) -> list[tuple[str, re.Pattern[str], Callable[..., _Reply]]]:
    """One route per ``wire.ENDPOINTS`` entry; literal paths win over templated ones."""
    routes: list[tuple[str, re.Pattern[str], Callable[..., _Reply]]] = []
    for ep in sorted(wire.ENDPOINTS, key=lambda e: e.path.count("{")):
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(ep.path))
        routes.append((ep.method, re.compile(pattern), getattr(sandbox, ep.name.replace(".", "_"))))
    return routes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sandbox: Sandbox):
        super().__init__(address, handler)
        self.sandbox = sandbox
        self.unread = 0
        """Connections with bytes perhaps not read yet: accepted, or answered and kept
        open, and not yet at their next request's body (or their end)."""
        self.unread_lock = threading.Lock()

    def count_unread(self, step: int) -> None:
        with self.unread_lock:
            self.unread += step

    def unread_connections(self) -> int:
        """``unread``, and any connection still waiting to be accepted."""
        waiting, _, _ = select.select([self.socket], [], [], 0)
        return self.unread + len(waiting)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.count_unread(+1)  # before its thread starts, which may be scheduled late
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests carry the key in a header, and tests do not want the noise."""

    def handle(self) -> None:
        self.unread = True  # counted by the server when it accepted the connection
        try:
            super().handle()
        finally:
            self._read()

    def _read(self) -> None:
        """This connection's request is read (or the connection is over)."""
        if self.unread:
            self.unread = False
            self.server.count_unread(-1)

    def _reply(self, reply: _Reply) -> None:
        body = reply.body
        headers = dict(reply.headers)
        if isinstance(body, bytes):
            data = body
        elif body is None:
            data = b""
        else:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        # counted before the answer goes out: the client that has it may ask for the count at once
        self.unread = True
        self.server.count_unread(+1)
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        if self.close_connection:  # else kept open: the client's next request may be on its way
            self._read()

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._read()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise _error(400, "The request body is not valid JSON") from None


class _ApiHandler(_Handler):
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        url = urlsplit(self.path)
        try:
            body = self._body()
            if url.path.startswith("/__sandbox/"):
                reply = sandbox.handle_admin(method, url.path, body)
            elif url.path == wire.SPEC_PATH:
                reply = _Reply(200, openapi_document(sandbox.url))
            elif url.path.startswith("/api/"):
                reply = sandbox.handle_api(method, url.path, parse_qs(url.query), self.headers, body)
            else:  # the login page, and everything else the web app serves
                reply = _Reply(200, LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        except _Reply as answer:
            reply = answer
        self._reply(reply)


class _BlobHandler(_Handler):
    def do_GET(self) -> None:
        self._read()
        sandbox = self.server.sandbox
        sandbox.blob_requests.append({k: v for k, v in self.headers.items()})
        match = re.fullmatch(r"/exports/([\w-]+)\.json\.gz", urlsplit(self.path).path)
        data = sandbox.blob(match[1]) if match else None
        if data is None:
            self._reply(
                _Reply(404, b"<Error><Code>BlobNotFound</Code></Error>", {"Content-Type": "application/xml"})
            )
        else:
            self._reply(_Reply(200, data, {"Content-Type": "application/octet-stream"}))


@contextmanager
def running_sandbox(
    *,
    api_key: str = DEFAULT_API_KEY,
    data: Path | None = None,
    seed: int | None = 0,
    port: int = 0,
    identifier_field: str | None = "ExternalIdentifier",
    **faults: Any,
) -> Iterator[Sandbox]:
    """A sandbox on a free loopback port for the duration of the block.

    ``faults`` are ``Faults`` fields (``failure_rate=0.3`` ...); change them later through
    ``sandbox.faults``. ``seed`` makes random faults repeatable.
    """
    knobs = Faults()
    knobs.update(faults)
    sandbox = Sandbox(
        api_key=api_key, data=data, port=port, faults=knobs, seed=seed, identifier_field=identifier_field
    ).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
