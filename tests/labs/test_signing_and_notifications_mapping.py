"""Pure parts of signing, following and the notification centre: FHIR in, FHIR or models out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mobile_app.domain.models import (
    ChangedResult,
    LabResult,
    NotificationKind,
    NotificationView,
    Practitioner,
    ResultVersion,
)
from mobile_app.epj import notifications as n
from mobile_app.epj import signing
from mobile_app.epj.errors import Conflict
from mobile_app.epj.responses import EntryResponse

from .samples import SIGNED_AT, SIGNED_BY, observation

AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
LEGE1 = Practitioner(id="prac-001", name="Kari Nordmann")
MODIFIED_BY = "https://visitt.example.no/fhir/StructureDefinition/last-modified-by"
CATEGORY = "https://visitt.example.no/fhir/CodeSystem/communication-category"


def test_signing_adds_the_two_extensions_and_replaces_an_earlier_signature() -> None:
    old = observation(extension=[{"url": "urn:other", "valueString": "kept"},
                                 {"url": SIGNED_BY, "valueReference": {"reference": "Practitioner/x"}}])
    done = signing.signed(old, LEGE1, AT)
    assert done["extension"] == [
        {"url": "urn:other", "valueString": "kept"},
        {"url": SIGNED_BY, "valueReference": {"reference": "Practitioner/prac-001", "display": "Kari Nordmann"}},
        {"url": SIGNED_AT, "valueDateTime": "2026-11-28T09:30:00+00:00"}]
    assert old["extension"][1]["valueReference"]["reference"] == "Practitioner/x"  # the input is untouched


def test_the_transaction_puts_each_result_only_if_it_is_the_version_seen() -> None:
    bundle = signing.sign_transaction("https://epj/fhir", {"a": observation("a"), "b": observation("b")},
                                      {"a": "2", "b": "5"}, LEGE1, AT)
    assert bundle["type"] == "transaction"
    assert [e["request"] for e in bundle["entry"]] == [
        {"method": "PUT", "url": "Observation/a", "ifMatch": 'W/"2"'},
        {"method": "PUT", "url": "Observation/b", "ifMatch": 'W/"5"'}]
    assert [e["fullUrl"] for e in bundle["entry"]] == ["https://epj/fhir/Observation/a", "https://epj/fhir/Observation/b"]


def test_seen_versions_come_from_results_or_plain_versions_and_must_exist() -> None:
    assert signing.seen_versions([ResultVersion(id="a", version="2"),
                                  LabResult(id="b", code="c", name="n", version="4")]) == {"a": "2", "b": "4"}
    with pytest.raises(ValueError, match="no version"):
        signing.seen_versions([LabResult(id="b", code="c", name="n")])


def test_signed_results_carry_the_new_versions() -> None:
    entries = [EntryResponse(200, observation("a", version="3")), EntryResponse(200, None, 'W/"7"')]
    done = signing.signed_results(entries, {"a": "2", "b": "6"}, LEGE1, AT)
    assert [(s.id, s.version, s.signature.name, s.signature.at) for s in done] == [
        ("a", "3", "Kari Nordmann", AT), ("b", "7", "Kari Nordmann", AT)]


def test_changed_results_name_who_changed_them_and_when() -> None:
    changed = observation("a", version="3")
    changed["meta"].update(lastUpdated="2026-11-28T08:00:00.000Z", extension=[
        {"url": MODIFIED_BY, "valueReference": {"reference": "Practitioner/prac-002", "display": "Ola Hansen"}}])
    found = signing.changed_results({"a": changed, "b": observation("b", version="1"), "c": None},
                                    {"a": "2", "b": "1", "c": "4"})
    assert found == (
        ChangedResult(id="a", name="P-Kalium", seen_version="2", version="3", changed_by="Ola Hansen",
                      changed_at=datetime(2026, 11, 28, 8, 0, tzinfo=UTC)),
        ChangedResult(id="c", seen_version="4"))


def test_the_conflict_is_a_conflict_that_says_what_changed() -> None:
    error = signing.conflict((ChangedResult(id="a", name="P-Kalium", changed_by="Ola Hansen",
                                            changed_at=datetime(2026, 11, 28, 8, 0, tzinfo=UTC), version="3"),))
    assert isinstance(error, Conflict)
    assert "P-Kalium was changed by Ola Hansen at 2026-11-28T08:00" in str(error)
    assert "Nothing was signed" in str(error)
    assert (error.changed_by, error.current_version, error.status) == ("Ola Hansen", "3", 412)


def test_the_servers_412_text_names_the_result_and_who_saved_it() -> None:
    text = ("Bundle.entry[0]: Version conflict on Observation/obs-1: you edited version 1, but version 2 was"
            " saved by Ola Hansen at 2026-11-28T08:00:00.123Z. Reload and apply your change again.")
    assert signing.from_diagnostics(text) == ChangedResult(
        id="obs-1", seen_version="1", version="2", changed_by="Ola Hansen",
        changed_at=datetime(2026, 11, 28, 8, 0, 0, 123000, tzinfo=UTC))
    assert signing.from_diagnostics("Precondition failed") is None


# ------------------------------------------------------------------ following


def test_a_subscription_follows_one_patients_lab_results() -> None:
    found = n.subscription("pat-1")
    assert found["criteria"] == "Observation?patient=Patient/pat-1&category=laboratory"
    assert found["channel"] == {"type": "message"}


@pytest.mark.parametrize(("criteria", "patients"), [
    ("Observation?patient=Patient/1&category=laboratory", ["1"]),
    ("Observation?subject=2", ["2"]),
    ("Observation?patient=http://x/fhir/Patient/3,Patient/4", ["3", "4"]),
    ("Observation?category=laboratory", []),
    (None, []),
])
def test_patients_are_read_from_the_criteria(criteria: str | None, patients: list[str]) -> None:
    assert n.criteria_patients(criteria) == patients


def test_only_live_subscriptions_on_observations_count_as_following() -> None:
    subscriptions = [
        {"status": "active", "criteria": "Observation?patient=Patient/1"},
        {"status": "requested", "criteria": "Observation?patient=Patient/2"},
        {"status": "off", "criteria": "Observation?patient=Patient/3"},
        {"status": "active", "criteria": "Encounter?patient=Patient/4"},
    ]
    assert n.followed_patients(subscriptions) == {"1", "2"}


# ------------------------------------------------------------------ notifications


def communication(category: str, comm_id: str = "c1", **extra: object) -> dict[str, object]:
    return {"resourceType": "Communication", "id": comm_id, "status": "completed",
            "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
            "sent": "2026-11-28T08:00:00Z", "payload": [{"contentString": "Nye prøvesvar: P-CRP 52 mg/L"}],
            "meta": {"lastUpdated": "2026-11-28T08:00:01.000Z"}, **extra}


def task(status: str, task_id: str = "t1", **extra: object) -> dict[str, object]:
    return {"resourceType": "Task", "id": task_id, "status": status, "intent": "order",
            "description": "Vurder dagens blodprøvesvar", "authoredOn": "2026-11-28T07:00:00Z",
            "requester": {"reference": "Practitioner/p2", "display": "Ola Hansen"}, **extra}


def test_a_lab_notification_opens_the_patients_lab_tab() -> None:
    found = n.communication_notification(communication("lab-notification", subject={"reference": "Patient/p1"}))
    assert found is not None
    assert (found.id, found.kind, found.open_view, found.patient_id, found.read) == (
        "Communication/c1", NotificationKind.LAB_RESULT, NotificationView.LAB, "p1", False)
    assert found.text == "Nye prøvesvar: P-CRP 52 mg/L"
    assert found.updated == datetime(2026, 11, 28, 8, 0, 1, tzinfo=UTC)


def test_a_message_about_a_patient_opens_the_patient_and_one_without_opens_itself() -> None:
    about = n.communication_notification(communication(
        "internal-message", subject={"reference": "Patient/p1"}, sender={"display": "Ola Hansen"},
        received="2026-11-28T08:05:00Z"))
    plain = n.communication_notification(communication("internal-message"))
    assert about is not None and (about.kind, about.open_view, about.sender, about.read) == (
        NotificationKind.MESSAGE, NotificationView.OVERVIEW, "Ola Hansen", True)
    assert plain is not None and (plain.open_view, plain.patient_id) == (NotificationView.MESSAGE, None)


def test_other_communications_are_not_notifications() -> None:
    assert n.communication_notification(communication("plo")) is None
    assert n.communication_notification(communication("lab-notification", status="entered-in-error")) is None


@pytest.mark.parametrize(("status", "read"), [("requested", False), ("received", True), ("accepted", True),
                                              ("in-progress", True)])
def test_open_tasks_are_notifications_unread_until_received(status: str, read: bool) -> None:
    found = n.task_notification({**task(status, priority="urgent"), "for": {"reference": "Patient/p1"}})
    assert found is not None
    assert (found.kind, found.read, found.patient_id, found.open_view, found.urgent, found.sender) == (
        NotificationKind.TASK, read, "p1", NotificationView.OVERVIEW, True, "Ola Hansen")


@pytest.mark.parametrize("status", ["completed", "cancelled", "draft", "entered-in-error"])
def test_closed_tasks_are_not_notifications(status: str) -> None:
    assert n.task_notification(task(status)) is None


def test_notifications_come_newest_first() -> None:
    found = n.notifications([communication("lab-notification", "c1", sent="2026-11-28T06:00:00Z"),
                             communication("internal-message", "c2", sent="2026-11-28T09:00:00Z")],
                            [task("requested", "t1", authoredOn="2026-11-28T07:00:00Z")])
    assert [x.id for x in found] == ["Communication/c2", "Task/t1", "Communication/c1"]
    assert n.newest_update(found) == datetime(2026, 11, 28, 8, 0, 1, tzinfo=UTC)
    assert n.newest_update([]) is None


def test_marking_read_sets_received_or_moves_a_task_to_received() -> None:
    assert n.marked_read(communication("lab-notification"), AT) == {
        **communication("lab-notification"), "received": "2026-11-28T09:30:00+00:00"}
    assert n.marked_read(communication("lab-notification", received="x"), AT) is None
    assert n.marked_read(task("requested"), AT) == {**task("requested"), "status": "received"}
    assert n.marked_read(task("in-progress"), AT) is None
    with pytest.raises(ValueError):
        n.marked_read({"resourceType": "Observation"}, AT)
