"""Reading FHIR R4 JSON defensively: elements, data types, references and Bundles.

Everything here takes parsed JSON and never raises on odd but valid FHIR: a missing element is
``None`` or empty, a list element that is not an object is skipped. The standard code and
identifier systems the app relies on are named here once; local ones are in terminology.py.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

JSON = dict[str, Any]

# Identifier systems (HL7 Norway basis profiles, GS1).
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR = "urn:oid:2.16.578.1.12.4.1.4.2"
FHN = "urn:oid:2.16.578.1.12.4.1.4.3"
GSRN = "https://www.gs1.org/gsrn"
PERSON_IDENTIFIER_SYSTEMS = (FNR, DNR, FHN)  # in order of preference

# HL7 code systems.
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
HPR_CATEGORY = "urn:oid:2.16.578.1.12.4.1.1.9060"  # Volven 9060: the HPR register's health-personnel categories
SUBSETTED = "SUBSETTED"

RFC3986 = "urn:ietf:rfc:3986"  # identifiers that are URIs, e.g. urn:uuid:...
# The hospital's local code systems are not named here: they come from the terminology profile
# (terminology.py).

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)


# ------------------------------------------------------------------ elements


def obj(node: Any, key: str) -> JSON:
    """The object at ``node[key]``, or an empty one."""
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def objects(node: Any, key: str) -> list[JSON]:
    """The objects in the list at ``node[key]`` (a single object counts as a list of one)."""
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def text(node: Any, key: str) -> str | None:
    """A non-blank string at ``node[key]``, stripped."""
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def strings(node: Any, key: str) -> list[str]:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def number(node: Any, key: str) -> float | None:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def first(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)


# ------------------------------------------------------------------ dates


def parse_date(value: Any) -> date | None:
    """A FHIR ``date``; partial dates (``1960`` or ``1960-09``) are too vague to use and give None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10]) if len(value.strip()) >= 10 else None
    except ValueError:
        return None


def parse_instant(value: Any) -> datetime | None:
    """A FHIR ``dateTime`` or ``instant`` as an aware datetime.

    A date without a time (``2026-11-24``, ``2026-11``, ``2026``) is read as the start of that day,
    month or year in UTC; a time without an offset (not valid FHIR, but seen) is taken as UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    partial = _PARTIAL_DATE.match(raw)
    try:
        if partial:
            year, month, day = partial.groups()
            return datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def first_instant(node: Any, *keys: str) -> datetime | None:
    """The first of several dateTime elements that is present, e.g. effective or issued."""
    for name in keys:
        found = parse_instant(node.get(name) if isinstance(node, dict) else None)
        if found is not None:
            return found
    return None


def period_start(node: Any, key: str = "period") -> datetime | None:
    return parse_instant(obj(node, key).get("start"))


def period_end(node: Any, key: str = "period") -> datetime | None:
    return parse_instant(obj(node, key).get("end"))


# ------------------------------------------------------------------ codes


def codings(concept: Any) -> list[JSON]:
    return objects(concept, "coding")


def has_code(concept: Any, system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in codings(concept))


def has_code_in(concepts: Iterable[JSON], system: str, code: str) -> bool:
    return any(has_code(concept, system, code) for concept in concepts)


def code_of(concept: Any, system: str | None = None) -> str | None:
    """The code of the first coding (of ``system``, when given)."""
    for coding in codings(concept):
        if system is None or coding.get("system") == system:
            found = text(coding, "code")
            if found:
                return found
    return None


def concept_text(concept: Any) -> str | None:
    """What a person reads for a CodeableConcept: its text, else a display, else a code."""
    if not isinstance(concept, dict):
        return None
    return first([text(concept, "text"), *(text(c, "display") for c in codings(concept)),
                  *(text(c, "code") for c in codings(concept))])


def is_subsetted(resource: JSON) -> bool:
    """Whether the server left elements out (``meta.tag`` SUBSETTED): absent is not empty."""
    return any(tag.get("code") == SUBSETTED for tag in objects(obj(resource, "meta"), "tag"))


def version_id(resource: JSON) -> str | None:
    return text(obj(resource, "meta"), "versionId")


# ------------------------------------------------------------------ references


def _reference_parts(reference: Any) -> tuple[str, str] | None:
    """(type, id) of a literal reference: ``Patient/1``, an absolute URL or one with ``_history``."""
    ref = text(reference, "reference") if isinstance(reference, dict) else None
    if ref is None or ref.startswith(("#", "urn:")):
        return None
    parts = ref.split("?")[0].rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2 or not parts[-2] or not parts[-1]:
        return None
    return parts[-2], parts[-1]


def reference_id(reference: Any, resource_type: str | None = None) -> str | None:
    """The id a Reference points at (if it is a ``resource_type``); None for a display-only,
    contained or conditional reference."""
    parts = _reference_parts(reference)
    if parts is None or (resource_type is not None and parts[0] != resource_type):
        return None
    return parts[1]


def reference_key(reference: Any) -> str | None:
    """``Type/id`` of a reference, for looking it up among a Bundle's resources."""
    parts = _reference_parts(reference)
    return f"{parts[0]}/{parts[1]}" if parts else None


def display(reference: Any) -> str | None:
    return text(reference, "display")


def key(resource: JSON) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


# ------------------------------------------------------------------ names, telecom, identifiers


def _preferred_name(names: list[JSON]) -> JSON | None:
    usable = [n for n in names if n.get("use") not in ("old", "anonymous")
              and not obj(n, "period").get("end")] or names
    for use in ("official", "usual"):
        for name in usable:
            if name.get("use") == use:
                return name
    return usable[0] if usable else None


def family_and_given(resource: JSON) -> tuple[str, str]:
    """(family, given names) of a person; a name with only ``text`` is split at its last word."""
    name = _preferred_name(objects(resource, "name"))
    if name is None:
        return "", ""
    family = text(name, "family")
    given = " ".join(strings(name, "given"))
    if family is None and not given:
        words = (text(name, "text") or "").split()
        if len(words) > 1:
            return words[-1], " ".join(words[:-1])
        return (words[0] if words else ""), ""
    return family or "", given


def person_name(resource: JSON) -> str | None:
    """A person's full name as written (``text``) or put together from its parts."""
    name = _preferred_name(objects(resource, "name"))
    if name is None:
        return None
    if text(name, "text"):
        return text(name, "text")
    joined = " ".join([*strings(name, "given"), text(name, "family") or ""]).strip()
    return joined or None


def phone(resource: JSON) -> str | None:
    """The first phone number, a mobile one preferred."""
    phones = [t for t in objects(resource, "telecom") if t.get("system") == "phone" and text(t, "value")]
    phones.sort(key=lambda t: t.get("use") != "mobile")
    return text(phones[0], "value") if phones else None


def client_id(resource: JSON) -> str | None:
    """The writer's own id for a resource: its identifier ``urn:ietf:rfc:3986|urn:uuid:<id>``."""
    value = identifier_value(resource, RFC3986)
    return value.removeprefix("urn:uuid:") if value and value.startswith("urn:uuid:") else None


def identifier_value(resource: JSON, system: str) -> str | None:
    for identifier in objects(resource, "identifier"):
        if identifier.get("system") == system and text(identifier, "value"):
            return text(identifier, "value")
    return None


# ------------------------------------------------------------------ attachments


def attachment_text(attachment: JSON) -> str | None:
    """The text of a plain-text attachment's inline base64 ``data`` in its charset (UTF-8 if not
    given); None for other content types, links only, or data that does not decode."""
    content_type = text(attachment, "contentType") or "text/plain"
    if not content_type.lower().startswith("text/plain"):
        return None
    data = text(attachment, "data")
    if data is None:
        return None
    match = _CHARSET.search(content_type)
    charset = match.group(1) if match else "utf-8"
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
        return raw.decode(charset)
    except (binascii.Error, ValueError, LookupError):
        return None


# ------------------------------------------------------------------ Bundles


def entries(bundle: JSON, mode: str | None = None) -> Iterator[JSON]:
    """The resources of a searchset Bundle (of a search ``mode``: match or include)."""
    for entry in objects(bundle, "entry"):
        resource = entry.get("resource")
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            continue
        if mode is None or obj(entry, "search").get("mode", "match") == mode:
            yield resource


def of_type(bundle: JSON, resource_type: str, mode: str | None = None) -> list[JSON]:
    return [r for r in entries(bundle, mode) if r["resourceType"] == resource_type]


def by_key(bundle: JSON) -> dict[str, JSON]:
    """Every resource of a Bundle by ``Type/id``."""
    return {key(r): r for r in entries(bundle)}


def next_link(bundle: JSON) -> str | None:
    """The URL of a searchset's next page, if any."""
    return next((url for link in objects(bundle, "link")
                 if link.get("relation") == "next" and (url := text(link, "url"))), None)
