"""FHIR resources for what the app writes, and back to domain models.

- Journal note: ``DocumentReference`` (docStatus preliminary while a draft, final when signed,
  amended when a signed note is changed), identified by ``urn:ietf:rfc:3986|urn:uuid:<client id>``.
- Own note and ward note: ``Flag`` with category and code ``note-category|own-note`` or
  ``|ward-note``, the text in ``code.text``. An own note carries the confidentiality label ``R`` so
  that only its author is served it, and the app shows it to its author only whatever it is
  served. Each note has a key identifier (one own note per author and
  patient, one ward note per patient) and the id of the write that made the current version.
- Internal message: ``Communication`` with category ``internal-message``, identified by its client
  id; ``received`` is set when the recipient has read it.

Pure functions over parsed JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode

from mobile_app.domain.models import (
    OWN_NOTE,
    WARD_NOTE,
    Colleague,
    DocumentSummary,
    Message,
    NoteItem,
    PatientNoteKind,
    Role,
)
from mobile_app.domain.writing import (
    NOTE_TYPES,
    MessageDraft,
    NoteDraft,
    NoteStatus,
    PatientNoteDraft,
)
from mobile_app.epj import clinical, fhir, mapping
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms

URI = fhir.RFC3986
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
RESTRICTED = {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
_DOC_STATUS = {NoteStatus.DRAFT: "preliminary", NoteStatus.FINAL: "final"}
_SIGNED = ("final", "amended")


class OwnAndWardNotes(NamedTuple):
    own: NoteItem | None
    ward: NoteItem | None


def instant(value: datetime) -> str:
    """A FHIR instant in UTC to the second, e.g. ``2026-05-04T10:00:00Z``."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ref(resource_type: str, id_: str, name: str | None = None) -> JSON:
    return {"reference": f"{resource_type}/{id_}", **({"display": name} if name else {})}


def uuid_identifier(client_id: str) -> JSON:
    return {"system": URI, "value": f"urn:uuid:{client_id}"}


def identifier_query(system: str, value: str) -> str:
    """An ``If-None-Exist`` search for one identifier."""
    return urlencode([("identifier", f"{system}|{value}")])


def client_id_query(client_id: str) -> str:
    return identifier_query(URI, f"urn:uuid:{client_id}")


def has_identifier(resource: JSON, system: str, value: str) -> bool:
    return any(i.get("system") == system and i.get("value") == value
               for i in fhir.objects(resource, "identifier"))


def _targets_version(provenance: JSON, key: str, version: str | None) -> bool:
    """Whether a Provenance is about ``key`` (``Type/id``): that version, or the resource as such."""
    for target in fhir.objects(provenance, "target"):
        reference = fhir.text(target, "reference") or ""
        path, _, history = reference.partition("/_history/")
        same = path == key or path.endswith(f"/{key}")
        if same and (not history or version is None or history.rstrip("/") == version):
            return True
    return False


def modified_by(resource: JSON, provenances: Iterable[JSON] = ()) -> str | None:
    """The name of whoever saved this version, from standard data only: the agent of a Provenance
    of this version (the newest), else, for a Flag (own and ward notes, SpO2 scale choices: every
    save through the app writes the one saving as its author, with the name), the author's name.
    None when the EPJ says neither: the app then says "someone else", never a guess."""
    key, version = fhir.key(resource), fhir.version_id(resource)
    about = [p for p in provenances if _targets_version(p, key, version)]
    about.sort(key=lambda p: fhir.parse_instant(p.get("recorded")) or datetime.min.replace(tzinfo=UTC),
               reverse=True)
    for provenance in about:
        for agent in fhir.objects(provenance, "agent"):
            if name := fhir.display(fhir.obj(agent, "who")):
                return name
    if resource.get("resourceType") == "Flag":
        return fhir.display(fhir.obj(resource, "author"))
    return None


def modified_at(resource: JSON) -> datetime | None:
    return fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated"))


def conflict_with(resource: JSON, detail: str = "", provenances: Iterable[JSON] = ()) -> Conflict:
    """The Conflict to raise when ``resource`` (as now on the server) is not the version we edited:
    who saved it (``modified_by``; None: someone else) and when (``meta.lastUpdated``)."""
    who, when = modified_by(resource, provenances), modified_at(resource)
    text = detail or (f"{resource.get('resourceType')}/{resource.get('id')} was changed by {who or 'someone else'}"
                      f" at {instant(when) if when else 'an unknown time'}")
    return Conflict(text, 412, changed_by=who, changed_at=when, current_version=fhir.version_id(resource))


# ------------------------------------------------------------------ journal notes


def document_reference(draft: NoteDraft, *, amend: bool = False) -> JSON:
    """A journal note as a DocumentReference with the text as base64 text/plain (UTF-8)."""
    name = NOTE_TYPES.get(draft.note_type, draft.note_type)
    types = terms().document_type
    known = types.note_types.get(draft.note_type)  # the hospital's code for the app's note type
    coding = types.coding(known) if known else {"system": types.system, "code": draft.note_type, "display": name}
    written = instant(draft.created)
    resource: JSON = {
        "resourceType": "DocumentReference",
        "identifier": [uuid_identifier(draft.client_id)],
        "status": "current",
        "docStatus": "amended" if amend else _DOC_STATUS[draft.status],
        "type": {"coding": [coding], "text": name},
        "subject": _ref("Patient", draft.patient_id),
        "date": written,
        "author": [_ref("Practitioner", draft.author_id, draft.author_name)],
        "description": draft.display_title,
        "content": [{"attachment": {
            "contentType": "text/plain; charset=utf-8", "language": "nb",
            "data": base64.b64encode(draft.text.encode()).decode("ascii"),
            "title": draft.display_title, "creation": written,
        }}],
    }
    if draft.encounter_id:
        resource["context"] = {"encounter": [_ref("Encounter", draft.encounter_id)]}
    return resource


def is_signed(resource: JSON) -> bool:
    return resource.get("docStatus") in _SIGNED


def same_note(resource: JSON, draft: NoteDraft) -> bool:
    """Whether the stored note already says what the draft says (a signed note stays signed)."""
    summary = clinical.document(resource)
    if summary is None or summary.text != draft.text or summary.title != draft.display_title:
        return False
    types = terms().document_type
    code = fhir.code_of(fhir.obj(resource, "type"), types.system)
    if (types.note_type_of(code) or code) != draft.note_type:
        return False
    return is_signed(resource) or resource.get("docStatus") == _DOC_STATUS[draft.status]


def written_by(resource: JSON, practitioner_id: str) -> bool:
    return any(fhir.reference_id(a, "Practitioner") == practitioner_id for a in fhir.objects(resource, "author"))


def document_summary(resource: JSON) -> DocumentSummary:
    summary = clinical.document(resource)
    if summary is None:
        raise ValueError("The stored note is entered in error")
    return summary


# ------------------------------------------------------------------ own and ward notes


def note_key(draft: PatientNoteDraft) -> tuple[str, str]:
    """(system, value) of the identifier that makes a note unique: one own note per author and
    patient, one ward note per patient."""
    value = f"{draft.author_id}:{draft.patient_id}" if draft.kind == OWN_NOTE else draft.patient_id
    return terms().identifier_systems.note(draft.kind), value


def patient_note_flag(draft: PatientNoteDraft, write_id: str) -> JSON:
    system, value = note_key(draft)
    categories = terms().note_category
    coding = categories.coding(categories.of(draft.kind))
    resource: JSON = {
        "resourceType": "Flag",
        "identifier": [{"system": system, "value": value}, {"use": "secondary", **uuid_identifier(write_id)}],
        "status": "active",
        "category": [{"coding": [coding]}],
        "code": {"coding": [coding], "text": draft.text},
        "subject": _ref("Patient", draft.patient_id),
        "period": {"start": instant(draft.created)},
        "author": _ref("Practitioner", draft.author_id, draft.author_name),  # who saved this version
    }
    if draft.kind == OWN_NOTE:
        resource["meta"] = {"security": [RESTRICTED]}
    return resource


def written_in(resource: JSON, write_id: str) -> bool:
    """Whether this version was made by the write ``write_id`` (an earlier try of the same save)."""
    return has_identifier(resource, URI, f"urn:uuid:{write_id}")


def note_kind(resource: JSON) -> PatientNoteKind | None:
    categories = terms().note_category
    for kind in (OWN_NOTE, WARD_NOTE):
        if fhir.has_code_in(fhir.objects(resource, "category"), categories.system, categories.of(kind).code):
            return kind
    return None


def note_item(resource: JSON) -> NoteItem | None:
    """An own or ward note Flag as a NoteItem (None for other Flags and inactive notes)."""
    kind = note_kind(resource)
    if kind is None or resource.get("status", "active") != "active":
        return None
    return NoteItem(
        id=str(resource.get("id", "")),
        kind=kind,
        patient_id=fhir.reference_id(fhir.obj(resource, "subject"), "Patient") or "",
        text=fhir.text(fhir.obj(resource, "code"), "text") or "",
        version=fhir.version_id(resource),
        author_id=fhir.reference_id(fhir.obj(resource, "author"), "Practitioner"),
        modified_by=modified_by(resource),
        modified_at=modified_at(resource) or fhir.period_start(resource),
    )


def stored_note_item(resource: JSON) -> NoteItem:
    item = note_item(resource)
    if item is None:
        raise ValueError("The stored Flag is not an active own or ward note")
    return item


def _newest(items: Iterable[NoteItem]) -> NoteItem | None:
    return max(items, key=lambda n: n.modified_at.timestamp() if n.modified_at else 0.0, default=None)


def own_and_ward_notes(flags: Iterable[JSON], me: str | None) -> OwnAndWardNotes:
    """The newest own note and ward note among a patient's Flags. An own note is private to its
    author: only one written by ``me`` (a practitioner id) is taken, whatever a server returns (the
    mock serves only my own; another server may not), and none when ``me`` is unknown."""
    items = [item for flag in flags if (item := note_item(flag)) is not None
             and (item.kind != OWN_NOTE or (me is not None and item.author_id == me))]
    return OwnAndWardNotes(_newest(i for i in items if i.kind == OWN_NOTE),
                           _newest(i for i in items if i.kind == WARD_NOTE))


def ward_notes_search() -> str:
    """The search for the ward notes the user may see: by their key identifier's system (R4 Flag has
    no category or status search parameter; ``note_item`` keeps the active ward notes)."""
    ward_note = terms().identifier_systems.ward_note
    return f"Flag?{urlencode([('identifier', f'{ward_note}|'), ('_count', 100)])}"


def ward_notes_by_patient(flags: Iterable[JSON]) -> dict[str, NoteItem]:
    found: dict[str, list[NoteItem]] = {}
    for flag in flags:
        item = note_item(flag)
        if item is not None and item.kind == WARD_NOTE and item.patient_id:
            found.setdefault(item.patient_id, []).append(item)
    return {patient: note for patient, items in found.items() if (note := _newest(items)) is not None}


# ------------------------------------------------------------------ messages


def communication(draft: MessageDraft, sent: datetime) -> JSON:
    categories = terms().communication_category
    resource: JSON = {
        "resourceType": "Communication",
        "identifier": [uuid_identifier(draft.client_id)],
        "status": "completed",
        "category": [{"coding": [categories.coding(categories.internal_message, display=False)]}],
        "sent": instant(sent),
        "sender": _ref("Practitioner", draft.author_id, draft.author_name),
        "recipient": [_ref("Practitioner", draft.recipient_id, draft.recipient_name)],
        "payload": [{"contentString": draft.text}],
    }
    if draft.about_patient_id:
        resource["subject"] = _ref("Patient", draft.about_patient_id)
    return resource


def message_text(resource: JSON) -> str:
    return "\n".join(t for p in fhir.objects(resource, "payload") if (t := fhir.text(p, "contentString")))


def same_message(resource: JSON, draft: MessageDraft) -> bool:
    recipients = [fhir.reference_id(r, "Practitioner") for r in fhir.objects(resource, "recipient")]
    return (message_text(resource) == draft.text and recipients == [draft.recipient_id]
            and fhir.reference_id(fhir.obj(resource, "subject"), "Patient") == draft.about_patient_id)


def sent_by(resource: JSON, practitioner_id: str) -> bool:
    return fhir.reference_id(fhir.obj(resource, "sender"), "Practitioner") == practitioner_id


def message(resource: JSON, included: Mapping[str, JSON] | None = None) -> Message:
    """A Communication as a Message; names come from the reference displays or included resources."""
    included = included or {}

    def name(reference: Any) -> str | None:
        key = fhir.reference_key(reference)
        found = included.get(key) if key else None
        return fhir.display(reference) or (fhir.person_name(found) if found else None)

    sender = fhir.obj(resource, "sender")
    recipient = next(iter(fhir.objects(resource, "recipient")), {})
    subject = fhir.obj(resource, "subject")
    return Message(
        id=str(resource.get("id", "")),
        client_id=fhir.client_id(resource),
        version=fhir.version_id(resource),
        sender_id=fhir.reference_id(sender, "Practitioner"),
        sender_name=name(sender),
        recipient_id=fhir.reference_id(recipient, "Practitioner"),
        recipient_name=name(recipient),
        text=message_text(resource),
        sent=fhir.parse_instant(resource.get("sent")),
        about_patient_id=fhir.reference_id(subject, "Patient"),
        about_patient_name=name(subject) if subject else None,
        read_at=fhir.parse_instant(resource.get("received")),
    )


def messages(bundle: JSON) -> list[Message]:
    """The messages of a searchset, newest first."""
    included = {fhir.key(r): r for r in fhir.entries(bundle, "include")}
    found = [message(c, included) for c in fhir.of_type(bundle, "Communication", "match")
             if c.get("status") != "entered-in-error"]
    return sorted(found, key=lambda m: -(m.sent.timestamp() if m.sent else float("-inf")))


def marked_read(resource: JSON, when: datetime) -> JSON:
    return {**resource, "received": instant(when)}


def addressed_to(resource: JSON, practitioner_id: str) -> bool:
    return any(fhir.reference_id(r, "Practitioner") == practitioner_id for r in fhir.objects(resource, "recipient"))


# ------------------------------------------------------------------ colleagues


def colleagues(bundle: JSON) -> list[Colleague]:
    """Practitioners of a search, with role and wards from their PractitionerRoles when included."""
    roles: dict[str, list[JSON]] = {}
    for entry in fhir.of_type(bundle, "PractitionerRole"):
        practitioner = fhir.reference_id(fhir.obj(entry, "practitioner"), "Practitioner")
        if practitioner and entry.get("active") is not False:
            roles.setdefault(practitioner, []).append(entry)
    found: list[Colleague] = []
    for person in fhir.of_type(bundle, "Practitioner", "match"):
        if person.get("active") is False:
            continue
        id_ = str(person.get("id", ""))
        own = roles.get(id_, [])
        role = mapping.practitioner_role(own) or Role.OTHER
        wards = tuple(dict.fromkeys(w for r in own for loc in fhir.objects(r, "location")
                                    if (w := fhir.display(loc))))
        found.append(Colleague(id=id_, name=fhir.person_name(person) or id_, role=role, wards=wards))
    return found
