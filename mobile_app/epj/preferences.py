"""The user's ward-list settings (hide empty beds, the order of beds), kept on the EPJ in their name.

Standard FHIR only: a ``List`` (like the recent-patients list) with the code ``ward-list-settings``,
``source`` the user, the bed order in ``List.orderedBy`` (a code of our own system) and whether
empty beds are hidden in an extension. The list has no entries: it is the user's setting, kept
where they log in, not on a shared phone. A server that keeps no such list costs nothing: the
defaults apply. Saving is read-then-write with the version (``If-Match``), or a conditional create.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mobile_app.domain.ward_list import BedOrder, WardListPrefs
from mobile_app.epj import fhir, own_lists
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import FhirTransport, readable

TITLE = "Visitt: innstillinger for sengepostlisten"


def settings_code() -> str:
    """``system|code`` of the settings List (the terminology profile's list code)."""
    return terms().list_code.token(terms().list_code.ward_list_settings)


def settings_list(bundle: JSON) -> JSON | None:
    """The newest settings List of a search."""
    codes = terms().list_code
    found = [r for r in fhir.of_type(bundle, "List", "match")
             if fhir.has_code(fhir.obj(r, "code"), codes.system, codes.ward_list_settings.code)]
    found.sort(key=lambda r: fhir.text(fhir.obj(r, "meta"), "lastUpdated") or "", reverse=True)
    return found[0] if found else None


def prefs_of(resource: JSON | None) -> WardListPrefs:
    """The settings a List holds; what is missing or unknown keeps its default."""
    if resource is None:
        return WardListPrefs()
    hide_empty_beds = terms().extensions.hide_empty_beds
    hide = next((ext.get("valueBoolean") for ext in fhir.objects(resource, "extension")
                 if ext.get("url") == hide_empty_beds), False)
    code = fhir.code_of(fhir.obj(resource, "orderedBy"), terms().ward_list_order.system)
    order = BedOrder(code) if code in {o.value for o in BedOrder} else BedOrder.BED
    return WardListPrefs(hide_empty=hide is True, order=order)


def settings_resource(current: JSON | None, practitioner_id: str, prefs: WardListPrefs, now: datetime) -> JSON:
    profile = terms()
    hide_empty_beds = profile.extensions.hide_empty_beds
    resource: JSON = dict(current) if current else {
        "resourceType": "List", "status": "current", "mode": "working", "title": TITLE,
        "code": {"coding": [profile.list_code.coding(profile.list_code.ward_list_settings)]},
        "source": {"reference": f"Practitioner/{practitioner_id}"},
    }
    others = [ext for ext in fhir.objects(resource, "extension") if ext.get("url") != hide_empty_beds]
    resource["extension"] = [*others, {"url": hide_empty_beds, "valueBoolean": prefs.hide_empty}]
    resource["orderedBy"] = {"coding": [{"system": profile.ward_list_order.system, "code": prefs.order.value}]}
    resource["date"] = now.isoformat(timespec="seconds")
    return resource


async def _current(http: FhirTransport, practitioner_id: str) -> JSON | None:
    bundle = await http.search("List", ("source", f"Practitioner/{practitioner_id}"), ("code", settings_code()))
    with readable("ward-list settings"):
        return settings_list(bundle)


async def ward_list_prefs(http: FhirTransport, practitioner_id: str) -> WardListPrefs:
    current = await _current(http, practitioner_id)
    with readable("ward-list settings"):
        return prefs_of(current)


async def save_ward_list_prefs(http: FhirTransport, practitioner_id: str, prefs: WardListPrefs) -> None:
    """Keep the settings (a newer save from another phone is read and overwritten once: the last
    choice wins, as the user expects of a setting)."""
    current = await _current(http, practitioner_id)
    for attempt in range(2):
        body = settings_resource(current, practitioner_id, prefs, datetime.now(UTC))
        try:
            if await own_lists.save(http, current, body, settings_code(), practitioner_id):
                return
            current = await _current(http, practitioner_id)  # another phone made it first
            continue
        except Conflict:
            if attempt:
                raise
            current = await _current(http, practitioner_id)
    raise Conflict("The ward-list settings kept changing while they were saved")
