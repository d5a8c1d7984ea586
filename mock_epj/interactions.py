"""The FHIR RESTful interactions (read, vread, search, create, update, delete) with access rules.

Each interaction takes a ``Context`` (who asks, from where, with which preferences) and returns a
``Result`` (status, JSON text, headers) or raises ``FhirError``. HTTP parsing lives in server.py;
batch and transaction Bundles (bundles.py) call these same functions entry by entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mock_epj import audit, search
from mock_epj.access import AccessControl, no_relation
from mock_epj.auth import Session
from mock_epj.errors import FhirError, bad_request, forbidden, not_found
from mock_epj.search import AccessClause, Include, SearchRequest
from mock_epj.searchparams import (
    AUDITOR_ONLY_TYPES,
    CLINICAL_TYPES,
    RESOURCES,
    SUBSETTED_TYPES,
    criteria_patients,
    index_rows,
    param_for,
    patient_of,
)
from mock_epj.store import Store, Stored, VersionConflict, new_id
from mock_epj.terminology import EXT_LAST_MODIFIED_BY, EXT_SIGNED_BY, EXT_SUBSCRIBER, SUBSETTED_TAG
from mock_epj.validation import check_resource

_IF_MATCH = re.compile(r'^(?:W/)?"(\d+)"$')
_ITERATE = ("_include:iterate", "_include:recurse")  # R4 name and its R3 predecessor
_MAX_ITERATIONS = 4  # how deep _include:iterate follows references
_ENCOUNTER_SUBSET = ("status", "class", "subject", "period", "location", "serviceProvider")
WRITER_ROLES = ("doctor", "nurse")


@dataclass
class Context:
    session: Session
    base: str  # e.g. http://127.0.0.1:8080/fhir
    break_glass_reason: str | None = None
    strict: bool = False
    prefer_return: str = "representation"
    audits: list[dict[str, Any]] = field(default_factory=list)
    emergency: dict[str, str] = field(default_factory=dict)  # patient id -> access expires
    # Patients this request registered itself (a transaction creating a patient and its record).
    created_patients: set[str] = field(default_factory=set)


@dataclass
class Result:
    status: int
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


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

    # ------------------------------------------------------------ access

    @staticmethod
    def check_type(type_: str) -> None:
        if type_ not in RESOURCES:
            raise not_found(f"Unknown or unsupported resource type '{type_}'")

    def _owns(self, ctx: Context, stored: Stored) -> bool:
        row = self.store.conn().execute(
            "SELECT 1 FROM idx_ref WHERE rid = ? AND param = '_owner' AND ref = ?",
            (stored.rid, ctx.session.practitioner_ref),
        ).fetchone()
        return row is not None

    def require_patient(self, ctx: Context, patient_id: str, interaction: str) -> None:
        """Allow access to one patient's record, by care relation or by break-the-glass."""
        grant = self.access.grant(ctx.session)
        if patient_id in ctx.created_patients:
            return
        if patient_id in grant.patients:
            if patient_id in grant.emergency:
                ctx.emergency[patient_id] = self.access.break_glass_expiry(ctx.session, patient_id) or ""
            return
        if ctx.break_glass_reason is not None:
            ctx.emergency[patient_id] = self.access.break_glass(
                ctx.session, patient_id, ctx.break_glass_reason)
            ctx.audits.append(self._audit(ctx, interaction, [patient_id],
                                          outcome_text="Break-the-glass access granted for 4 hours"))
            return
        error = no_relation(patient_id)
        ctx.audits.append(self._audit(ctx, interaction, [patient_id], outcome=audit.OUTCOME_DENIED,
                                      outcome_text="No care relation"))
        raise error

    def authorize_row(self, ctx: Context, stored: Stored, interaction: str) -> bool:
        """Raise unless the user may see this row; return False when only a subset may be shown."""
        if stored.type in AUDITOR_ONLY_TYPES:
            if ctx.session.role != "auditor":
                raise forbidden("Only auditors may read the audit log")
            return True
        definition = RESOURCES[stored.type]
        private = self._is_private_row(stored)
        if private or (stored.type in CLINICAL_TYPES and definition.owner_paths):
            if self._owns(ctx, stored):
                return True
            if private:
                raise not_found(f"{stored.type}/{stored.id} is not known")
        if stored.type in SUBSETTED_TYPES:
            return stored.patient is None or stored.patient in self.access.grant(ctx.session).patients
        if stored.type not in CLINICAL_TYPES:
            return True
        if stored.patient is None:
            if definition.owner_paths:
                raise forbidden(f"Only the people named in {stored.type}/{stored.id} may read it")
            return True
        self.require_patient(ctx, stored.patient, interaction)
        return True

    def _is_private_row(self, stored: Stored) -> bool:
        row = self.store.conn().execute("SELECT private FROM resources WHERE rid = ?",
                                        (stored.rid,)).fetchone()
        return bool(row and row[0])

    def _audit(self, ctx: Context, interaction: str, patients: list[str], *, what: str | None = None,
               query: str | None = None, outcome: str = audit.OUTCOME_SUCCESS,
               outcome_text: str | None = None) -> dict[str, Any]:
        reason = None
        emergency = [p for p in patients if p in ctx.emergency]
        if emergency:
            reason = ctx.break_glass_reason or self._stored_reason(ctx, emergency[0])
        return audit.audit_event(
            interaction=interaction, practitioner_ref=ctx.session.practitioner_ref,
            practitioner_name=ctx.session.name, patients=patients, what=what, query=query,
            outcome=outcome, outcome_text=outcome_text, break_glass_reason=reason)

    def _stored_reason(self, ctx: Context, patient_id: str) -> str | None:
        row = self.store.conn().execute(
            "SELECT reason FROM break_glass WHERE practitioner_id = ? AND patient_id = ?"
            " ORDER BY expires DESC LIMIT 1", (ctx.session.practitioner_id, patient_id)).fetchone()
        return row[0] if row else None

    def flush_audits(self, ctx: Context) -> None:
        audit.record(self.store, ctx.audits)
        ctx.audits.clear()

    # ------------------------------------------------------------ read

    def read(self, ctx: Context, type_: str, id_: str) -> Result:
        self.check_type(type_)
        stored = self.store.read(type_, id_)
        if stored is None:
            raise not_found(f"{type_}/{id_} is not known")
        if stored.deleted:
            raise FhirError(410, "deleted", f"{type_}/{id_} has been deleted")
        full = self.authorize_row(ctx, stored, "read")
        body = stored.body if full else subset(stored)
        if full and stored.patient and type_ in CLINICAL_TYPES:
            ctx.audits.append(self._audit(ctx, "read", [stored.patient], what=f"{type_}/{id_}"))
        return Result(200, body, resource_headers(stored, ctx.base))

    def vread(self, ctx: Context, type_: str, id_: str, version: str) -> Result:
        self.check_type(type_)
        stored = self.store.read(type_, id_)
        if stored is None or not version.isdigit():
            raise not_found(f"{type_}/{id_}/_history/{version} is not known")
        full = self.authorize_row(ctx, stored, "vread")
        body = self.store.vread(type_, id_, int(version))
        if body is None:
            raise not_found(f"{type_}/{id_} has no version {version}")
        if not full:
            body = subset_body(body)
        if stored.patient and type_ in CLINICAL_TYPES:
            ctx.audits.append(self._audit(ctx, "vread", [stored.patient], what=f"{type_}/{id_}"))
        return Result(200, body, {"ETag": f'W/"{version}"'})

    # ------------------------------------------------------------ search

    def _access_clause(self, ctx: Context, type_: str) -> AccessClause | None:
        if type_ not in CLINICAL_TYPES and not RESOURCES[type_].private:
            return None  # demographics, staff and places are open to every logged-in user
        grant = self.access.grant(ctx.session)
        restrict = type_ in CLINICAL_TYPES and type_ not in SUBSETTED_TYPES
        return AccessClause(
            grant.patients, ctx.session.practitioner_ref, restrict,
            null_patient_visible=not RESOURCES[type_].owner_paths)

    def find(self, ctx: Context, request: SearchRequest) -> tuple[int, list[Stored]]:
        """Run a parsed search with the user's access applied; returns (total, page)."""
        type_ = request.type
        if type_ in AUDITOR_ONLY_TYPES:
            if ctx.session.role != "auditor":
                raise forbidden("Only auditors may search the audit log")
            clause = None
        else:
            patients = request.patient_ids()
            if patients and type_ in CLINICAL_TYPES and type_ not in SUBSETTED_TYPES:
                for patient_id in sorted(patients):
                    if not self._patient_exists(patient_id):
                        continue  # an unknown patient simply matches nothing
                    self.require_patient(ctx, patient_id, "search-type")
            clause = self._access_clause(ctx, type_)
        sql, args = search.build(request, clause)
        order, order_args = search.order_by(request)
        with self.store.snapshot() as conn:
            if request.summary_count or request.count == 0:
                return int(conn.execute(f"SELECT COUNT(*) {sql}", args).fetchone()[0]), []
            # One pass gives the page and (as a window) the total.
            rows = conn.execute(
                f"SELECT r.rid, COUNT(*) OVER () {sql} {order} LIMIT ? OFFSET ?",
                [*args, *order_args, request.count, request.offset]).fetchall()
            if rows:
                total = int(rows[0][1])
            elif request.offset:
                total = int(conn.execute(f"SELECT COUNT(*) {sql}", args).fetchone()[0])
            else:
                total = 0
            return total, self.store.read_rids([row[0] for row in rows])

    def _patient_exists(self, patient_id: str) -> bool:
        stored = self.store.read("Patient", patient_id)
        return stored is not None and not stored.deleted

    def search(self, ctx: Context, type_: str, params: list[tuple[str, str]]) -> Result:
        self.check_type(type_)
        iterate = [value for key, value in params if key in _ITERATE]
        request = search.parse(type_, [(k, v) for k, v in params if k not in _ITERATE], strict=ctx.strict)
        _allow_larger_pages(request, params)
        iterated = [_iterate_include(value, ctx.strict) for value in iterate]
        request.self_params.extend(("_include:iterate", value) for value, found in zip(iterate, iterated, strict=True)
                                   if found is not None)
        total, page = self.find(ctx, request)
        included = self._includes(ctx, request, page, [i for i in iterated if i is not None])
        grant = self.access.grant(ctx.session) if type_ in SUBSETTED_TYPES else None
        entries: list[str] = []
        audited: set[str] = set()
        for stored in page:
            full = grant is None or stored.patient is None or stored.patient in grant.patients
            if full and stored.patient and type_ in CLINICAL_TYPES:
                audited.add(stored.patient)
            entries.append(_entry(ctx.base, stored, stored.body if full else subset(stored), "match"))
        for stored in included:
            full = self.visible(ctx, stored)
            if full and stored.patient and stored.type in CLINICAL_TYPES:
                audited.add(stored.patient)
            entries.append(_entry(ctx.base, stored, stored.body if full else subset(stored), "include"))
        if audited:
            ctx.audits.append(self._audit(ctx, "search-type", sorted(audited),
                                          query=f"{type_}?{urlencode(request.self_params)}"))
        body = _searchset(ctx.base, request, total, entries)
        return Result(200, body)

    def _references(self, rows: list[Stored], includes: list[Include]) -> list[str]:
        """What the rows point at through the included reference parameters."""
        refs: list[str] = []
        conn = self.store.conn()
        for include in includes:
            rids = json.dumps([s.rid for s in rows if s.type == include.source_type])
            for (ref,) in conn.execute(
                "SELECT DISTINCT ref FROM idx_ref WHERE rid IN (SELECT value FROM json_each(?))"
                " AND param = ?", (rids, include.param.name)):
                if include.target is None or ref.startswith(include.target + "/"):
                    refs.append(ref)
        return refs

    def _includes(self, ctx: Context, request: SearchRequest, page: list[Stored],
                  iterate: list[Include] | None = None) -> list[Stored]:
        if not page or not (request.includes or request.revincludes or iterate):
            return []
        seen = {(s.type, s.id) for s in page}
        conn = self.store.conn()
        found = self.store.read_many(dict.fromkeys(self._references(page, request.includes)))
        rev_rids: list[int] = []
        page_refs = json.dumps([f"{s.type}/{s.id}" for s in page])
        for include in request.revincludes:
            rev_rids.extend(row[0] for row in conn.execute(
                "SELECT DISTINCT rid FROM idx_ref WHERE type = ? AND param = ?"
                " AND ref IN (SELECT value FROM json_each(?))",
                (include.source_type, include.param.name, page_refs)))
        found.extend(self.store.read_rids(list(dict.fromkeys(rev_rids))))
        out: list[Stored] = []
        for stored in found:
            if (stored.type, stored.id) in seen or stored.deleted:
                continue
            seen.add((stored.type, stored.id))
            # Subsetted types (Encounter) are included for everyone, cut down where needed.
            if stored.type in SUBSETTED_TYPES or self.visible(ctx, stored):
                out.append(stored)
        frontier = [*page, *out]
        for _ in range(_MAX_ITERATIONS if iterate else 0):
            fresh = [s for s in self.store.read_many(dict.fromkeys(self._references(frontier, iterate or [])))
                     if (s.type, s.id) not in seen and not s.deleted
                     and (s.type in SUBSETTED_TYPES or self.visible(ctx, s))]
            if not fresh:
                break
            seen.update((s.type, s.id) for s in fresh)
            out.extend(fresh)
            frontier = fresh
        return out

    def visible(self, ctx: Context, stored: Stored) -> bool:
        """Whether a row may be shown in full, without raising or granting anything."""
        if stored.type in AUDITOR_ONLY_TYPES:
            return ctx.session.role == "auditor"
        owner = self._owns(ctx, stored)
        if self._is_private_row(stored):
            return owner
        if stored.type not in CLINICAL_TYPES or owner:
            return True
        if stored.patient is None:
            return not RESOURCES[stored.type].owner_paths
        return stored.patient in self.access.grant(ctx.session).patients

    # ------------------------------------------------------------ writes

    def _prepare(self, ctx: Context, resource: dict[str, Any], acknowledgement: bool = False) -> None:
        """Server-side rules for a resource about to be written by this user (``acknowledgement``:
        a recipient marking a message read, see ``_is_acknowledgement``)."""
        type_ = resource["resourceType"]
        me = {"reference": ctx.session.practitioner_ref, "display": ctx.session.name}
        if type_ in AUDITOR_ONLY_TYPES:
            raise forbidden("Audit events are written by the server only")
        if ctx.session.role not in WRITER_ROLES:
            raise forbidden(f"A user with the role '{ctx.session.role}' may not change the record")
        if type_ == "Subscription":
            criteria = str(resource.get("criteria", ""))
            if not criteria.startswith("Observation?") or not criteria_patients(criteria):
                raise FhirError(422, "processing",
                                "Subscription.criteria must be an Observation search naming a"
                                " patient, e.g. Observation?patient=Patient/123&category=laboratory",
                                expression=["Subscription.criteria"])
            resource["status"] = "active"
            others = [e for e in resource.get("extension", []) if e.get("url") != EXT_SUBSCRIBER]
            resource["extension"] = [*others, {"url": EXT_SUBSCRIBER, "valueReference": me}]
        elif type_ == "Communication" and not acknowledgement:
            sender = resource.get("sender")
            if sender is None:
                resource["sender"] = me
            elif _ref(sender).startswith("Practitioner/") and _ref(sender) != me["reference"]:
                raise forbidden("You can only send messages in your own name")
        elif type_ == "List":
            source = resource.get("source")
            if source is None:
                resource["source"] = me
            elif _ref(source) != me["reference"]:
                raise forbidden("You can only keep lists in your own name")
        meta = dict(resource.get("meta") or {})
        others = [e for e in meta.get("extension", []) if e.get("url") != EXT_LAST_MODIFIED_BY]
        meta["extension"] = [*others, {"url": EXT_LAST_MODIFIED_BY, "valueReference": me}]
        resource["meta"] = meta
        rows = index_rows(resource)
        patient = patient_of(resource, rows)
        owners = {ref for param, ref in rows[3] if param == "_owner"}
        if patient is not None and type_ in CLINICAL_TYPES and not acknowledgement:
            if not self._patient_exists(patient):
                raise FhirError(422, "processing", f"Patient/{patient} does not exist")
            self.require_patient(ctx, patient, "create")
        elif RESOURCES[type_].owner_paths and ctx.session.practitioner_ref not in owners:
            raise forbidden(f"You must be among the people named in this {type_}")

    def create(self, ctx: Context, type_: str, resource: Any, if_none_exist: str | None = None,
               assigned_id: str | None = None) -> Result:
        self.check_type(type_)
        resource = dict(check_resource(resource, type_))
        with self.store.write():
            if if_none_exist:
                existing = self._conditional_match(ctx, type_, if_none_exist)
                if existing is not None:
                    return self._written(ctx, existing, 200)
            resource["id"] = assigned_id or new_id()
            _check_signature(ctx, resource, None)
            self._prepare(ctx, resource)
            stored, _ = self.store.put(resource)
        if type_ == "Patient":
            ctx.created_patients.add(stored.id)
        self._audit_write(ctx, "create", stored)
        return self._written(ctx, stored, 201)

    def _conditional_match(self, ctx: Context, type_: str, query: str) -> Stored | None:
        params = parse_qsl(query.lstrip("?"), keep_blank_values=True)
        request = search.parse(type_, params, strict=True)
        if not request.criteria:
            raise bad_request(f"If-None-Exist '{query}' names no search criteria")
        request.count = 2
        total, page = self.find(ctx, request)
        if total > 1:
            raise FhirError(412, "duplicate",
                            f"If-None-Exist '{query}' matches {total} resources; expected at most one")
        return page[0] if page else None

    def update(self, ctx: Context, type_: str, id_: str, resource: Any,
               if_match: str | None = None) -> Result:
        self.check_type(type_)
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
            current = self.store.read(type_, id_)
            acknowledgement = False
            if current is not None and not current.deleted:
                self.authorize_row(ctx, current, "update")
                acknowledgement = _is_acknowledgement(ctx, current, resource)
            _check_signature(ctx, resource, current.resource() if current and not current.deleted else None)
            self._prepare(ctx, resource, acknowledgement)
            try:
                stored, created = self.store.put(resource, expected_version=expected)
            except VersionConflict as conflict:
                raise self._conflict(type_, id_, expected, conflict.current) from None
        self._audit_write(ctx, "create" if created else "update", stored)
        return self._written(ctx, stored, 201 if created else 200)

    def _conflict(self, type_: str, id_: str, expected: int | None, current: int) -> FhirError:
        stored = self.store.read(type_, id_)
        who = "someone"
        when = stored.last_updated if stored else "unknown time"
        if stored:
            for ext in stored.resource().get("meta", {}).get("extension", []):
                if ext.get("url") == EXT_LAST_MODIFIED_BY:
                    who = ext.get("valueReference", {}).get("display", who)
        if current == 0:
            return FhirError(412, "conflict", f"{type_}/{id_} does not exist (or was deleted)")
        return FhirError(
            412, "conflict",
            f"Version conflict on {type_}/{id_}: you edited version {expected}, but version"
            f" {current} was saved by {who} at {when}. Reload and apply your change again.",
            headers={"ETag": f'W/"{current}"'})

    def delete(self, ctx: Context, type_: str, id_: str) -> Result:
        self.check_type(type_)
        with self.store.write():
            current = self.store.read(type_, id_)
            if current is None:
                raise not_found(f"{type_}/{id_} is not known")
            if current.deleted:
                return Result(204)
            self.authorize_row(ctx, current, "delete")
            if ctx.session.role not in WRITER_ROLES:
                raise forbidden(f"A user with the role '{ctx.session.role}' may not change the record")
            self.store.delete(type_, id_)
        self._audit_write(ctx, "delete", current)
        return Result(204)

    def _audit_write(self, ctx: Context, interaction: str, stored: Stored) -> None:
        if stored.patient and stored.type in CLINICAL_TYPES:
            ctx.audits.append(self._audit(ctx, interaction, [stored.patient],
                                          what=f"{stored.type}/{stored.id}"))

    def _written(self, ctx: Context, stored: Stored, status: int) -> Result:
        headers = resource_headers(stored, ctx.base)
        if ctx.prefer_return == "minimal":
            return Result(status, None, headers)
        if ctx.prefer_return == "OperationOutcome":
            outcome = {"resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "informational",
                "diagnostics": f"{stored.type}/{stored.id} version {stored.version} stored"}]}
            return Result(status, json.dumps(outcome), headers)
        return Result(status, stored.body, headers)


def _is_acknowledgement(ctx: Context, current: Stored, resource: dict[str, Any]) -> bool:
    """A recipient marking a message to them as read: an update of a Communication that names them
    as a recipient and changes nothing but ``received``. It needs no care relation to the patient
    the message is about, as reading the message needed none."""
    if current.type != "Communication":
        return False
    stored = current.resource()
    if ctx.session.practitioner_ref not in {_ref(r) for r in stored.get("recipient", [])}:
        return False
    ignored = ("meta", "received")
    return ({k: v for k, v in stored.items() if k not in ignored}
            == {k: v for k, v in resource.items() if k not in ignored})


def _ref(value: Any) -> str:
    return str(value.get("reference", "")) if isinstance(value, dict) else ""


def _allow_larger_pages(request: SearchRequest, params: list[tuple[str, str]]) -> None:
    """Serve up to the type's own ``max_count`` (Observation: a long lab history in few pages)."""
    largest = RESOURCES[request.type].max_count
    asked = [value for key, value in params if key == "_count"]
    if largest is not None and asked and asked[-1].isdigit():
        request.count = min(int(asked[-1]), largest)


def _iterate_include(value: str, strict: bool) -> Include | None:
    """``_include:iterate=Observation:has-member``: an include applied to included resources too."""
    parts = value.split(":")
    source, name = [*parts, "", ""][:2]
    definition = RESOURCES.get(source)
    param = param_for(source, name) if definition else None
    if definition is None or param is None or f"{source}:{name}" not in definition.includes \
            or len(parts) > 3:
        if strict:
            raise bad_request(f"_include:iterate={value} is not supported", "not-supported")
        return None
    return Include(source, param, parts[2] if len(parts) == 3 else None)


def _signers(resource: dict[str, Any] | None) -> list[str]:
    return [_ref(ext.get("valueReference")) for ext in (resource or {}).get("extension", [])
            if isinstance(ext, dict) and ext.get("url") == EXT_SIGNED_BY]


def _check_signature(ctx: Context, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    """A result is signed only in one's own name; a signature already there may stay as it is."""
    signers = _signers(resource)
    if signers and signers != _signers(current) and signers != [ctx.session.practitioner_ref]:
        raise forbidden("You can only sign results in your own name")


def subset_body(body: str) -> str:
    resource = json.loads(body)
    kept = {k: resource[k] for k in ("resourceType", "id", *_ENCOUNTER_SUBSET) if k in resource}
    meta = dict(resource.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED_TAG]
    kept["meta"] = meta
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def subset(stored: Stored) -> str:
    return subset_body(stored.body)


def _entry(base: str, stored: Stored, body: str, mode: str) -> str:
    return (f'{{"fullUrl":"{base}/{stored.type}/{stored.id}","resource":{body},'
            f'"search":{{"mode":"{mode}"}}}}')


def _searchset(base: str, request: SearchRequest, total: int, entries: list[str]) -> str:
    def link(offset: int) -> str:
        params = [*request.self_params, ("_count", str(request.count))]
        if offset:
            params.append(("_offset", str(offset)))
        return f"{base}/{request.type}?{urlencode(params)}"

    links = [{"relation": "self", "url": link(request.offset)}]
    if not request.summary_count and request.count:
        links.append({"relation": "first", "url": link(0)})
        if request.offset > 0:
            links.append({"relation": "previous",
                          "url": link(max(0, request.offset - request.count))})
        if request.offset + request.count < total:
            links.append({"relation": "next", "url": link(request.offset + request.count)})
            last = ((total - 1) // request.count) * request.count
            links.append({"relation": "last", "url": link(last)})
    head = json.dumps({"resourceType": "Bundle", "type": "searchset", "total": total,
                       "link": links}, ensure_ascii=False, separators=(",", ":"))
    if not entries:
        return head
    return head[:-1] + ',"entry":[' + ",".join(entries) + "]}"
