"""Batch and transaction Bundles posted to the base URL; every entry is routed like any request.

An entry's method and url become a FhirRequest (its resource, as a Python value, the body; its
own ifMatch, ifNoneMatch, ifNoneExist and ifModifiedSince the headers; who asks and the Prefer and
break-the-glass headers come from the Bundle's request) that the routing table answers as it
answers HTTP (routes.Api.dispatch, FHIR interactions only); the Result becomes the entry's
response. A batch runs its entries independently (one entry's failure is that entry's response),
in the order given, or, on a server in strict mode, in a shuffled order (FHIR promises no order:
a client must not make one entry depend on another); the responses keep the request's order. A
transaction runs them in the order FHIR prescribes (DELETE, POST, PUT/PATCH, GET) in one SQLite
transaction, and either all succeed or none is kept. Transactions resolve ``urn:uuid:`` full URLs
and conditional references (``Patient?identifier=..``) to the ids the server assigns, as Synthea
output needs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mock_epj import audit, search
from mock_epj.context import Context, FhirRequest, Result, path_segments
from mock_epj.errors import FhirError, bad_request, not_found
from mock_epj.interactions import FhirService
from mock_epj.searchparams import RESOURCES
from mock_epj.store import new_id

Dispatch = Callable[[Context, FhirRequest], Result]

# The conditional headers an entry may carry in entry.request (FHIR names -> HTTP names).
_ENTRY_HEADERS = {"ifMatch": "if-match", "ifNoneMatch": "if-none-match",
                  "ifNoneExist": "if-none-exist", "ifModifiedSince": "if-modified-since"}
_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
_RESPONSE_HEADERS = (("Location", "location"), ("ETag", "etag"), ("Last-Modified", "lastModified"))
_SHUFFLE = random.Random()  # batch order on a strict server (tests see its effect, not its values)


def shuffled_order(count: int, rng: random.Random = _SHUFFLE) -> list[int]:
    """The indexes ``0..count-1`` in a random order that is never the given one (when there are
    two or more): a strict server's batch runs no entry in request order by chance."""
    order = list(range(count))
    if count < 2:
        return order
    rng.shuffle(order)
    if order == sorted(order):
        order = order[1:] + order[:1]
    return order


def process(service: FhirService, dispatch: Dispatch, ctx: Context, bundle: Any) -> Result:
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
        order = shuffled_order(len(entries)) if ctx.conformant else range(len(entries))
        answered = {index: _batch_entry(service, dispatch, ctx, entries[index]) for index in order}
        responses = [answered[index] for index in range(len(entries))]
    else:
        responses = _transaction(service, dispatch, ctx, entries)
    return Result(200, {"resourceType": "Bundle", "type": f"{kind}-response", "entry": responses})


def entry_request(entry: dict[str, Any], base: str) -> FhirRequest:
    """The request a (checked) entry stands for; an absolute url must be below ``base``."""
    request = entry["request"]
    url: str = request["url"]
    if urlsplit(url).scheme:
        if url != base and not url.startswith((base + "/", base + "?")):
            raise not_found(f"{url} is not on this server (its base is {base})")
        url = url[len(base):]
    parts = urlsplit(url)
    headers = {name: request[key] for key, name in _ENTRY_HEADERS.items() if isinstance(request.get(key), str)}
    return FhirRequest(request["method"], path_segments(parts.path),
                       parse_qsl(parts.query, keep_blank_values=True), headers, entry.get("resource"))


def _batch_entry(service: FhirService, dispatch: Dispatch, ctx: Context,
                 entry: dict[str, Any]) -> dict[str, Any]:
    try:
        return _response(_run(service, dispatch, ctx, entry))
    except FhirError as error:
        return {"response": {"status": _status(error.status), "outcome": error.outcome()}}


def _transaction(service: FhirService, dispatch: Dispatch, ctx: Context,
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
                    results[index] = _response(_run(service, dispatch, ctx, entry, ids.get(
                        entries[index].get("fullUrl", ""))))
                except FhirError as error:
                    error.diagnostics = f"Bundle.entry[{index}]: {error.diagnostics}"
                    raise
    except FhirError:
        # Nothing of the transaction was kept, but a denial happened all the same: its AuditEvent
        # stays (they are written when the request ends, outside the rolled-back transaction).
        ctx.audits[audits_before:] = [event for event in ctx.audits[audits_before:]
                                      if event["outcome"] != audit.OUTCOME_SUCCESS]
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
                existing = service.conditional_match(ctx, type_, request["ifNoneExist"])
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
            request = search.parse(type_, parse_qsl(query), strict=True, extras=not ctx.conformant)
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


def _run(service: FhirService, dispatch: Dispatch, ctx: Context, entry: dict[str, Any],
         assigned: str | None = None) -> Result:
    request = entry_request(entry, ctx.base)
    if request.body is not None:
        request.body = resolve_conditional_references(service, ctx, request.body)
    if assigned and request.method == "POST":
        request.assigned_id = assigned.split("/", 1)[1]
    return dispatch(ctx, request)


def _status(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def _response(result: Result) -> dict[str, Any]:
    """The entry of the response Bundle; the resource stays as the interaction gave it."""
    response: dict[str, Any] = {"status": _status(result.status)}
    response.update((element, result.headers[header]) for header, element in _RESPONSE_HEADERS
                    if header in result.headers)
    out: dict[str, Any] = {"response": response}
    if result.body is not None:
        out["resource"] = result.body
    return out
