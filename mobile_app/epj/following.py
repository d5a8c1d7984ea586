"""Following a patient's lab results, and finding their new results, with what FHIR R4 promises.

Following is the user's own ``List`` (like the recent-patients list): code ``followed-patients``,
``source`` the user, one entry per patient with the time following began (``entry.date``). A
server keeps a practitioner's lists to themselves (the mock does; a colleague never sees them),
and the search names the user as ``source`` on any server. Following twice, or a retried request,
changes nothing: an entry already there is not written again. Saving is read-then-write with the
version (``If-Match``, re-read and retried once when another phone saved first), or a conditional
create the first time.

New results are found by polling with standard searches, not by the server writing messages:
``Observation?patient=a,b,c&category=laboratory&_lastUpdated=gt<last check>`` for every followed
patient in one request. A server that refuses it (403: a patient who has left the user's care)
is asked once more in one batch, one search per patient, and answers what it may. R4
Subscriptions (rest-hook, websocket) are not used: a phone cannot take a rest-hook, and the app
polls every half minute anyway while it is in use. The results of one patient released at the
same time make one notification; the notification centre keeps it read once opened, for the
session (R4 has no place for "this user has seen this result").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from mobile_app.domain import labs as lab_domain
from mobile_app.domain.models import LabFlag, Notification, NotificationKind, NotificationView
from mobile_app.epj import fhir, labs, own_lists
from mobile_app.epj.errors import AccessDenied, Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_instant, search_url

TITLE = "Visitt: pasienter jeg følger prøvesvar for"
LABORATORY = "laboratory"
RESULT_PAGE = 1000  # new results asked for per poll (a server may send fewer)
NEW_RESULT_WINDOW = timedelta(hours=lab_domain.NEW_RESULT_HOURS)  # how far back the first poll looks
NAMES_SHOWN = 6  # result names in a notification's text
RESULTS_PREFIX = "results"  # notification ids: results/<patient>/<released>


# ------------------------------------------------------------------ the List


def follow_code() -> str:
    """``system|code`` of a following List (the terminology profile's list code)."""
    return terms().list_code.token(terms().list_code.followed_patients)


def follow_search(practitioner_id: str) -> str:
    """The search for my following Lists (relative, for a batch)."""
    return search_url("List", ("source", f"Practitioner/{practitioner_id}"), ("code", follow_code()),
                      ("_count", SEARCH_LIMIT))


def follow_lists(bundle: JSON, practitioner_id: str) -> list[JSON]:
    """My following Lists of a search, newest first (a server that shows others' lists too has
    them left out: only a list whose source is me counts)."""
    me = f"Practitioner/{practitioner_id}"
    codes = terms().list_code
    found = [r for r in fhir.of_type(bundle, "List", "match")
             if fhir.has_code(fhir.obj(r, "code"), codes.system, codes.followed_patients.code)
             and fhir.reference_key(fhir.obj(r, "source")) == me and r.get("status", "current") == "current"]
    found.sort(key=lambda r: fhir.text(fhir.obj(r, "meta"), "lastUpdated") or "", reverse=True)
    return found


def followed(lists: Iterable[JSON]) -> dict[str, datetime | None]:
    """Followed patient -> since when (the earliest entry date; None: not known), from every list
    of mine."""
    found: dict[str, datetime | None] = {}
    for resource in lists:
        for entry in fhir.objects(resource, "entry"):
            patient = fhir.reference_id(fhir.obj(entry, "item"), "Patient")
            if patient is None or entry.get("deleted") is True:
                continue
            since = fhir.parse_instant(entry.get("date"))
            if patient in found:
                known = found[patient]
                if known is None or (since is not None and known <= since):
                    continue
            found[patient] = since
    return found


def with_patient(current: JSON | None, practitioner_id: str, patient_id: str, now: datetime) -> JSON | None:
    """The List with ``patient_id`` added; None when it is already there (nothing to write)."""
    entries = [e for e in fhir.objects(current, "entry") if e.get("deleted") is not True]
    if any(fhir.reference_id(fhir.obj(e, "item"), "Patient") == patient_id for e in entries):
        return None
    resource: JSON = dict(current) if current else {
        "resourceType": "List", "status": "current", "mode": "working", "title": TITLE,
        "code": {"coding": [terms().list_code.coding(terms().list_code.followed_patients)]},
        "source": {"reference": f"Practitioner/{practitioner_id}"},
    }
    stamp = now.isoformat(timespec="seconds")
    resource["entry"] = [*entries, {"item": {"reference": f"Patient/{patient_id}"}, "date": stamp}]
    resource["date"] = stamp
    return resource


def without_patient(current: JSON | None, patient_id: str, now: datetime) -> JSON | None:
    """The List without ``patient_id``; None when it is not there (nothing to write)."""
    entries = fhir.objects(current, "entry")
    kept = [e for e in entries if fhir.reference_id(fhir.obj(e, "item"), "Patient") != patient_id]
    if current is None or len(kept) == len(entries):
        return None
    resource = {**current, "date": now.isoformat(timespec="seconds")}
    resource["entry"] = kept
    if not kept:
        del resource["entry"]
    return resource


async def _mine(http: FhirTransport, practitioner_id: str) -> list[JSON]:
    bundle = await http.search("List", ("source", f"Practitioner/{practitioner_id}"), ("code", follow_code()),
                               ("_count", SEARCH_LIMIT))
    with readable("followed patients"):
        return follow_lists(bundle, practitioner_id)


async def following(http: FhirTransport, practitioner_id: str) -> set[str]:
    return set(followed(await _mine(http, practitioner_id)))


async def follow(http: FhirTransport, practitioner_id: str, patient_id: str, now: datetime) -> None:
    """Add the patient to my List (made the first time); nothing is written when already there."""
    lists = await _mine(http, practitioner_id)
    if patient_id in followed(lists):
        return
    current = lists[0] if lists else None
    for attempt in range(2):
        body = with_patient(current, practitioner_id, patient_id, now)
        if body is None:
            return
        try:
            if await own_lists.save(http, current, body, follow_code(), practitioner_id):
                return
        except Conflict:
            if attempt:
                raise
        lists = await _mine(http, practitioner_id)  # another phone saved first: add to what it saved
        current = lists[0] if lists else None
    raise Conflict("The list of followed patients kept changing while it was saved")


async def unfollow(http: FhirTransport, practitioner_id: str, patient_id: str, now: datetime) -> None:
    """Take the patient off every List of mine that has them; nothing is written when none has."""
    lists = await _mine(http, practitioner_id)
    for attempt in range(2):
        try:
            for resource in lists:
                body = without_patient(resource, patient_id, now)
                if body is not None:
                    await own_lists.save(http, resource, body, follow_code(), practitioner_id)
            return
        except Conflict:
            if attempt:
                raise
            lists = await _mine(http, practitioner_id)  # another phone saved meanwhile


# ------------------------------------------------------------------ new results


def new_results_params(patients: Iterable[str], since: datetime) -> list[tuple[str, str | int]]:
    """The search for lab results of these patients created or changed after ``since`` (the
    server's clock)."""
    return [("patient", ",".join(sorted(patients))), ("category", LABORATORY),
            ("_lastUpdated", f"gt{search_instant(since)}"), ("_sort", "-date"), ("_count", RESULT_PAGE)]


def _released(resource: JSON) -> str:
    return fhir.text(resource, "issued") or fhir.text(fhir.obj(resource, "meta"), "lastUpdated") or ""


def result_notifications(observations: Iterable[JSON], followed_since: Mapping[str, datetime | None],
                         read: Iterable[str] = ()) -> list[Notification]:
    """One notification per followed patient and release (results issued together), of results
    changed after following began; newest first. ``read``: ids the user has opened."""
    opened = set(read)
    groups: dict[tuple[str, str], list[JSON]] = {}
    for resource in observations:
        patient = fhir.reference_id(fhir.obj(resource, "subject"), "Patient")
        if patient is None or patient not in followed_since or resource.get("status") == "entered-in-error":
            continue
        changed = fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated"))
        since = followed_since[patient]
        if since is not None and changed is not None and changed <= since:
            continue
        groups.setdefault((patient, _released(resource)), []).append(resource)
    found: list[Notification] = []
    for (patient, released), resources in groups.items():
        names = list(dict.fromkeys(fhir.concept_text(fhir.obj(r, "code")) or "?" for r in resources))
        text = ", ".join(names[:NAMES_SHOWN]) + (" …" if len(names) > NAMES_SHOWN else "")
        results = [r for resource in resources if (r := labs.lab_result(resource)) is not None]
        updated = [u for r in resources if (u := fhir.parse_instant(fhir.obj(r, "meta").get("lastUpdated")))]
        notification_id = f"{RESULTS_PREFIX}/{patient}/{released}"
        found.append(Notification(
            id=notification_id, kind=NotificationKind.LAB_RESULT, text=text,
            time=fhir.parse_instant(released) or max(updated, default=None), read=notification_id in opened,
            patient_id=patient, open_view=NotificationView.LAB, updated=max(updated, default=None),
            urgent=any(r.flag.is_critical for r in results if r.flag is not LabFlag.UNKNOWN)))
    return found


def is_result_notification(notification_id: str) -> bool:
    return notification_id.startswith(f"{RESULTS_PREFIX}/")


async def new_results(http: FhirTransport, followed_since: Mapping[str, datetime | None], since: datetime | None,
                      now: datetime) -> list[Notification]:
    """Notifications of the followed patients' results changed after ``since`` (the first time:
    of the last 48 hours): one search for all of them, or, when the server refuses it, one batch
    of a search per patient (a patient no longer in the user's care gives nothing)."""
    if not followed_since:
        return []
    after = since or now - NEW_RESULT_WINDOW
    patients = sorted(followed_since)
    observations: list[JSON] = []
    try:
        bundle = await http.search("Observation", *new_results_params(patients, after))
        observations = fhir.of_type(bundle, "Observation", "match")
    except AccessDenied:
        if len(patients) > 1:
            entries, _ = await http.batch([search_url("Observation", *new_results_params([p], after))
                                           for p in patients])
            for entry in entries:
                if entry.status < 300:
                    observations += fhir.of_type(entry.bundle(), "Observation", "match")
    with readable("new lab results"):
        return result_notifications(observations, followed_since)
