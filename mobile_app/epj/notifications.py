"""The notification centre, as FHIR.

The notification centre shows new results of the patients I follow (found by the app with
standard searches: following.py), Communications addressed to me (``internal-message``, and
``lab-notification`` from an EPJ that sends such messages itself) and open Tasks I own. Read or
unread:

- a Communication is read once ``Communication.received`` is set (the time I opened it);
- a Task is unread while its status is ``requested``; opening it moves it to ``received`` ("the
  owner has seen it", in FHIR's task state machine), which keeps it open for "My tasks";
- new results are read once opened in the app (kept for the session: see following.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mobile_app.domain.models import Notification, NotificationKind, NotificationView
from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms

OPEN_TASK_STATUSES = ("requested", "received", "accepted", "in-progress")
_URGENT = frozenset({"urgent", "asap", "stat"})


# ------------------------------------------------------------------ notifications


def notification_categories() -> tuple[str, str]:
    """The Communication.category codes the notification centre shows: lab notifications, messages."""
    known = terms().communication_category
    return known.lab_notification.code, known.internal_message.code


def _categories(resource: JSON) -> set[str]:
    return {code for concept in fhir.objects(resource, "category")
            for coding in fhir.codings(concept) if (code := fhir.text(coding, "code"))}


def communication_notification(resource: JSON) -> Notification | None:
    """A lab notification or an internal message; None for other Communications."""
    if resource.get("status") == "entered-in-error":
        return None
    categories = _categories(resource)
    patient = fhir.reference_id(fhir.obj(resource, "subject"), "Patient")
    lab_notification, internal_message = notification_categories()
    if lab_notification in categories:
        kind, view = NotificationKind.LAB_RESULT, NotificationView.LAB
    elif internal_message in categories:
        kind, view = NotificationKind.MESSAGE, NotificationView.OVERVIEW if patient else NotificationView.MESSAGE
    else:
        return None
    payload = [fhir.text(p, "contentString") for p in fhir.objects(resource, "payload")]
    return Notification(
        id=f"Communication/{resource.get('id', '')}", kind=kind,
        text="\n".join(p for p in payload if p) or fhir.concept_text(fhir.obj(resource, "topic")) or "",
        time=fhir.parse_instant(resource.get("sent")), read=fhir.text(resource, "received") is not None,
        patient_id=patient, sender=fhir.display(fhir.obj(resource, "sender")), open_view=view,
        updated=fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated")),
        urgent=resource.get("priority") in _URGENT,
    )


def task_notification(resource: JSON) -> Notification | None:
    status = fhir.text(resource, "status")
    if status not in OPEN_TASK_STATUSES:
        return None
    patient = fhir.reference_id(fhir.obj(resource, "for"), "Patient")
    return Notification(
        id=f"Task/{resource.get('id', '')}", kind=NotificationKind.TASK,
        text=fhir.first([fhir.text(resource, "description"), fhir.concept_text(fhir.obj(resource, "code"))]) or "",
        time=fhir.parse_instant(resource.get("authoredOn")) or fhir.parse_instant(resource.get("lastModified")),
        read=status != "requested", patient_id=patient, sender=fhir.display(fhir.obj(resource, "requester")),
        open_view=NotificationView.TASK, status=status, version=fhir.version_id(resource),
        due=fhir.parse_instant(fhir.obj(fhir.obj(resource, "restriction"), "period").get("end"))
        or fhir.parse_instant(fhir.obj(resource, "executionPeriod").get("end")),
        urgent=resource.get("priority") in _URGENT,
        updated=fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated")),
    )


def notifications(communications: Iterable[JSON], tasks: Iterable[JSON]) -> list[Notification]:
    """Every notification, newest first."""
    found = [n for c in communications if (n := communication_notification(c)) is not None]
    found += [n for t in tasks if (n := task_notification(t)) is not None]
    return newest_first(found)


def newest_first(items: Iterable[Notification]) -> list[Notification]:
    return sorted(items, key=lambda n: (n.time or n.updated or _NEVER, n.id), reverse=True)


def marked_read(resource: JSON, at: datetime) -> JSON | None:
    """The resource as read (None when it already is): Communication.received, Task received."""
    if resource.get("resourceType") == "Communication":
        return None if fhir.text(resource, "received") else {**resource, "received": at.isoformat(timespec="seconds")}
    if resource.get("resourceType") == "Task":
        return {**resource, "status": "received"} if resource.get("status") == "requested" else None
    raise ValueError(f"{resource.get('resourceType')} is not a notification")


def newest_update(items: Iterable[Notification]) -> datetime | None:
    """The server time of the latest change among the items: pass it as ``since`` next time."""
    return max((n.updated for n in items if n.updated is not None), default=None)


_NEVER = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
