"""Our wire contract against an OpenAPI document: generate one, or check one.

``openapi_document`` renders ``wire.ENDPOINTS`` as OpenAPI 3 (the sandbox serves it).
``check_spec`` compares the contract with INNERGY's own document (OpenAPI 2 or 3) and
says, per endpoint and field, what matches, what is missing, what seems named
differently (case-insensitive and near-name matching), what the document requires that
we never send, and where an envelope differs. Anything we rely on that is missing makes
the report not ``ok``, except a field the wire module marks assumed: that one is listed
as ``assumed`` (we send or read it on our own guess, and work without it).
"""

from __future__ import annotations

import difflib
import json
import re
import types
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel

from canonical.errors import SpecError
from innergy_client import wire
from innergy_client.wire import Endpoint

__all__ = ["Finding", "SpecReport", "check_spec", "load_spec", "openapi_document"]

Shape = tuple[Any, ...]
"""A JSON type: ``("string", format)``, ``("number",)``, ``("object", Model)``, ``("array", Shape)``."""

_PRIMITIVES: dict[Any, Shape] = {
    str: ("string", None),
    Decimal: ("number",),
    float: ("number",),
    int: ("integer",),
    bool: ("boolean",),
    datetime: ("string", "date-time"),
    date: ("string", "date"),
}


def _shape(annotation: Any) -> Shape:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return _shape(next(a for a in get_args(annotation) if a is not type(None)))
    if origin is Literal:
        return ("string", None)
    if origin is list:
        return ("array", _shape(get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("object", annotation)
    return _PRIMITIVES[annotation]


def _fields(model: type[BaseModel]) -> dict[str, tuple[Shape, bool, bool]]:
    """A model's wire fields: alias -> (shape, required, assumed)."""
    return {
        info.alias or name: (_shape(info.annotation), info.is_required(), wire.is_assumed(info))
        for name, info in model.model_fields.items()
    }


# -- generation -------------------------------------------------------------------------


def openapi_document(server_url: str = "") -> dict[str, Any]:
    """The contract as an OpenAPI 3.0 document (what the sandbox serves)."""
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        if model.__name__ not in schemas:
            schemas[model.__name__] = {}
            props = {alias: schema_of(shape) for alias, (shape, *_) in _fields(model).items()}
            required = [alias for alias, (_, req, _) in _fields(model).items() if req]
            schemas[model.__name__] = {"type": "object", "properties": props, "required": required}
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def schema_of(shape: Shape) -> dict[str, Any]:
        if shape[0] == "object":
            return ref(shape[1])
        if shape[0] == "array":
            return {"type": "array", "items": schema_of(shape[1])}
        return {"type": shape[0], **({"format": shape[1]} if len(shape) > 1 and shape[1] else {})}

    paths: dict[str, Any] = {}
    for ep in wire.ENDPOINTS:
        params = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in re.findall(r"\{(\w+)\}", ep.path)
        ] + [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ep.query]
        operation: dict[str, Any] = {"operationId": ep.name, "parameters": params}
        if ep.request is not None:
            body = ref(ep.request)
            if ep.request_array:
                body = {"type": "array", "items": body}
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if ep.envelope == "redirect":
            operation["responses"] = {
                "302": {"description": "Redirect to a gzip blob of {CreateDate, Items}"}
            }
        else:
            answer = _envelope_schema(ep.envelope, ref(ep.response) if ep.response else {})
            operation["responses"] = {
                "200": {"description": "OK", "content": {"application/json": {"schema": answer}}}
            }
        paths.setdefault(ep.path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "INNERGY API (matsync sandbox)", "version": "sandbox"},
        "servers": [{"url": server_url or "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"ApiKey": _API_KEY_SCHEME}},
        "security": [{"ApiKey": []}],
    }


_API_KEY_SCHEME = {"type": "apiKey", "in": "header", "name": "Api-Key"}


def _envelope_schema(envelope: str, item: dict[str, Any]) -> dict[str, Any]:
    array = {"type": "array", "items": item}
    if envelope == "items":
        return {
            "type": "object",
            "properties": {"CreateDate": {"type": "string", "format": "date-time"}, "Items": array},
        }
    if envelope == "data":
        return {"type": "object", "properties": {"data": array, "totalCount": {"type": "integer"}}}
    return array if envelope == "array" else item  # fmt: skip


# -- checking ---------------------------------------------------------------------------

Status = Literal["match", "missing", "assumed", "renamed", "type", "required", "envelope", "unused"]


@dataclass(frozen=True)
class Finding:
    """One comparison: ``status`` is match, missing, assumed (missing, and only our
    assumption: not blocking), renamed (a guess is in ``other``), type (types differ),
    required (the document requires a field we never send), envelope (the wrapping
    differs) or unused (the document has it, we do not read it)."""

    endpoint: str
    part: Literal["path", "request", "response"]
    status: Status
    field: str | None = None
    other: str | None = None
    detail: str = ""
    blocking: bool = False


@dataclass
class SpecReport:
    source: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.status] = counts.get(f.status, 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "spec": self.source,
            "counts": self.counts(),
            "blocking": sum(f.blocking for f in self.findings),
            "findings": [asdict(f) for f in self.findings],
        }

    def lines(self) -> list[str]:
        """Per endpoint: a verdict, the matching fields in one line, each other finding."""
        out = [f"INNERGY wire contract vs {self.source}"]
        for ep in wire.ENDPOINTS:
            name = f"{ep.method} {ep.path}"
            mine = [f for f in self.findings if f.endpoint == name]
            issues = [f for f in mine if f.status != "match"]
            verdict = "FAIL" if any(f.blocking for f in mine) else ("note" if issues else "ok")
            out.append(f"[{verdict}] {name}{'' if ep.relied_on else ' (optional)'}")
            for part in ("request", "response"):
                matched = [f.field or "" for f in mine if f.status == "match" and f.part == part]
                if matched:
                    out.append(f"    {part} matches: {', '.join(matched)}")
            out.extend(
                f"    {f.part} {f.status}{' ' + f.field if f.field else ''}: {f.detail}" for f in issues
            )
        verdict = "everything we rely on is there" if self.ok else "something we rely on is missing"
        out.append(f"{verdict}: " + ", ".join(f"{n} {k}" for k, n in sorted(self.counts().items())))
        return out


def load_spec(path: Path) -> dict[str, Any]:
    """An OpenAPI 2 or 3 document from a JSON or YAML file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI document {str(path)!r}: {exc.strerror}") from exc
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            raise SpecError(f"{str(path)!r} is neither JSON nor YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise SpecError(f"{str(path)!r} is not an OpenAPI document (no 'paths')")
    if not (str(doc.get("swagger", "")).startswith("2") or str(doc.get("openapi", "")).startswith("3")):
        raise SpecError(f"{str(path)!r} is neither OpenAPI 2 ('swagger: 2.0') nor OpenAPI 3")
    return doc


class _Doc:
    """An OpenAPI document with references resolved and its version's differences hidden."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.v2 = "swagger" in doc
        prefix = (
            doc.get("basePath", "")
            if self.v2
            else urlsplit((doc.get("servers") or [{}])[0].get("url", "")).path
        )
        prefix = prefix.rstrip("/")
        self.paths = {
            _norm(prefix + p): (prefix + p, ops) for p, ops in doc["paths"].items() if isinstance(ops, dict)
        }

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        if not isinstance(schema, dict) or depth > 30:
            return {}
        if "$ref" in schema:
            node: Any = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = (
                    node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
                )
            return self.resolve(node, depth + 1)
        for key in ("anyOf", "oneOf"):
            options = [s for s in schema.get(key, []) if self.resolve(s, depth + 1).get("type") != "null"]
            if options:
                return self.resolve(options[0], depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                sub = self.resolve(part, depth + 1)
                merged["properties"].update(sub.get("properties", {}))
                merged["required"] += sub.get("required", [])
            return merged
        return schema

    def json_type(self, schema: Any) -> str | None:
        schema = self.resolve(schema)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        return kind or ("object" if "properties" in schema else None)

    def request_schema(self, op: dict[str, Any]) -> dict[str, Any] | None:
        if self.v2:
            body = next((p for p in op.get("parameters", []) if self.resolve(p).get("in") == "body"), None)
            return self.resolve(body).get("schema") if body else None
        content = self.resolve(op.get("requestBody")).get("content", {})
        return _json_content(content)

    def response(self, op: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        """The first success or redirect status and its schema."""
        responses = op.get("responses", {})
        status = next((s for s in sorted(map(str, responses)) if s[:1] in "23"), None)
        if status is None:
            return None, None
        answer = self.resolve(responses.get(status) or responses.get(int(status)))
        schema = answer.get("schema") if self.v2 else _json_content(answer.get("content", {}))
        return status, schema


def _json_content(content: dict[str, Any]) -> dict[str, Any] | None:
    media = next((m for m in content if "json" in m), next(iter(content), None))
    return content[media].get("schema") if media else None


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/").casefold()


def _guess(name: str, candidates: list[str]) -> str | None:
    by_fold = {c.casefold(): c for c in candidates}
    if name.casefold() in by_fold:
        return by_fold[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(by_fold), n=1, cutoff=0.75)
    return by_fold[close[0]] if close else None


def _envelope_of(doc: _Doc, schema: Any) -> tuple[str, Any]:
    """The envelope a response schema shows, and the schema of one record."""
    resolved = doc.resolve(schema)
    if doc.json_type(resolved) == "array":
        return "array", resolved.get("items")
    props = resolved.get("properties", {})
    keys = {k.casefold(): k for k in props}
    if "items" in keys and doc.json_type(props[keys["items"]]) == "array":
        return "items", doc.resolve(props[keys["items"]]).get("items")
    if "data" in keys and doc.json_type(props[keys["data"]]) == "array":
        return "data", doc.resolve(props[keys["data"]]).get("items")
    return "object", resolved


class _Checker:
    def __init__(self, doc: _Doc, ep: Endpoint) -> None:
        self.doc, self.ep = doc, ep
        self.name = f"{ep.method} {ep.path}"

    def finding(self, part: Any, status: Status, fld: str | None = None, **kw: Any) -> Finding:
        blocking = self.ep.relied_on and status not in ("match", "unused", "assumed")
        return Finding(self.name, part, status, fld, blocking=blocking, **kw)

    def run(self) -> Iterator[Finding]:
        found = self.doc.paths.get(_norm(self.ep.path))
        if found is None:
            guess = difflib.get_close_matches(_norm(self.ep.path), list(self.doc.paths), n=1, cutoff=0.75)
            if guess:
                other = self.doc.paths[guess[0]][0]
                yield self.finding(
                    "path", "renamed", other=other, detail=f"not in the document; is it {other}?"
                )
            else:
                yield self.finding("path", "missing", detail="the document has no such path")
            return
        op = found[1].get(self.ep.method.lower())
        if not isinstance(op, dict):
            verbs = ", ".join(v.upper() for v in found[1] if v in {"get", "post", "put", "patch", "delete"})
            yield self.finding(
                "path", "missing", detail=f"the path has no {self.ep.method} (it has {verbs or 'none'})"
            )
            return
        yield self.finding("path", "match")
        if self.ep.request is not None:
            yield from self.request(self.doc.request_schema(op))
        yield from self.response(*self.doc.response(op))

    def request(self, schema: Any) -> Iterator[Finding]:
        assert self.ep.request is not None
        if schema is None:
            yield self.finding("request", "missing", detail="the document takes no JSON body here")
            return
        if self.ep.request_array:
            if self.doc.json_type(schema) != "array":
                yield self.finding(
                    "request", "envelope", detail="we send an array; the document takes one object"
                )
                return
            schema = self.doc.resolve(schema).get("items")
        yield from self.fields("request", self.ep.request, schema, "")

    def response(self, status: str | None, schema: Any) -> Iterator[Finding]:
        if self.ep.envelope == "redirect":
            if status is None or not status.startswith("3"):
                yield self.finding(
                    "response",
                    "envelope",
                    detail=f"we expect a redirect to a blob; the document answers {status}",
                )
            return
        if schema is None or self.ep.response is None:
            if schema is None and self.ep.response is not None:
                yield self.finding(
                    "response", "missing", detail=f"the document shows no JSON answer ({status})"
                )
            return
        envelope, item = _envelope_of(self.doc, schema)
        if envelope != self.ep.envelope:
            yield self.finding(
                "response",
                "envelope",
                detail=f"we expect {self.ep.envelope!r}; the document shows {envelope!r}",
            )
            return
        yield from self.fields("response", self.ep.response, item, "")

    def fields(self, part: str, model: type[BaseModel], schema: Any, prefix: str) -> Iterator[Finding]:
        resolved = self.doc.resolve(schema)
        props: dict[str, Any] = resolved.get("properties", {})
        claimed: set[str] = set()
        for alias, (shape, _required, assumed) in _fields(model).items():
            name = prefix + alias
            if alias in props:
                other = alias
            else:
                guess = _guess(alias, [p for p in props if p not in _fields(model)])
                if guess is None and assumed:
                    detail = "the document has no such field; ours is an assumption (not blocking)"
                    yield self.finding(part, "assumed", name, detail=detail)
                    continue
                if guess is None:
                    yield self.finding(part, "missing", name, detail="the document has no such field")
                    continue
                other = guess
                yield self.finding(
                    part, "renamed", name, other=prefix + guess, detail=f"the document calls it {guess}"
                )
            claimed.add(other)
            yield from self.typed(part, name, shape, props[other], alias == other)
        required = set(resolved.get("required", [])) - claimed
        for extra in props:
            if extra in claimed:
                continue
            if part == "request" and extra in required:
                yield self.finding(
                    part, "required", prefix + extra, detail="the document requires it; we never send it"
                )
            elif part == "response":
                yield self.finding(
                    part, "unused", prefix + extra, detail="the document has it; we do not read it"
                )

    def typed(self, part: str, name: str, shape: Shape, schema: Any, exact: bool) -> Iterator[Finding]:
        theirs = self.doc.json_type(schema)
        ours = shape[0]
        if theirs is not None and theirs != ours and {theirs, ours} != {"number", "integer"}:
            yield self.finding(part, "type", name, detail=f"we use {ours}; the document says {theirs}")
        elif ours == "object" and theirs in ("object", None):
            yield from self.fields(part, shape[1], schema, name + ".")
        elif ours == "array" and shape[1][0] == "object":
            yield from self.fields(part, shape[1][1], self.doc.resolve(schema).get("items"), name + "[].")
        elif exact:
            yield self.finding(part, "match", name)


def check_spec(doc: dict[str, Any], source: str = "the document") -> SpecReport:
    """Compare ``wire.ENDPOINTS`` with an OpenAPI document (as loaded by ``load_spec``)."""
    parsed = _Doc(doc)
    report = SpecReport(source)
    for ep in wire.ENDPOINTS:
        report.findings.extend(_Checker(parsed, ep).run())
    return report
