"""Batch and transaction Bundles posted to the base URL.

A batch runs its entries independently (one entry's failure is that entry's response); a
transaction runs all of them in one SQLite transaction and either all succeed or none is kept.
Transactions resolve ``urn:uuid:`` full URLs and conditional references (``Patient?identifier=..``)
to the ids the server assigns, as Synthea output needs.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mock_epj import search
from mock_epj.errors import FhirError, bad_request
from mock_epj.interactions import Context, FhirService, Result
from mock_epj.searchparams import RESOURCES
from mock_epj.store import new_id

_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


def process(service: FhirService, ctx: Context, bundle: Any) -> Result:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise bad_request("POST to the base URL takes a Bundle of type batch or transaction",
                          "structure")
    kind = bundle.get("type")
    entries = bundle.get("entry", [])
    if kind not in ("batch", "transaction"):
        raise bad_request(f"Bundle.type must be batch or transaction, not {kind!r}", "structure")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise bad_request("Bundle.entry must be a list of objects", "structure")
    for index, entry in enumerate(entries):
        request = entry.get("request")
        if not isinstance(request, dict) or not isinstance(request.get("url"), str) \
                or request.get("method") not in _ORDER:
            raise bad_request(f"Bundle.entry[{index}].request needs a method and a url", "structure")
    if kind == "batch":
        responses = [_batch_entry(service, ctx, entry) for entry in entries]
    else:
        responses = _transaction(service, ctx, entries)
    body = json.dumps({"resourceType": "Bundle", "type": f"{kind}-response", "entry": responses},
                      ensure_ascii=False, separators=(",", ":"))
    return Result(200, body)


def _batch_entry(service: FhirService, ctx: Context, entry: dict[str, Any]) -> dict[str, Any]:
    try:
        return _response(_run(service, ctx, entry))
    except FhirError as error:
        return {"response": {"status": _status(error.status), "outcome": error.outcome()}}


def _transaction(service: FhirService, ctx: Context,
                 entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = sorted(range(len(entries)), key=lambda i: _ORDER[entries[i]["request"]["method"]])
    results: dict[int, dict[str, Any]] = {}
    audits_before = len(ctx.audits)
    try:
        with service.store.write():
            ids = _assign_ids(service, ctx, entries)
            for index in order:
                entry = _rewrite(entries[index], ids)
                try:
                    results[index] = _response(_run(service, ctx, entry, ids.get(
                        entries[index].get("fullUrl", ""))))
                except FhirError as error:
                    error.diagnostics = f"Bundle.entry[{index}]: {error.diagnostics}"
                    raise
    except FhirError:
        del ctx.audits[audits_before:]  # nothing of the transaction was kept
        raise
    return [results[i] for i in range(len(entries))]


def _assign_ids(service: FhirService, ctx: Context, entries: list[dict[str, Any]]) -> dict[str, str]:
    """fullUrl -> ``Type/id`` for every entry that creates or names a resource."""
    ids: dict[str, str] = {}
    for entry in entries:
        full_url = entry.get("fullUrl")
        request = entry["request"]
        resource = entry.get("resource")
        if not isinstance(full_url, str) or not isinstance(resource, dict):
            continue
        type_ = resource.get("resourceType")
        if request["method"] == "POST" and isinstance(type_, str) and type_ in RESOURCES:
            existing = None
            if request.get("ifNoneExist"):
                existing = service._conditional_match(ctx, type_, request["ifNoneExist"])
            ids[full_url] = f"{type_}/{existing.id if existing else new_id()}"
        elif request["method"] == "PUT":
            ids[full_url] = request["url"].split("?")[0].strip("/")
    return ids


def _rewrite(entry: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    if not ids:
        return entry

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            ref = out.get("reference")
            if isinstance(ref, str) and ref in ids:
                out["reference"] = ids[ref]
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return {**entry, "resource": walk(entry.get("resource"))} if "resource" in entry else entry


def resolve_conditional_references(service: FhirService, ctx: Context, node: Any) -> Any:
    """Replace references such as ``Practitioner?identifier=x|1`` by the one resource they match."""
    if isinstance(node, dict):
        out = {k: resolve_conditional_references(service, ctx, v) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and "?" in ref and not ref.startswith("urn:"):
            type_, _, query = ref.partition("?")
            service.check_type(type_)
            request = search.parse(type_, parse_qsl(query), strict=True)
            request.count = 2
            total, page = service.find(ctx, request)
            if total != 1:
                raise FhirError(412, "multiple-matches" if total else "not-found",
                                f"The conditional reference {ref} matches {total} resources")
            out["reference"] = f"{type_}/{page[0].id}"
        return out
    if isinstance(node, list):
        return [resolve_conditional_references(service, ctx, v) for v in node]
    return node


def _run(service: FhirService, ctx: Context, entry: dict[str, Any],
         assigned: str | None = None) -> Result:
    request = entry["request"]
    method = request["method"]
    url = urlsplit(request["url"])
    path = url.path
    if path.startswith(ctx.base):
        path = path[len(ctx.base):]
    parts = [p for p in path.split("/") if p]
    params = parse_qsl(url.query, keep_blank_values=True)
    resource = entry.get("resource")
    if resource is not None:
        resource = resolve_conditional_references(service, ctx, resource)
    if method == "GET" and len(parts) == 1:
        return service.search(ctx, parts[0], params)
    if method == "GET" and len(parts) == 2:
        return service.read(ctx, parts[0], parts[1])
    if method == "GET" and len(parts) == 4 and parts[2] == "_history":
        return service.vread(ctx, parts[0], parts[1], parts[3])
    if method == "POST" and len(parts) == 1:
        assigned_id = assigned.split("/", 1)[1] if assigned else None
        return service.create(ctx, parts[0], resource, request.get("ifNoneExist"), assigned_id)
    if method == "PUT" and len(parts) == 2:
        return service.update(ctx, parts[0], parts[1], resource, request.get("ifMatch"))
    if method == "DELETE" and len(parts) == 2:
        return service.delete(ctx, parts[0], parts[1])
    raise FhirError(405, "not-supported", f"{method} {request['url']} is not supported in a Bundle")


def _status(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def _response(result: Result) -> dict[str, Any]:
    response: dict[str, Any] = {"status": _status(result.status)}
    if "Location" in result.headers:
        response["location"] = result.headers["Location"]
    if "ETag" in result.headers:
        response["etag"] = result.headers["ETag"]
    if "Last-Modified" in result.headers:
        response["lastModified"] = result.headers["Last-Modified"]
    out: dict[str, Any] = {"response": response}
    if result.body:
        out["resource"] = json.loads(result.body)
    return out
