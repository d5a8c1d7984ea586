"""The lab tab's requests: results, microbiology, signing, following and the notification centre.

Each function takes the FhirTransport (transport.py), the one HTTP path, so errors map as everywhere
else; the mapping is in labs.py, signing.py, following.py and notifications.py. Round trips:

- ``lab_results``: one batch (the first page of lab Observations, newest first, with the
  Provenances that sign them, ``_revinclude=Provenance:target``, and the patient's
  DiagnosticReports). A longer history costs one round trip per further page: paging follows the
  server's ``next`` links only (FHIR promises nothing else: no page URL is made up). Pages are of
  1,000 (the mock's Observation maximum; a server may send fewer), so 2,000 results cost two round
  trips.
- ``microbiology``: one search (reports, ``_include`` results and specimens, and
  ``_include:iterate=Observation:has-member`` for the susceptibility results).
- ``sign_results``: a batch read of the current versions, then one transaction creating a
  Provenance per result (the Observations are not touched).
- ``unsigned_new_results``: one batch (the ward's current stays, and recent results with their
  Provenances: unsigned is computed here, from standard data).
- ``notifications``: one batch (Communications to me, Tasks I own, my following List), and one
  more search when I follow anyone: their results changed since the last check (following.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from mobile_app.domain.labs import NEW_RESULT_HOURS
from mobile_app.domain.models import (
    LabPanel,
    LabResult,
    MicroReport,
    Notification,
    Practitioner,
    ResultVersion,
    SignedResult,
)
from mobile_app.epj import fhir, following, labs, notifications, responses, signing
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_instant, search_url

LAB_PAGE = 1000  # results asked for per page; a server may send fewer and a next link
MAX_LAB_PAGES = 20  # stop after 20,000 results (the panel says it is incomplete)
LABORATORY = "laboratory"
MICRO_CATEGORY = f"{labs.REPORT_CATEGORY}|MB"
UNSIGNED_ELEMENTS = "subject,status,code,effective,value,hasMember,issued"  # of a result
SIGNATURES = ("_revinclude", "Provenance:target")  # the Provenances that sign the results found


def ward_stays(ward_id: str) -> str:
    """The search for the patients now on a ward (their current stays: subject and period)."""
    return search_url("Encounter", ("location", f"Location/{ward_id}"), ("status", "in-progress"),
                      ("_elements", "subject,period"), ("_count", SEARCH_LIMIT))


def unsigned_results(since: datetime) -> str:
    """The search for lab results since ``since`` with the Provenances that sign them: the client
    tells the unsigned ones (labs.unsigned_among) from standard data, on any server."""
    return search_url("Observation", ("category", LABORATORY), ("date", f"ge{search_instant(since)}"),
                      ("_sort", "-date"), ("_elements", UNSIGNED_ELEMENTS), SIGNATURES, ("_count", LAB_PAGE))


async def lab_results(http: FhirTransport, patient_id: str) -> LabPanel:
    by_patient = ("patient", patient_id)
    entries, _ = await http.batch([
        search_url("Observation", by_patient, ("category", LABORATORY), ("_sort", "-date"), SIGNATURES,
                   ("_count", LAB_PAGE)),
        search_url("DiagnosticReport", by_patient, ("_sort", "-date"), ("_count", SEARCH_LIMIT)),
    ], patient_id=patient_id)
    page, reports = (entry.bundle(patient_id) for entry in entries)
    observations = fhir.of_type(page, "Observation", "match")
    provenances = fhir.of_type(page, "Provenance", "include")
    last = page
    async for last in http.pages(page, limit=MAX_LAB_PAGES - 1, patient_id=patient_id):  # next links only
        observations += fhir.of_type(last, "Observation", "match")
        provenances += fhir.of_type(last, "Provenance", "include")
    with readable("lab results"):
        return labs.lab_panel(patient_id, observations, fhir.of_type(reports, "DiagnosticReport", "match"),
                              datetime.now(UTC), complete=fhir.next_link(last) is None, provenances=provenances)


async def microbiology(http: FhirTransport, patient_id: str) -> list[MicroReport]:
    bundle = await http.search(
        "DiagnosticReport", ("patient", patient_id), ("category", MICRO_CATEGORY), ("_sort", "-date"),
        ("_count", SEARCH_LIMIT), ("_include", "DiagnosticReport:result"),
        ("_include", "DiagnosticReport:specimen"), ("_include:iterate", "Observation:has-member"),
        patient_id=patient_id)
    with readable("microbiology"):
        return labs.micro_reports(bundle)


async def _current(http: FhirTransport, ids: Iterable[str]) -> dict[str, JSON | None]:
    """The current Observations (None for one that is gone), in one batch."""
    wanted = list(ids)
    entries, _ = await http.batch([f"Observation/{i}" for i in wanted])
    current: dict[str, JSON | None] = {}
    for result_id, entry in zip(wanted, entries, strict=True):
        current[result_id] = None if entry.status in (404, 410) else \
            responses.resource(entry.raise_for_status(), "Observation")
    return current


async def sign_results(http: FhirTransport, results: Iterable[ResultVersion | LabResult],
                       signer: Practitioner) -> list[SignedResult]:
    """Sign results all or nothing, as Provenances on the versions seen; SignConflict (a Conflict)
    when any changed since seen."""
    seen = signing.seen_versions(results)
    if not seen:
        return []
    changed = signing.changed_results(await _current(http, seen), seen)
    if changed:
        raise signing.conflict(changed)
    at = datetime.now(UTC).replace(microsecond=0)
    response = await http.request("POST", http.base_url, body=signing.sign_transaction(seen, signer, at))
    entries = responses.batch_entries(http.body(response), len(seen))
    return signing.signed_results(entries, seen, signer, at)


async def unsigned_new_results(http: FhirTransport, ward_id: str, now: datetime | None = None) -> set[str]:
    """Patients on the ward with a result from the last 48 hours that nobody has signed (no
    Provenance signs its current version). The server returns only results of patients the user
    may see."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=NEW_RESULT_HOURS)
    entries, _ = await http.batch([ward_stays(ward_id), unsigned_results(since)])
    stays, results = (entry.bundle() for entry in entries)
    return labs.unsigned_patients(fhir.of_type(stays, "Encounter", "match"),
                                  fhir.of_type(results, "Observation", "match"), now,
                                  provenances=fhir.of_type(results, "Provenance", "include"))


# ------------------------------------------------------------------ notifications


async def notifications_for(http: FhirTransport, practitioner_id: str,
                            since: datetime | None = None) -> list[Notification]:
    """New results of the patients I follow, lab notifications and messages to me and open tasks I
    own, newest first. With ``since`` (the server's time, e.g. ``newest_update`` of what is shown),
    only those created or changed after it."""
    me = f"Practitioner/{practitioner_id}"
    changed = [("_lastUpdated", f"gt{search_instant(since)}")] if since else []
    known = terms().communication_category
    categories = ",".join(known.token(c) for c in notifications.notification_categories())
    entries, _ = await http.batch([
        search_url("Communication", ("recipient", me), ("category", categories), *changed, ("_sort", "-sent"),
                   ("_count", SEARCH_LIMIT)),
        search_url("Task", ("owner", me), ("status", ",".join(notifications.OPEN_TASK_STATUSES)), *changed,
                   ("_sort", "-authored-on"), ("_count", SEARCH_LIMIT)),
        following.follow_search(practitioner_id),
    ])
    messages, tasks = (entry.bundle() for entry in entries[:2])
    lists = entries[2].optional_bundle()  # a server without such lists: nobody is followed
    with readable("followed patients"):
        followed = following.followed(following.follow_lists(lists, practitioner_id))
    results = await following.new_results(http, followed, since, datetime.now(UTC))
    found = notifications.notifications(fhir.of_type(messages, "Communication", "match"),
                                        fhir.of_type(tasks, "Task", "match"))
    return notifications.newest_first([*found, *results])


async def mark_notifications_read(http: FhirTransport, notification_ids: Iterable[str]) -> int:
    """Mark notifications read (Communication.received, Task requested -> received) in two round
    trips: a batch read, then a batch of updates with If-Match. Returns how many changed; one that
    changed meanwhile is left for the next time."""
    ids = [i for i in dict.fromkeys(notification_ids) if i.split("/")[0] in ("Communication", "Task")]
    if not ids:
        return 0
    entries, _ = await http.batch(ids)
    now = datetime.now(UTC)
    updates: list[JSON] = []
    for entry in entries:
        if entry.status >= 300 or entry.resource is None:
            continue
        updated = notifications.marked_read(entry.resource, now)
        if updated is None:
            continue
        request: JSON = {"method": "PUT", "url": fhir.key(entry.resource)}
        if version := fhir.version_id(entry.resource):
            request["ifMatch"] = f'W/"{version}"'
        updates.append({"resource": updated, "request": request})
    if not updates:
        return 0
    response = await http.request("POST", http.base_url,
                                  body={"resourceType": "Bundle", "type": "batch", "entry": updates})
    return sum(1 for result in responses.batch_entries(http.body(response), len(updates)) if result.status < 300)
