"""The FHIR RESTful interactions (read, vread, search, create, update, delete) with access rules.

Each interaction takes a ``Context`` (who asks, from where, with which preferences) and returns a
``Result`` (status, a JSON value, headers) or raises ``FhirError``. The routing table in routes.py
calls them for plain HTTP requests and for batch and transaction entries (bundles.py) alike;
access and audit go through the Guard, searches through Searches, write rules through
write_rules.py, and SQL through the Store.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from mock_epj import audit, search, visits
from mock_epj.access import AccessControl
from mock_epj.context import Context, Result
from mock_epj.errors import FhirError, bad_request, forbidden, not_found
from mock_epj.guard import Guard, subset
from mock_epj.search import SearchRequest
from mock_epj.searchparams import RESOURCES
from mock_epj.searchset import Searches
from mock_epj.store import ACCESS_TYPES, Store, Stored, VersionConflict, new_id, version_of
from mock_epj.terminology import EXT_LAST_MODIFIED_BY
from mock_epj.validation import check_resource
from mock_epj.wire import Fragment
from mock_epj.write_rules import (
    check_note_change,
    check_workflow_change,
    is_acknowledgement,
    prepare,
    refuse_administrative,
    refuse_provenance_change,
    require_writer,
)

_IF_MATCH = re.compile(r'^(?:W/)?"(\d+)"$')


def resource_headers(stored: Stored, base: str) -> dict[str, str]:
    return {
        "ETag": stored.etag,
        "Last-Modified": stored.last_updated,
        "Location": f"{base}/{stored.type}/{stored.id}/_history/{stored.version}",
    }


class FhirService:
    """Implements the interactions over a Store, enforcing access and writing audit events."""

    def __init__(self, store: Store, access: AccessControl) -> None:
        self.store = store
        self.access = access
        self.guard = Guard(store, access)
        self.searches = Searches(store, self.guard)

    @staticmethod
    def check_type(type_: str) -> None:
        if type_ not in RESOURCES:
            raise not_found(f"Unknown or unsupported resource type '{type_}'")

    def flush_audits(self, ctx: Context) -> None:
        self.guard.flush(ctx)

    # ------------------------------------------------------------ read

    def read(self, ctx: Context, type_: str, id_: str) -> Result:
        self.check_type(type_)
        stored = self.store.read(type_, id_)
        if stored is None:
            raise not_found(f"{type_}/{id_} is not known")
        if stored.deleted:
            raise FhirError(410, "deleted", f"{type_}/{id_} has been deleted")
        full = self.guard.authorize_row(ctx, stored, "read")
        if full:
            self.guard.audit_row(ctx, "read", stored)
        body = Fragment(stored.body) if full else subset(stored.body)
        return Result(200, body, resource_headers(stored, ctx.base))

    def vread(self, ctx: Context, type_: str, id_: str, version: str) -> Result:
        self.check_type(type_)
        stored = self.store.read(type_, id_)
        if stored is None or search.whole_number(version) is None:
            raise not_found(f"{type_}/{id_}/_history/{version} is not known")
        full = self.guard.authorize_row(ctx, stored, "vread")
        text = self.store.vread(type_, id_, search.whole_number(version) or 0)
        if text is None:
            raise not_found(f"{type_}/{id_} has no version {version}")
        # That version is authorized by what it was: its own patient (a note moved between
        # patients) and its own confidentiality, as well as the current version's.
        old = version_of(stored, text)
        if old is not stored:
            full = self.guard.authorize_row(ctx, old, "vread") and full
        self.guard.audit_row(ctx, "vread", old)
        if old.patient != stored.patient:
            self.guard.audit_row(ctx, "vread", stored)
        return Result(200, Fragment(text) if full else subset(text), {"ETag": f'W/"{version}"'})

    # ------------------------------------------------------------ search

    def search(self, ctx: Context, type_: str, params: list[tuple[str, str]]) -> Result:
        self.check_type(type_)
        return self.searches.search(ctx, type_, params)

    def find(self, ctx: Context, request: SearchRequest) -> tuple[int, list[Stored]]:
        """Run a parsed search with the user's access applied; returns (total, page)."""
        return self.searches.find(ctx, request)


    # ------------------------------------------------------------ writes

    def create(self, ctx: Context, type_: str, resource: Any, if_none_exist: str | None = None,
               assigned_id: str | None = None) -> Result:
        self.check_type(type_)
        with self.guard.write_audited(ctx, "create", type_):
            refuse_administrative(type_)
            resource = dict(check_resource(resource, type_))
            with self.store.write():
                if if_none_exist:
                    existing = self.conditional_match(ctx, type_, if_none_exist)
                    if existing is not None:
                        self.guard.audit_row(ctx, "read", existing)
                        return self._written(ctx, existing, 200)
                resource["id"] = assigned_id or new_id()
                prepare(self.guard, ctx, resource)
                stored, _ = self.store.put(resource)
        self._changed(ctx, type_)
        if type_ == "Patient":
            ctx.created_patients.add(stored.id)
        self.guard.audit_write(ctx, "create", stored)
        return self._written(ctx, stored, 201)

    def conditional_match(self, ctx: Context, type_: str, query: str) -> Stored | None:
        """The one resource an If-None-Exist query matches, None when none does, else 412. A match
        the user may not read in full is a 403 (audited as a denial), never its body."""
        params = parse_qsl(query.lstrip("?"), keep_blank_values=True)
        request = search.parse(type_, params, strict=True, extras=not ctx.conformant)
        if not request.criteria:
            raise bad_request(f"If-None-Exist '{query}' names no search criteria")
        request.count = 2
        total, page = self.searches.find(ctx, request)
        if total > 1:
            raise FhirError(412, "duplicate",
                            f"If-None-Exist '{query}' matches {total} resources; expected at most one")
        if page and self.guard.visible(ctx, page[0]):
            return page[0]
        # Nothing the user may read matches. A query by identity (_id, identifier) names one
        # resource: when that exists out of the user's reach, creating a second copy is refused
        # (403, audited), and nothing of it is shown. Other queries are answered from what the
        # user may see only, so that a refusal tells nothing about other patients.
        identity = all(c.param.name in ("_id", "identifier") and c.modifier is None for c in request.criteria)
        hidden = page or (self.searches.find(ctx, request, unrestricted=True)[1] if identity else [])
        if hidden:
            self.guard.audit(ctx, "create", [hidden[0].patient] if hidden[0].patient else [],
                             what=f"{hidden[0].type}/{hidden[0].id}", query=f"{type_}?{query.lstrip('?')}",
                             outcome=audit.OUTCOME_DENIED,
                             outcome_text="If-None-Exist matched a resource the user may not read")
            raise forbidden(f"If-None-Exist '{query}' matches a resource you may not read")
        return None

    def update(self, ctx: Context, type_: str, id_: str, resource: Any,
               if_match: str | None = None) -> Result:
        self.check_type(type_)
        with self.guard.write_audited(ctx, "update", type_, id_):
            refuse_administrative(type_)
            refuse_provenance_change(type_)
            resource = dict(check_resource(resource, type_))
            if resource.get("id") != id_:
                raise bad_request(f"The id in the body ({resource.get('id')!r}) must match the URL ({id_})")
            expected = None
            if if_match is not None:
                match = _IF_MATCH.match(if_match.strip())
                if not match:
                    raise bad_request(f'If-Match must look like W/"3", not {if_match!r}')
                expected = int(match.group(1))
            with self.store.write():
                found = self.store.read(type_, id_)
                current = found if found is not None and not found.deleted else None
                acknowledgement = False
                before = None
                if current is not None:
                    self.guard.authorize_row(ctx, current, "update")
                    acknowledgement = is_acknowledgement(ctx, current, resource)
                    before = current.resource()
                    check_note_change(ctx, before, resource)
                prepare(self.guard, ctx, resource, acknowledgement, before)
                try:
                    stored, created = self.store.put(resource, expected_version=expected)
                except VersionConflict as conflict:
                    raise self._conflict(type_, id_, expected, conflict.current, named=not ctx.conformant) from None
                visit = self._visit(ctx, resource, before) if type_ == "Appointment" else None
        self._changed(ctx, type_)
        self.guard.audit_write(ctx, "create" if created else "update", stored)
        if visit is not None:
            self._changed(ctx, "Encounter")
            self.guard.audit_write(ctx, "update", visit)
        return self._written(ctx, stored, 201 if created else 200)

    def _visit(self, ctx: Context, appointment: dict[str, Any], before: dict[str, Any] | None) -> Stored | None:
        """Arrival registered (or undone): the visit's Encounter started (or entered in error),
        in the same transaction (visits.py). A mock extra: the app does not rely on it."""
        if before is None:
            return None
        existing = self.store.read("Encounter", visits.visit_id(str(appointment["id"])))
        visit = visits.visit_for(appointment, before.get("status"),
                                 existing.resource() if existing is not None and not existing.deleted else None)
        if visit is None:
            return None
        if not ctx.conformant:  # the mock's own stamp of who saved it; a strict server adds nothing
            me = {"reference": ctx.session.practitioner_ref, "display": ctx.session.name}
            visit["meta"] = {"extension": [{"url": EXT_LAST_MODIFIED_BY, "valueReference": me}]}
        return self.store.put(visit)[0]

    def _conflict(self, type_: str, id_: str, expected: int | None, current: int,
                  named: bool = True) -> FhirError:
        """412 for an update of a version that is not the current one. The mock names who saved
        the current version and when; a strict server (``named=False``) says only which version is
        current, as a plain FHIR server does (the client finds out the rest from standard data)."""
        stored = self.store.read(type_, id_)
        who = "someone"
        when = stored.last_updated if stored else "unknown time"
        if stored:
            for ext in stored.resource().get("meta", {}).get("extension", []):
                if ext.get("url") == EXT_LAST_MODIFIED_BY:
                    who = ext.get("valueReference", {}).get("display", who)
        if current == 0:
            return FhirError(412, "conflict", f"{type_}/{id_} does not exist (or was deleted)")
        if not named:
            return FhirError(412, "conflict", f"Version conflict on {type_}/{id_}: version {expected} is not"
                                              f" the current version", headers={"ETag": f'W/"{current}"'})
        return FhirError(
            412, "conflict",
            f"Version conflict on {type_}/{id_}: you edited version {expected}, but version"
            f" {current} was saved by {who} at {when}. Reload and apply your change again.",
            headers={"ETag": f'W/"{current}"'})

    def delete(self, ctx: Context, type_: str, id_: str) -> Result:
        self.check_type(type_)
        with self.guard.write_audited(ctx, "delete", type_, id_):
            refuse_administrative(type_)
            refuse_provenance_change(type_)
            with self.store.write():
                current = self.store.read(type_, id_)
                if current is None:
                    raise not_found(f"{type_}/{id_} is not known")
                if current.deleted:
                    return Result(204)
                self.guard.authorize_row(ctx, current, "delete")
                require_writer(ctx)
                check_note_change(ctx, current.resource(), None)
                check_workflow_change(current.resource(), None)
                self.store.delete(type_, id_)
        self._changed(ctx, type_)
        self.guard.audit_write(ctx, "delete", current)
        return Result(204)

    def _changed(self, ctx: Context, type_: str) -> None:
        """A write of what care relations are computed from: the request's grant is computed again."""
        if type_ in ACCESS_TYPES:
            self.guard.forget_grant(ctx)

    def _written(self, ctx: Context, stored: Stored, status: int) -> Result:
        headers = resource_headers(stored, ctx.base)
        if ctx.prefer_return == "minimal":
            return Result(status, None, headers)
        if ctx.prefer_return == "OperationOutcome":
            outcome = {"resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "informational",
                "diagnostics": f"{stored.type}/{stored.id} version {stored.version} stored"}]}
            return Result(status, outcome, headers)
        return Result(status, Fragment(stored.body), headers)


