"""Access rules applied to one request: which rows a user sees (in full or cut down), and the audit.

access.py knows which patients a practitioner has a care relation to; the Guard applies that to
rows and searches, grants break-the-glass when the request asks for it, and collects an
AuditEvent for every clinical read, write and denial in the request's Context (routes.py writes
them when the request ends).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mock_epj import audit
from mock_epj.access import BREAK_GLASS_ROLES, AccessControl, Grant, check_reason, no_relation
from mock_epj.context import Context
from mock_epj.errors import FhirError, forbidden, not_found
from mock_epj.search import AccessClause
from mock_epj.searchparams import AUDITOR_ONLY_TYPES, CLINICAL_TYPES, RESOURCES, SUBSETTED_TYPES, SearchParam
from mock_epj.store import Store, Stored
from mock_epj.terminology import SUBSETTED_TAG

_ENCOUNTER_SUBSET = ("status", "class", "subject", "period", "location", "serviceProvider")
# A colleague's or clinic's book: when, what kind of visit, where, with whom; not why.
_APPOINTMENT_SUBSET = ("status", "serviceType", "appointmentType", "start", "end", "minutesDuration",
                       "participant")
# What a subsetted resource keeps, by type (besides id and meta): the only elements by which such
# rows may be searched, sorted or followed with _include (see ``shown_in_subset``).
SUBSET_ELEMENTS: dict[str, tuple[str, ...]] = {"Encounter": _ENCOUNTER_SUBSET, "Appointment": _APPOINTMENT_SUBSET}


def shown_in_subset(type_: str, param: SearchParam) -> bool:
    """Whether every element ``param`` reads is kept in ``type_``'s subset: a search by any other
    parameter would tell what the subset hides (who has a diagnosis, who took part in a stay)."""
    if type_ not in SUBSET_ELEMENTS:
        return True
    kept = {"id", "meta", *SUBSET_ELEMENTS[type_]}
    return all(path.split(".")[0] in kept for path in param.paths)


class Guard:
    """Enforces access to rows and patients for a FhirService, and writes its audit events."""

    def __init__(self, store: Store, access: AccessControl) -> None:
        self.store = store
        self.access = access

    def grant(self, ctx: Context) -> Grant:
        """The user's care relations, computed once per request (a write or a break-the-glass
        in the request forgets it: see ``forget_grant``)."""
        if ctx.grant is None:
            grant = self.access.grant(ctx.session)
            only = ctx.session.patient
            if only is not None:  # a break-the-glass token reaches its one patient, nobody else
                grant = Grant(grant.patients & {only}, (), grant.emergency & {only})
            ctx.grant = grant
        return ctx.grant

    @staticmethod
    def forget_grant(ctx: Context) -> None:
        ctx.grant = None

    def patient_exists(self, patient_id: str) -> bool:
        stored = self.store.read("Patient", patient_id)
        return stored is not None and not stored.deleted

    def require_patient(self, ctx: Context, patient_id: str, interaction: str) -> None:
        """Allow access to one patient's record, by care relation or by break-the-glass."""
        grant = self.grant(ctx)
        if patient_id in ctx.created_patients:
            return
        if patient_id in grant.patients:
            if patient_id in grant.emergency:
                ctx.emergency[patient_id] = self.access.break_glass_expiry(ctx.session, patient_id) or ""
            return
        if ctx.break_glass_reason is not None:
            self._open_glass(ctx, patient_id, interaction)
            return
        error = no_relation(patient_id, header_hint=not ctx.conformant)
        self.audit(ctx, interaction, [patient_id], outcome=audit.OUTCOME_DENIED,
                   outcome_text="No care relation")
        raise error

    def _open_glass(self, ctx: Context, patient_id: str, interaction: str) -> str:
        """Break the glass for one patient (the role and reason checked, the grant audited);
        returns when the emergency access ends."""
        self._check_break_glass(ctx, [patient_id], interaction)
        assert ctx.break_glass_reason is not None
        expires = self.access.break_glass(ctx.session, patient_id, ctx.break_glass_reason)
        ctx.emergency[patient_id] = expires
        ctx.glass_patient = patient_id
        self.forget_grant(ctx)
        self.audit(ctx, interaction, [patient_id], outcome_text="Break-the-glass access granted for 4 hours")
        return expires

    def emergency_access(self, ctx: Context, patient_id: str, interaction: str = "operation") -> str:
        """Break the glass by token exchange (oauth.py): the checks and audit of the header path
        for a patient the user has no care relation to; returns when the access ends. 404 for an
        unknown patient, 409 when a care relation makes emergency access needless."""
        if not self.patient_exists(patient_id):
            raise not_found(f"Patient/{patient_id} is not known")
        grant = self.grant(ctx)
        if patient_id in grant.patients and patient_id not in grant.emergency:
            raise FhirError(409, "business-rule", f"You have a care relation to Patient/{patient_id}: emergency"
                                                  " access is not needed, use your own login")
        return self._open_glass(ctx, patient_id, interaction)

    def require_patients(self, ctx: Context, patients: set[str], interaction: str) -> None:
        """``require_patient`` for every patient a search names; unknown patients match nothing.
        A break-the-glass reason opens one patient's record, never several at once."""
        grant = self.grant(ctx)
        needed = sorted(p for p in patients if p not in grant.patients and p not in ctx.created_patients
                        and self.patient_exists(p))
        if ctx.break_glass_reason is not None and len(needed) > 1:
            self._check_break_glass(ctx, needed, interaction)
        for patient_id in sorted(patients):
            if patient_id in grant.patients or patient_id in needed:
                self.require_patient(ctx, patient_id, interaction)

    def _check_break_glass(self, ctx: Context, patients: list[str], interaction: str) -> None:
        """Whether the user may break the glass for ``patients`` in this request: 403 (audited) for
        a role that may not, or for more than one patient; 400 for a reason too short to read."""
        role = ctx.session.role
        if role not in BREAK_GLASS_ROLES:
            why = (f"The role '{role}' may not use break-the-glass: only clinicians (doctors, nurses and"
                   " health workers) may give themselves emergency access")
        elif len(patients) > 1:
            why = (f"Break-the-glass opens one patient's record at a time; this request names {len(patients)}"
                   " patients without a care relation. No access was granted: ask for one patient.")
        elif ctx.glass_patient not in (None, patients[0]):
            why = (f"Break-the-glass opens one patient's record at a time; this request already used it for"
                   f" Patient/{ctx.glass_patient}")
        else:
            assert ctx.break_glass_reason is not None
            check_reason(ctx.break_glass_reason)
            return
        error: FhirError = forbidden(why)
        self.audit(ctx, interaction, patients, outcome=audit.OUTCOME_DENIED, outcome_text=why)
        raise error

    def authorize_row(self, ctx: Context, stored: Stored, interaction: str) -> bool:
        """Raise unless the user may see this row; return False when only a subset may be shown."""
        if stored.type in AUDITOR_ONLY_TYPES:
            if ctx.session.role != "auditor":
                raise forbidden("Only auditors may read the audit log")
            return True
        definition = RESOURCES[stored.type]
        private = stored.private
        if private or (stored.type in CLINICAL_TYPES and definition.owner_paths):
            if self._owns(ctx, stored):
                return True
            if private:
                raise not_found(f"{stored.type}/{stored.id} is not known")
        if stored.type in SUBSETTED_TYPES and ctx.session.patient is None:  # a patient token sees no subsets
            return stored.patient is None or stored.patient in self.grant(ctx).patients
        if stored.type not in CLINICAL_TYPES:
            return True
        if stored.patient is None:
            if definition.owner_paths:
                raise forbidden(f"Only the people named in {stored.type}/{stored.id} may read it")
            return True
        self.require_patient(ctx, stored.patient, interaction)
        return True

    def visible(self, ctx: Context, stored: Stored) -> bool:
        """Whether a row may be shown in full, without raising or granting anything."""
        if stored.type in AUDITOR_ONLY_TYPES:
            return ctx.session.role == "auditor"
        if stored.private:
            return self._owns(ctx, stored)
        if stored.type not in CLINICAL_TYPES:
            return True
        if stored.patient is None:
            return not RESOURCES[stored.type].owner_paths or self._owns(ctx, stored)
        return stored.patient in self.grant(ctx).patients or self._owns(ctx, stored)

    def search_clause(self, ctx: Context, type_: str, full_only: bool = False) -> AccessClause | None:
        """The rows of ``type_`` a search by this user may match (None: every row). ``full_only``:
        only rows the user may see in full, also of a subsetted type (a search by what the subset
        hides)."""
        if type_ not in CLINICAL_TYPES and not RESOURCES[type_].private:
            return None  # demographics, staff and places are open to every logged-in user
        grant = self.grant(ctx)
        restrict = type_ in CLINICAL_TYPES and (type_ not in SUBSETTED_TYPES or full_only
                                                or ctx.session.patient is not None)
        # A break-the-glass token does not reach the user's own rows about other patients.
        owner = ctx.session.practitioner_ref if ctx.session.patient is None else "Practitioner/"
        return AccessClause(
            grant.patients, owner, restrict,
            null_patient_visible=not RESOURCES[type_].owner_paths)

    def _owns(self, ctx: Context, stored: Stored) -> bool:
        if ctx.session.patient is not None and stored.patient != ctx.session.patient:
            return False  # a break-the-glass token does not reach the user's own rows about others
        return self.store.queries.owns(stored.rid, ctx.session.practitioner_ref)

    # ------------------------------------------------------------ audit

    def audit(self, ctx: Context, interaction: str, patients: list[str], *, what: str | None = None,
              query: str | None = None, outcome: str = audit.OUTCOME_SUCCESS,
              outcome_text: str | None = None) -> None:
        """Add an AuditEvent to the request's audits (written by ``flush``)."""
        reason = None
        emergency = [p for p in patients if p in ctx.emergency]
        if emergency:
            reason = ctx.break_glass_reason or self.access.break_glass_reason(ctx.session, emergency[0])
        ctx.audits.append(audit.audit_event(
            interaction=interaction, practitioner_ref=ctx.session.practitioner_ref,
            practitioner_name=ctx.session.name, patients=patients, what=what, query=query,
            outcome=outcome, outcome_text=outcome_text, break_glass_reason=reason))

    def audit_row(self, ctx: Context, interaction: str, stored: Stored) -> None:
        """Audit a read or write of one row when it is part of a patient's clinical record."""
        if stored.patient and stored.type in CLINICAL_TYPES:
            self.audit(ctx, interaction, [stored.patient], what=f"{stored.type}/{stored.id}")

    def audit_write(self, ctx: Context, interaction: str, stored: Stored) -> None:
        """Audit a write of any type (clinical or not): who changed what, for which patient."""
        self.audit(ctx, interaction, [stored.patient] if stored.patient else [],
                   what=f"{stored.type}/{stored.id}")

    @contextmanager
    def write_audited(self, ctx: Context, interaction: str, type_: str, id_: str | None = None) -> Iterator[None]:
        """Audit a write refused with 403 as a denial (unless the refusal audited itself)."""
        audits = len(ctx.audits)
        try:
            yield
        except FhirError as error:
            denied = any(e.get("outcome") == audit.OUTCOME_DENIED for e in ctx.audits[audits:])
            if error.status == 403 and not denied:
                self.audit(ctx, interaction, [], what=f"{type_}/{id_}" if id_ else type_,
                           outcome=audit.OUTCOME_DENIED, outcome_text=error.diagnostics)
            raise

    def flush(self, ctx: Context) -> None:
        audit.record(self.store, ctx.audits)
        ctx.audits.clear()


def subset(body: str) -> dict[str, Any]:
    """What a user without a care relation sees of an Encounter (where and when) or an Appointment
    (when, where, what kind, with whom), tagged SUBSETTED."""
    resource = json.loads(body)
    elements = SUBSET_ELEMENTS.get(str(resource.get("resourceType")), _ENCOUNTER_SUBSET)
    kept = {k: resource[k] for k in ("resourceType", "id", *elements) if k in resource}
    meta = dict(resource.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED_TAG]
    kept["meta"] = meta
    return kept
