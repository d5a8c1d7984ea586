"""Pure parts of signing, following and the notification centre: FHIR in, FHIR or models out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.domain.models import (
    ChangedResult,
    LabResult,
    NotificationKind,
    NotificationView,
    Practitioner,
    ResultVersion,
)
from mobile_app.epj import following, signing
from mobile_app.epj import notifications as n
from mobile_app.epj.errors import Conflict
from mobile_app.epj.responses import EntryResponse
from tests.support.lab_samples import observation

AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
LEGE1 = Practitioner(id="prac-001", name="Kari Nordmann")
MODIFIED_BY = "https://visitt.example.no/fhir/StructureDefinition/last-modified-by"
CATEGORY = "https://visitt.example.no/fhir/CodeSystem/communication-category"


def test_a_signature_is_a_provenance_on_the_version_seen() -> None:
    found = signing.provenance("a", "2", LEGE1, AT)
    me = {"reference": "Practitioner/prac-001", "display": "Kari Nordmann"}
    assert found["target"] == [{"reference": "Observation/a/_history/2"}]
    assert found["recorded"] == "2026-11-28T09:30:00+00:00"
    assert found["activity"]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
                                              "code": "verify", "display": "Verify Record Lifecycle Event"}
    assert found["agent"] == [{"type": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "verifier",
        "display": "Verifier"}]}, "who": me}]
    [mark] = found["signature"]
    assert (mark["who"], mark["when"], mark["type"][0]["code"]) == (me, found["recorded"], "1.2.840.10065.1.12.1.5")


def test_the_transaction_creates_one_provenance_per_result_and_writes_no_result() -> None:
    bundle = signing.sign_transaction({"a": "2", "b": "5"}, LEGE1, AT)
    assert bundle["type"] == "transaction"
    assert [e["request"] for e in bundle["entry"]] == [{"method": "POST", "url": "Provenance"}] * 2
    assert [e["resource"]["target"][0]["reference"] for e in bundle["entry"]] == [
        "Observation/a/_history/2", "Observation/b/_history/5"]
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert len({e["fullUrl"] for e in bundle["entry"]}) == 2


def test_seen_versions_come_from_results_or_plain_versions_and_must_exist() -> None:
    assert signing.seen_versions([ResultVersion(id="a", version="2"),
                                  LabResult(id="b", code="c", name="n", version="4")]) == {"a": "2", "b": "4"}
    with pytest.raises(ValueError, match="no version"):
        signing.seen_versions([LabResult(id="b", code="c", name="n")])


def test_signed_results_keep_the_versions_seen_and_take_the_servers_time() -> None:
    recorded = {"resourceType": "Provenance", "recorded": "2026-11-28T09:30:02Z"}
    entries = [EntryResponse(201, recorded), EntryResponse(201, None, 'W/"1"')]
    done = signing.signed_results(entries, {"a": "2", "b": "6"}, LEGE1, AT)
    assert [(s.id, s.version, s.signature.name, s.signature.at) for s in done] == [
        ("a", "2", "Kari Nordmann", datetime(2026, 11, 28, 9, 30, 2, tzinfo=UTC)), ("b", "6", "Kari Nordmann", AT)]


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


def follow_list(*entries: tuple[str, str | None], source: str = "Practitioner/prac-001") -> dict[str, object]:
    return {"resourceType": "List", "id": "f1", "status": "current", "mode": "working",
            "source": {"reference": source},
            "code": {"coding": [{"system": "https://visitt.example.no/fhir/CodeSystem/list-code",
                                 "code": "followed-patients"}]},
            "entry": [{"item": {"reference": f"Patient/{p}"}, **({"date": d} if d else {})} for p, d in entries]}


def test_following_adds_one_entry_and_never_a_second() -> None:
    first = following.with_patient(None, "prac-001", "p1", AT)
    assert first is not None
    assert (first["resourceType"], first["source"], first["code"]["coding"][0]["code"]) == (
        "List", {"reference": "Practitioner/prac-001"}, "followed-patients")
    assert first["entry"] == [{"item": {"reference": "Patient/p1"}, "date": "2026-11-28T09:30:00+00:00"}]
    assert following.with_patient(first, "prac-001", "p1", AT) is None  # already there: nothing to write
    second = following.with_patient(first, "prac-001", "p2", AT)
    assert second is not None and [e["item"]["reference"] for e in second["entry"]] == ["Patient/p1", "Patient/p2"]
    gone = following.without_patient(second, "p1", AT)
    assert gone is not None and [e["item"]["reference"] for e in gone["entry"]] == ["Patient/p2"]
    assert following.without_patient(gone, "p1", AT) is None


def test_only_my_current_lists_count_and_the_earliest_date_is_when_following_began() -> None:
    mine = follow_list(("p1", "2026-11-28T08:00:00Z"), ("p2", None))
    other = {**follow_list(("p1", "2026-11-27T08:00:00Z")), "id": "f2"}
    colleagues = follow_list(("p9", None), source="Practitioner/prac-002")
    retired = {**follow_list(("p8", None)), "status": "retired"}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": r, "search": {"mode": "match"}}
                                                  for r in (mine, other, colleagues, retired)]}
    lists = following.follow_lists(bundle, "prac-001")
    assert [r["id"] for r in lists] == ["f1", "f2"]
    assert following.followed(lists) == {"p1": datetime(2026, 11, 27, 8, 0, tzinfo=UTC), "p2": None}


def result(obs_id: str, patient: str, updated: str, issued: str = "2026-11-28T09:00:00Z", *,
           code: str = "NPU03230", name: str = "P-Kalium", status: str = "final") -> dict[str, Any]:
    found = observation(obs_id, code, name, issued=issued, status=status)
    found["subject"] = {"reference": f"Patient/{patient}"}
    found["meta"]["lastUpdated"] = updated
    return found


def test_new_results_make_one_notification_per_patient_and_release() -> None:
    followed = {"p1": datetime(2026, 11, 28, 8, 0, tzinfo=UTC), "p2": None}
    found = following.result_notifications([
        result("a", "p1", "2026-11-28T09:00:01Z"),
        result("b", "p1", "2026-11-28T09:00:02Z", code="NPU01961", name="P-CRP"),
        result("c", "p1", "2026-11-28T07:00:00Z", issued="2026-11-28T07:00:00Z"),  # before following began
        result("d", "p2", "2026-11-28T09:10:00Z", issued="2026-11-28T09:10:00Z", status="entered-in-error"),
        result("e", "p3", "2026-11-28T09:10:00Z"),  # not followed
    ], followed, read=["results/p1/2026-11-28T09:00:00Z"])
    [one] = found
    assert (one.id, one.patient_id, one.text, one.read, one.open_view) == (
        "results/p1/2026-11-28T09:00:00Z", "p1", "P-Kalium, P-CRP", True, NotificationView.LAB)
    assert one.kind is NotificationKind.LAB_RESULT
    assert one.time == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert one.updated == datetime(2026, 11, 28, 9, 0, 2, tzinfo=UTC)


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
    found = n.task_notification({**task(status, priority="urgent"), "for": {"reference": "Patient/p1"},
                                 "restriction": {"period": {"end": "2026-11-28T14:00:00+01:00"}}})
    assert found is not None
    assert (found.kind, found.read, found.patient_id, found.open_view, found.urgent, found.sender) == (
        NotificationKind.TASK, read, "p1", NotificationView.TASK, True, "Ola Hansen")  # the task's own screen
    assert found.due is not None and found.due.isoformat() == "2026-11-28T14:00:00+01:00"


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
