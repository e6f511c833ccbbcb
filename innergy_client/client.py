"""The INNERGY REST client: one pooled httpx connection set, INNERGY's traps handled.

Why it looks the way it does:

- INNERGY answers a bad key or an unknown route with its HTML login page and HTTP 200,
  so only JSON is accepted; HTML becomes ``InnergyAuthError`` naming what to check.
- 429, 5xx and timeouts are retried a bounded number of times with exponential backoff
  and full jitter, honouring ``Retry-After``. A create is never retried blindly: a 503
  or a timeout does not prove the write failed, so the records are looked up by their
  external id (or name) first and only the missing ones are sent again.
- Purchase orders answer 302 to a gzip blob on another host; the redirect is followed
  by hand, without the ``Api-Key`` header.
- The key lives only in request headers. Every message is redacted before it is raised.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
import msgspec
from pydantic import BaseModel, TypeAdapter, ValidationError

from canonical.errors import (
    InnergyAuthError,
    InnergyError,
    InnergyNotFound,
    InnergyUnavailable,
    InnergyValidationError,
)
from canonical.gc_pause import paused_gc
from canonical.lazy import LazyModels, field_values
from canonical.models import InnergyMaterial
from canonical.normalize import sku_key
from canonical.retry_after import RETRY_STATUSES, retry_after_seconds
from canonical.secrets import hide_url_passwords
from innergy_client import wire
from innergy_client.mapping import edit_body, to_canonical
from innergy_client.wire import Endpoint, endpoint, json_body
from innergy_client.workers import map_in_order

__all__ = ["DEFAULT_BASE_URL", "InnergyClient", "check_connection", "match_opportunities"]

DEFAULT_BASE_URL = "https://app.innergy.com"
log = logging.getLogger("matsync.innergy")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W", bound=BaseModel)

_MAX_CONCURRENCY = 5
_JSON = msgspec.json.Decoder(float_hook=Decimal)


def _loads(content: bytes) -> Any:
    """JSON with every non-integer number the exact ``Decimal`` of its literal.

    msgspec's C decoder hands each float literal's text to ``Decimal``, so ``12.50`` stays
    ``Decimal('12.50')`` as with ``json.loads(parse_float=Decimal)``, at under half its
    cost on a listing (orjson is a little faster but gives floats: ``12.50`` would come
    back ``12.5``, and digits past the 15th would be lost). What msgspec refuses and the
    standard parser takes (``NaN``, a byte-order mark, a lone surrogate) goes to the
    standard parser, which decides as before.
    """
    try:
        return _JSON.decode(content)
    except msgspec.DecodeError:
        return json.loads(content, parse_float=Decimal)


class _Retryable(Exception):
    """An answer or a failure worth another try (408, 429, 5xx, timeout, dropped connection)."""

    def __init__(
        self, reason: str, wait: float | None = None, status: int | None = None, *, unsent: bool = False
    ) -> None:
        super().__init__(reason)
        self.wait = wait
        self.status = status
        """The HTTP status that asked for another try; ``None`` for a timeout or a dropped connection."""
        self.unsent = unsent
        """INNERGY surely did not take the request (a 429, a connection that never opened)."""


class InnergyClient:
    """A client for one INNERGY tenant (the key decides the tenant).

    ``concurrency`` (1-5) bounds parallel calls and pooled connections; ``retries`` is how
    many times a call is tried again; ``backoff`` is the first wait in seconds (doubled
    each time, with jitter, never above ``max_wait``). ``transport`` is for tests.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        concurrency: int = 3,
        batch_size: int = 50,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not 1 <= concurrency <= _MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be 1..{_MAX_CONCURRENCY}, not {concurrency}")
        if not api_key:
            raise InnergyAuthError("no INNERGY key: set INNERGY_API_KEY")
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.calls = 0
        """HTTP requests sent (retries included): what benchmarks and tests count."""
        self._closed = False
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def __enter__(self) -> InnergyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._http.close()

    # -- transport --------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        text = hide_url_passwords(text)
        return text.replace(self._key, "[redacted]") if len(self._key) >= 4 else text

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Any = None,
        raw: Any = None,
        once: bool = False,
    ) -> Any:
        """One call, retried on 429 / 5xx / timeouts; the parsed JSON answer (its bytes fed to ``raw``).

        A ``once`` call (a write that cannot be looked up, nor safely landed twice) is tried
        again only where INNERGY surely did not take it; after a 5xx or a timeout it may
        have landed, which only a person can tell."""
        attempt = 0
        while True:
            try:
                return self._once(method, path, body=body, params=params, raw=raw)
            except _Retryable as exc:
                # closed under a call (a plan that failed meanwhile): its command has ended
                if attempt >= self.retries or self._closed or (once and not exc.unsent):
                    raise InnergyUnavailable(
                        self._redact(f"INNERGY {method} {path} failed after {attempt + 1} tries: {exc}"),
                        method=method,
                        path=path,
                        status=exc.status,
                    ) from None
                self._pause(attempt, exc)
                attempt += 1

    def _pause(self, attempt: int, exc: _Retryable) -> None:
        wait = random.uniform(0, self.backoff * 2**attempt)
        if exc.wait is not None:
            wait = max(wait, exc.wait)
        log.info("INNERGY: %s; trying again in %.2f s", self._redact(str(exc)), min(wait, self.max_wait))
        time.sleep(min(wait, self.max_wait))

    def _once(self, method: str, path: str, *, body: Any = None, params: Any = None, raw: Any = None) -> Any:
        url = self.base_url + path
        headers = {"Api-Key": self._key}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, ensure_ascii=False).encode()
        response = self._send(method, url, headers=headers, content=content, params=params)
        for _hop in range(5):
            if not response.is_redirect:
                break
            url = urljoin(str(response.url), response.headers["Location"])
            same_host = urlsplit(url)[:2] == urlsplit(self.base_url)[:2]
            # Never carry the key to another host (purchase orders redirect to a blob store).
            response = self._send("GET", url, headers=headers if same_host else {})
        return self._decode(method, path, response, raw)

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.calls += 1
        try:
            return self._http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:  # nothing was sent
            raise _Retryable(
                self._redact(f"connection to {url} failed ({type(exc).__name__}: {exc})"), unsent=True
            ) from None
        except httpx.TimeoutException:
            raise _Retryable(f"{method} {self._redact(url)} timed out") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # no retry can fix the URL
            raise InnergyError(
                self._redact(f"INNERGY cannot be reached at {url}: {exc}"),
                hint="INNERGY_BASE_URL must be the tenant's root with its scheme, e.g. https://app.innergy.com",
            ) from None
        except httpx.TransportError as exc:
            raise _Retryable(
                self._redact(f"connection to {url} failed ({type(exc).__name__}: {exc})")
            ) from None

    def _decode(self, method: str, path: str, response: httpx.Response, raw: Any = None) -> Any:
        status = response.status_code
        if status in RETRY_STATUSES:
            raise _Retryable(
                f"HTTP {status}",
                retry_after_seconds(response.headers.get("Retry-After")),
                status,
                unsent=status == 429,
            )
        content = response.content
        if content[:2] == b"\x1f\x8b":
            content = gzip.decompress(content)
        kind = response.headers.get("Content-Type", "")
        call: dict[str, Any] = {"method": method, "path": path, "status": status}
        if "json" not in kind and not (status < 300 and content.lstrip()[:1] in (b"{", b"[")):
            if status in (401, 403) or "html" in kind or content.lstrip()[:1] == b"<":
                raise InnergyAuthError(
                    f"INNERGY answered {method} {path} with a web page, not JSON (HTTP {status}): "
                    f"check that INNERGY_API_KEY is a valid, active key and that INNERGY_BASE_URL "
                    f"({self._redact(self.base_url)}) is the API root",
                    **call,
                )
            raise InnergyError(f"INNERGY answered {method} {path} with HTTP {status} and no JSON", **call)
        try:
            data = _loads(content) if content.strip() else None
        except ValueError:
            raise InnergyError(f"INNERGY answered {method} {path} with malformed JSON", **call) from None
        if status < 300:
            if raw is not None:
                raw.update(content)
            return data
        messages = [self._redact(m) for m in _messages(data)]
        detail = "; ".join(messages) or f"HTTP {status}"
        if status == 404:
            raise InnergyNotFound(f"INNERGY {method} {path}: not found ({detail})", messages=messages, **call)
        if status in (401, 403):
            raise InnergyAuthError(
                f"INNERGY refused {method} {path} (HTTP {status})",
                hint="check that INNERGY_API_KEY is a valid, active key",
                messages=messages,
                **call,
            )
        if status == 400:
            raise InnergyValidationError(
                f"INNERGY rejected {method} {path}: {detail}", messages=messages, **call
            )
        raise InnergyError(
            f"INNERGY {method} {path} failed: HTTP {status} ({detail})", messages=messages, **call
        )

    # -- envelopes ----------------------------------------------------------------------

    def _call(
        self, ep: Endpoint, *, body: Any = None, params: Any = None, raw: Any = None, **path: str
    ) -> Any:
        return self._request(ep.method, ep.url(**path), body=body, params=params, raw=raw)

    def _records(self, ep: Endpoint, *, params: Any = None, raw: Any = None, **path: str) -> list[Any]:
        """Every record of a list endpoint, whatever its envelope (V2 lists page by page);
        ``raw`` (a hashlib object) is fed the bytes of each answer used."""
        if ep.envelope == "data":
            return list(self._pages(ep, params or {}, raw, **path))
        return _unwrap(ep, self._call(ep, params=params, raw=raw, **path))

    def _pages(self, ep: Endpoint, params: dict[str, Any], raw: Any = None, **path: str) -> Iterator[Any]:
        skip = 0
        while True:
            page = self._call(ep, params={**params, "skip": skip, "take": wire.PAGE_SIZE}, raw=raw, **path)
            items = _unwrap(ep, page)
            yield from items
            skip += len(items)
            if not items or skip >= int(page.get("totalCount", 0)):
                return

    def _list(self, name: str, model: type[M], *, params: Any = None, **path: str) -> list[M]:
        return _parse_all(model, self._records(endpoint(name), params=params, **path))

    def _one(self, name: str, model: type[M], **path: str) -> M:
        return _parse(model, self._call(endpoint(name), **path))

    def _map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` with at most ``concurrency`` calls in flight, in order."""
        if self.concurrency == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        return map_in_order(fn, items, self.concurrency)

    # -- resources ----------------------------------------------------------------------

    def version(self) -> str:
        """The server version: the cheap call that proves the key works."""
        return self._one("version", wire.Version).server_version

    def openapi_document(self, path: str = wire.SPEC_PATH) -> dict[str, Any]:
        """The tenant's own OpenAPI document (for ``check-innergy-spec --from-innergy``)."""
        document = self._request("GET", path)
        if not isinstance(document, dict):
            raise InnergyError(f"INNERGY {path} is not an OpenAPI document", method="GET", path=path)
        return document

    def list_materials(self) -> list[wire.Material]:
        return self.read_materials()[0]

    def read_materials(self) -> tuple[list[wire.Material], str]:
        """The whole library and the sha256 of the bytes it came in (the plan's input
        fingerprint, without serialising the records again); the cyclic GC paused while
        the records are decoded and built."""
        digest = hashlib.sha256()
        with paused_gc():
            items = self._records(endpoint("materials.list"), raw=digest)
            return _drain(wire.Material, items), digest.hexdigest()[:16]

    def read_library(self) -> tuple[LazyModels[InnergyMaterial], str]:
        """``read_materials`` as canonical records, for a plan: the same records, read
        without the wire model (``_canonical``)."""
        digest = hashlib.sha256()
        with paused_gc():
            items = self._records(endpoint("materials.list"), raw=digest)
            return _canonical(items), digest.hexdigest()[:16]

    def get_material(self, material_id: str) -> wire.Material:
        return self._one("materials.get", wire.Material, Id=material_id)

    def find_materials(self, materials: Iterable[wire.MaterialWrite]) -> dict[str, wire.Material]:
        """INNERGY's records for these materials, by ``_identity`` (external id, else name).

        INNERGY has no find-by-external-id call: the library is listed and matched here.
        """
        wanted = {_identity(m) for m in materials}
        found: dict[str, wire.Material] = {}
        for record in self.list_materials():
            for key in _identities(record):
                if key in wanted:
                    found.setdefault(key, record)
        return found

    def find_material_by_external_id(self, external_id: str) -> wire.Material | None:
        key = "x:" + sku_key(external_id)
        return next((m for m in self.list_materials() if key in _identities(m)), None)

    def create_materials(self, materials: Sequence[wire.MaterialWrite]) -> list[wire.Material]:
        """Create in batches; the created records, in the order given.

        Never creates twice: after an answer that leaves the outcome unknown, the
        records are looked up and only the missing ones are sent again.
        """
        batches = [materials[i : i + self.batch_size] for i in range(0, len(materials), self.batch_size)]
        return [record for batch in self._map(self._create_batch, batches) for record in batch]

    def _create_batch(self, batch: Sequence[wire.MaterialWrite]) -> list[wire.Material]:
        return self._create_once(
            endpoint("materials.create"), batch, wire.Material, _identity, self.find_materials
        )

    def _create_once(
        self,
        ep: Endpoint,
        items: Sequence[W],
        model: type[M],
        identity: Callable[[W], str],
        find: Callable[[list[W]], dict[str, M]],
    ) -> list[M]:
        """POST a batch create; after an unknown outcome, ``find`` what landed, send the rest."""
        done: dict[str, M] = {}
        pending = list(items)
        attempt = 0
        while pending:
            try:
                answer = self._once(ep.method, ep.path, body=[json_body(m) for m in pending])
            except _Retryable as exc:
                if attempt >= self.retries:
                    raise InnergyUnavailable(
                        f"INNERGY {ep.path}: creating {len(pending)} records failed after {attempt + 1} "
                        f"tries ({exc}); none of them was found created",
                        method=ep.method,
                        path=ep.path,
                        status=exc.status,
                    ) from None
                self._pause(attempt, exc)
                attempt += 1
                try:
                    found = find(pending)
                except InnergyUnavailable as lookup:
                    raise InnergyUnavailable(
                        f"INNERGY {ep.path}: creating {len(pending)} records got no answer ({exc}) and "
                        f"looking them up failed ({lookup}); a later run looks them up again before creating",
                        method=ep.method,
                        path=ep.path,
                        status=exc.status,
                    ) from None
                done.update(found)
                pending = [m for m in pending if identity(m) not in found]
                continue
            created = _parse_all(model, _unwrap(ep, answer))
            done.update(zip((identity(m) for m in pending), created, strict=False))
            pending = []
        return [done[identity(m)] for m in items]

    def edit_material(self, material_id: str, body: wire.MaterialWrite) -> wire.Material:
        """Replace a material with ``body`` (the whole record, never a partial one)."""
        ep = endpoint("materials.edit")
        return _parse(wire.Material, self._call(ep, body=json_body(body), Id=material_id))

    def deactivate_material(self, current: wire.Material) -> wire.Material:
        """Deactivation is an edit that sets Status to Inactive; nothing is deleted."""
        return self.edit_material(current.id, edit_body(current, {"active": False}))

    def list_projects(self) -> list[wire.Project]:
        return self._list("projects.list", wire.Project)

    def get_project(self, project_id: str) -> wire.Project:
        return self._one("projects.get", wire.Project, Id=project_id)

    def budget_products(self, project_id: str) -> list[wire.BudgetProduct]:
        return self._list("projects.budget_products", wire.BudgetProduct, Id=project_id)

    def project_work_orders(self, project_id: str) -> list[wire.WorkOrder]:
        return self._list("projects.work_orders", wire.WorkOrder, Id=project_id)

    def work_orders(self, status: str | None = None) -> list[wire.WorkOrder]:
        return self._list("work_orders.list", wire.WorkOrder, params={"status": status} if status else {})

    def workflows(self) -> list[wire.Workflow]:
        return self._list("workflows.list", wire.Workflow)

    def list_opportunities(self) -> list[wire.Opportunity]:
        return self._list("opportunities.list", wire.Opportunity)

    def create_opportunities(self, items: Sequence[wire.OpportunityCreate]) -> list[wire.OpportunityCreated]:
        """Create opportunities; after an unknown outcome, look up what landed first."""
        return self._create_once(
            endpoint("opportunities.create"),
            items,
            wire.OpportunityCreated,
            _opportunity_key,
            self._find_opportunities,
        )

    def _find_opportunities(self, items: list[wire.OpportunityCreate]) -> dict[str, wire.OpportunityCreated]:
        return dict(
            match_opportunities({_opportunity_key(o): o.name for o in items}, self.list_opportunities())
        )

    def import_bom(self, body: wire.BomImport) -> wire.ErrorBody:
        """Push BOM lines into one project (engineering sync); INNERGY's outcome. Sent once:
        INNERGY's BOM cannot be read back to tell whether a lost answer's import landed."""
        ep = endpoint("engineering_sync.import")
        answer = self._request(ep.method, ep.url(), body=json_body(body), once=True)
        return _parse(wire.ErrorBody, answer)

    def companies(self) -> list[wire.Company]:
        return self._list("companies.list", wire.Company)

    def purchase_orders(self, statuses: Sequence[str] = ()) -> list[wire.PurchaseOrder]:
        return self._list("purchase_orders.list", wire.PurchaseOrder, params={"statuses": list(statuses)})

    def purchase_order(self, number: str) -> wire.PurchaseOrder:
        """One purchase order by its Number (``PO-100002``), not by its Id."""
        return self._one("purchase_orders.get", wire.PurchaseOrder, Number=number)


def _identity(material: wire.MaterialWrite) -> str:
    """How a material is found again: its external id, else its (unique) name."""
    if material.external_id:
        return "x:" + sku_key(material.external_id)
    return "n:" + material.material_name.casefold()


def _opportunity_key(item: wire.OpportunityCreate) -> str:
    return item.external_identifier or item.name


def match_opportunities(
    wanted: Mapping[str, str | None], listed: Iterable[wire.Opportunity], taken: Collection[str] = ()
) -> dict[str, wire.Opportunity]:
    """Which listed opportunity each wanted one is (identifier -> its name, if known).

    The one echoing the identifier, under either name. Where INNERGY echoes no identifier
    on any opportunity, the first one of that name instead (ids in ``taken``, known to be
    other records, never): a lost answer must not lead to a second create.
    """
    listed = list(listed)
    by_identifier = {o.identifier: o for o in listed if o.identifier}
    by_name: dict[str, list[wire.Opportunity]] = {}
    for record in listed if not by_identifier else ():
        if record.id not in taken:
            by_name.setdefault(record.name.strip().casefold(), []).append(record)
    found: dict[str, wire.Opportunity] = {}
    for identifier, name in wanted.items():
        match = by_identifier.get(identifier)
        candidates = by_name.get((name or "").strip().casefold()) if match is None else None
        if candidates:
            match = candidates.pop(0)
        if match is not None:
            found[identifier] = match
    return found


def _identities(material: wire.MaterialWrite) -> set[str]:
    keys = {"n:" + material.material_name.casefold()}
    if material.external_id:
        keys.add("x:" + sku_key(material.external_id))
    return keys


def _unwrap(ep: Endpoint, body: Any) -> list[Any]:
    """The records inside an answer, by the endpoint's envelope."""
    if ep.envelope in ("items", "redirect"):
        items = body.get("Items") if isinstance(body, dict) else None
    elif ep.envelope == "data":
        items = body.get("data") if isinstance(body, dict) else None
    else:
        items = body
    if not isinstance(items, list):
        raise InnergyError(
            f"INNERGY {ep.method} {ep.path}: expected a {ep.envelope} list, got another shape",
            method=ep.method,
            path=ep.path,
        )
    return items


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InnergyError(
            f"INNERGY sent a {model.__name__} that does not fit: {where}: {first['msg']}"
        ) from None


def _parse_all(model: type[M], items: Iterable[Any]) -> list[M]:
    return [_parse(model, item) for item in items]


def _drain(model: type[M], items: list[Any]) -> list[M]:
    """``_parse_all`` that lets go of each decoded record once it is a model (``items`` is
    emptied): a 50,000-record listing never holds both whole, a third of plan's peak memory."""
    items.reverse()
    parsed = []
    while items:
        parsed.append(_parse(model, items.pop()))
    return parsed


_LISTED = list[wire.ListedMaterial]

_TIMES = TypeAdapter(list[datetime | None])
"""Times parsed the wire model's way (pydantic), in one call per chunk."""
_CHUNK = 2_000


def _canonical(items: list[Any]) -> LazyModels[InnergyMaterial]:
    """A listing's records as canonical ones, a chunk at a time (``items`` is emptied, each
    chunk's decoded records let go of once converted, as ``_drain`` does). Held as their
    values: a plan builds models only for the records its changes name (``LazyModels``).

    A chunk goes through ``wire.ListedMaterial``; one it refuses, or that holds a time the
    wire model would not take, a number that is not finite or a field under its attribute
    name (``description``), goes through ``wire.Material``
    as before, which gives the same records or INNERGY's error in the same words."""
    items.reverse()
    values: list[Mapping[str, Any]] = []
    while items:
        chunk = items[-_CHUNK:]
        del items[-_CHUNK:]
        chunk.reverse()
        listed: Sequence[Mapping[str, Any]] | None
        try:
            listed = _listed(chunk)
        except (msgspec.ValidationError, ValidationError):
            listed = None
        if listed is None:
            listed = field_values([to_canonical(record) for record in _parse_all(wire.Material, chunk)])
        values += listed
    return LazyModels(InnergyMaterial, values, InnergyMaterial.from_valid)


_ATTRIBUTE_NAMES = frozenset(
    name for name, info in wire.Material.model_fields.items() if info.alias and info.alias != name
)
"""``wire.Material``'s attribute names, which it also reads a field by (``populate_by_name``)."""


def _listed(chunk: list[Any]) -> list[dict[str, Any]] | None:
    """The chunk's records' canonical values (``InnergyMaterial``'s fields, every one)
    by ``wire.ListedMaterial``; ``None`` where only the wire model
    reads the chunk as INNERGY meant it (raises what the two type checks refuse)."""
    if any(not _ATTRIBUTE_NAMES.isdisjoint(record) for record in chunk if isinstance(record, dict)):
        return None  # a field under its attribute name: only the wire model reads those
    listed = msgspec.convert(chunk, _LISTED)
    times = iter(_TIMES.validate_python([t for r in listed for t in (r.created_on, r.modified_on)]))
    numbers = [
        n for r in listed for n in (r.cost.value if r.cost else None, r.margin, r.weight) if n is not None
    ]
    if not all(map(Decimal.is_finite, numbers)):
        return None  # the wire model refuses NaN and Infinity, in its own words
    records = []
    for record, created_on, modified_on in zip(listed, times, times, strict=False):
        values = msgspec.structs.asdict(record)
        values["cost"] = record.cost.value if record.cost else None
        values["active"] = values.pop("status") == "Active"
        values["created_on"], values["modified_on"] = created_on, modified_on
        records.append(values)
    return records


def _messages(data: Any) -> list[str]:
    if isinstance(data, dict):
        found = data.get("Messages") or data.get("messages") or data.get("Message") or []
        return [str(m) for m in (found if isinstance(found, list) else [found])]
    return []


def check_connection(base_url: str, api_key: str, **options: Any) -> str:
    """INNERGY's server version, or an ``InnergyError`` that says what to check."""
    with InnergyClient(base_url, api_key, retries=options.pop("retries", 2), **options) as client:
        return client.version()
