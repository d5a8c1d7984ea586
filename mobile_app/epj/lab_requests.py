"""The lab tab's requests: results, microbiology, signing, following and the notification centre.

Each function takes the EpjClient and uses its one HTTP path (so errors map as everywhere else);
the mapping is in labs.py, signing.py and notifications.py. Round trips:

- ``lab_results``: one batch (the first page of lab Observations, newest first, and the patient's
  DiagnosticReports). A longer history costs one more round trip: when the server pages by
  ``_offset`` and gives ``total``, every remaining page is asked for in one batch; otherwise the
  ``next`` links are followed one by one. Pages are of 1,000 (the mock's Observation maximum; a
  server may send fewer), so 2,000 results cost two round trips and 20,000 still two.
- ``microbiology``: one search (reports, ``_include`` results and specimens, and
  ``_include:iterate=Observation:has-member`` for the susceptibility results).
- ``sign_results``: a batch read of the current versions, then one transaction of PUTs.
- ``unsigned_new_results``: one batch (the ward's current stays and unsigned recent results).
- ``notifications``: one batch (Communications to me, Tasks I own).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

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
from mobile_app.epj import fhir, labs, notifications, responses, signing
from mobile_app.epj.errors import BadResponse, Conflict
from mobile_app.epj.fhir import JSON

if TYPE_CHECKING:
    from mobile_app.epj.client import EpjClient

LAB_PAGE = 1000  # results asked for per page; a server may send fewer and a next link
MAX_LAB_PAGES = 20  # stop after 20,000 results (the panel says it is incomplete)
SEARCH_LIMIT = 100
LABORATORY = "laboratory"
MICRO_CATEGORY = f"{labs.REPORT_CATEGORY}|MB"
_UNSIGNED_ELEMENTS = "subject,status,code,effective,value,extension,hasMember,issued"


def _url(resource_type: str, *params: tuple[str, str | int]) -> str:
    return f"{resource_type}?{urlencode([(name, str(value)) for name, value in params])}"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _on_our_server(client: EpjClient, url: str) -> tuple[str, list[tuple[str, str]]]:
    """A next link as (URL on our server's origin, query parameters): a proxy may have rewritten
    the host in it, and the client sends parameters separately."""
    ours, theirs = urlsplit(client.base_url), urlsplit(url)
    plain = theirs._replace(scheme=ours.scheme, netloc=ours.netloc, query="", fragment="").geturl()
    return plain, parse_qsl(theirs.query, keep_blank_values=True)


async def lab_results(client: EpjClient, patient_id: str) -> LabPanel:
    by_patient = ("patient", patient_id)
    entries, _ = await client._batch([
        _url("Observation", by_patient, ("category", LABORATORY), ("_sort", "-date"), ("_count", LAB_PAGE)),
        _url("DiagnosticReport", by_patient, ("_sort", "-date"), ("_count", SEARCH_LIMIT)),
    ], patient_id=patient_id)
    page, reports = (entry.bundle(patient_id) for entry in entries)
    observations = fhir.of_type(page, "Observation", "match")
    pages = 1
    offsets = labs.remaining_pages(page, MAX_LAB_PAGES - 1)
    if offsets:  # the server pages by offset and said how many there are: ask for the rest at once
        more, _ = await client._batch(offsets, patient_id=patient_id)
        for entry in more:
            page = entry.bundle(patient_id)
            observations += fhir.of_type(page, "Observation", "match")
        pages += len(offsets)
    while pages < MAX_LAB_PAGES and (link := labs.next_link(page)) is not None:  # opaque page links
        url, params = _on_our_server(client, link)
        response = await client._request("GET", url, params=params, patient_id=patient_id)
        page = responses.resource(client._body(response), "Bundle")
        observations += fhir.of_type(page, "Observation", "match")
        pages += 1
    try:
        return labs.lab_panel(patient_id, observations, fhir.of_type(reports, "DiagnosticReport", "match"),
                              datetime.now(UTC), complete=labs.next_link(page) is None)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadResponse(f"The EPJ's lab results could not be read: {error}") from error


async def microbiology(client: EpjClient, patient_id: str) -> list[MicroReport]:
    response = await client._request("GET", f"{client.base_url}/DiagnosticReport", params=[
        ("patient", patient_id), ("category", MICRO_CATEGORY), ("_sort", "-date"),
        ("_count", str(SEARCH_LIMIT)), ("_include", "DiagnosticReport:result"),
        ("_include", "DiagnosticReport:specimen"), ("_include:iterate", "Observation:has-member"),
    ], patient_id=patient_id)
    bundle = responses.resource(client._body(response), "Bundle")
    try:
        return labs.micro_reports(bundle)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadResponse(f"The EPJ's microbiology could not be read: {error}") from error


async def _current(client: EpjClient, ids: Iterable[str]) -> dict[str, JSON | None]:
    """The current Observations (None for one that is gone), in one batch."""
    wanted = list(ids)
    entries, _ = await client._batch([f"Observation/{i}" for i in wanted])
    current: dict[str, JSON | None] = {}
    for result_id, entry in zip(wanted, entries, strict=True):
        current[result_id] = None if entry.status in (404, 410) else \
            responses.resource(entry.raise_for_status(), "Observation")
    return current


async def sign_results(client: EpjClient, results: Iterable[ResultVersion | LabResult],
                       signer: Practitioner) -> list[SignedResult]:
    """Sign results all or nothing; SignConflict (a Conflict) when any changed since seen."""
    seen = signing.seen_versions(results)
    if not seen:
        return []
    current = await _current(client, seen)
    changed = signing.changed_results(current, seen)
    if changed:
        raise signing.conflict(changed)
    at = datetime.now(UTC).replace(microsecond=0)  # as stored in signed-at
    bundle = signing.sign_transaction(client.base_url, {k: v for k, v in current.items() if v is not None},
                                      seen, signer, at)
    try:
        response = await client._request("POST", client.base_url, body=bundle)
    except Conflict as error:  # changed between our read and our write: say by whom
        changed = signing.changed_results(await _current(client, seen), seen)
        named = signing.from_diagnostics(error.detail)
        raise signing.conflict(changed or ((named,) if named else ()), error.detail) from error
    entries = responses.batch_entries(client._body(response), len(seen))
    return signing.signed_results(entries, seen, signer, at)


async def unsigned_new_results(client: EpjClient, ward_id: str, now: datetime | None = None) -> set[str]:
    """Patients on the ward with a result from the last 48 hours that nobody has signed.

    The server returns only results of patients the user may see; ``signed-by:missing=true`` asks
    a server that knows the extension's search parameter to leave signed results out, and the
    client checks the signature itself for servers that do not."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=NEW_RESULT_HOURS)
    entries, _ = await client._batch([
        _url("Encounter", ("location", f"Location/{ward_id}"), ("status", "in-progress"),
             ("_elements", "subject"), ("_count", SEARCH_LIMIT)),
        _url("Observation", ("category", LABORATORY), ("date", f"ge{_instant(since)}"),
             ("signed-by:missing", "true"), ("_sort", "-date"), ("_elements", _UNSIGNED_ELEMENTS),
             ("_count", LAB_PAGE)),
    ])
    stays, results = (entry.bundle() for entry in entries)
    return labs.unsigned_patients(fhir.of_type(stays, "Encounter", "match"),
                                  fhir.of_type(results, "Observation", "match"), now)


# ------------------------------------------------------------------ following


async def following(client: EpjClient) -> set[str]:
    return notifications.followed_patients(await _my_subscriptions(client))


async def _my_subscriptions(client: EpjClient) -> list[JSON]:
    """My Subscriptions (the server shows each only to its subscriber), whoever the patient is:
    a patient who has left my ward can still be unfollowed."""
    bundle = await client._search("Subscription", ("status", "requested,active"), ("_count", SEARCH_LIMIT))
    return fhir.of_type(bundle, "Subscription", "match")


async def follow(client: EpjClient, patient_id: str) -> None:
    """Follow a patient's lab results (a conditional create: following twice is harmless)."""
    condition = urlencode([("patient", f"Patient/{patient_id}"), ("status", "requested,active")])
    await client._request("POST", f"{client.base_url}/Subscription", body=notifications.subscription(patient_id),
                          headers={"If-None-Exist": condition}, patient_id=patient_id)


async def unfollow(client: EpjClient, patient_id: str) -> None:
    ids = [str(s.get("id")) for s in await _my_subscriptions(client)
           if patient_id in notifications.criteria_patients(fhir.text(s, "criteria"))]
    if ids:
        bundle = {"resourceType": "Bundle", "type": "transaction",
                  "entry": [{"request": {"method": "DELETE", "url": f"Subscription/{i}"}} for i in ids]}
        await client._request("POST", client.base_url, body=bundle)


# ------------------------------------------------------------------ notifications


async def notifications_for(client: EpjClient, practitioner_id: str,
                            since: datetime | None = None) -> list[Notification]:
    """Lab notifications and messages to me and open tasks I own, newest first. With ``since``
    (the server's time, e.g. ``newest_update`` of what is shown), only those created or changed
    after it."""
    me = f"Practitioner/{practitioner_id}"
    changed = [("_lastUpdated", f"gt{_instant(since)}")] if since else []
    categories = ",".join(f"{fhir.COMMUNICATION_CATEGORY}|{c}" for c in notifications.NOTIFICATION_CATEGORIES)
    entries, _ = await client._batch([
        _url("Communication", ("recipient", me), ("category", categories), *changed, ("_sort", "-sent"),
             ("_count", SEARCH_LIMIT)),
        _url("Task", ("owner", me), ("status", ",".join(notifications.OPEN_TASK_STATUSES)), *changed,
             ("_sort", "-authored-on"), ("_count", SEARCH_LIMIT)),
    ])
    messages, tasks = (entry.bundle() for entry in entries)
    return notifications.notifications(fhir.of_type(messages, "Communication", "match"),
                                       fhir.of_type(tasks, "Task", "match"))


async def mark_notifications_read(client: EpjClient, notification_ids: Iterable[str]) -> int:
    """Mark notifications read (Communication.received, Task requested -> received) in two round
    trips: a batch read, then a batch of updates with If-Match. Returns how many changed; one that
    changed meanwhile is left for the next time."""
    ids = [i for i in dict.fromkeys(notification_ids) if i.split("/")[0] in ("Communication", "Task")]
    if not ids:
        return 0
    entries, _ = await client._batch(ids)
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
    response = await client._request("POST", client.base_url,
                                     body={"resourceType": "Bundle", "type": "batch", "entry": updates})
    return sum(1 for result in responses.batch_entries(client._body(response), len(updates)) if result.status < 300)
