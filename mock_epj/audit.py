"""AuditEvent records of every read and write of clinical data (who, patient, what, when, outcome)."""

from __future__ import annotations

import base64
from typing import Any

from mock_epj import dates
from mock_epj.searchparams import IndexRows, relative_reference
from mock_epj.store import Store, new_id
from mock_epj.terminology import (
    ACT_REASON,
    AUDIT_ENTITY_TYPE,
    AUDIT_EVENT_TYPE,
    OBJECT_ROLE,
    RESTFUL_INTERACTION,
)

_ACTIONS = {"read": "R", "vread": "R", "search-type": "E", "create": "C", "update": "U",
            "delete": "D"}
OUTCOME_SUCCESS = "0"
OUTCOME_DENIED = "4"
_MAX_PATIENTS = 100


def audit_event(
    *,
    interaction: str,
    practitioner_ref: str,
    practitioner_name: str,
    patients: list[str],
    what: str | None = None,
    query: str | None = None,
    outcome: str = OUTCOME_SUCCESS,
    outcome_text: str | None = None,
    break_glass_reason: str | None = None,
) -> dict[str, Any]:
    """One AuditEvent (FHIR R4) for a RESTful interaction touching the given patients."""
    entities: list[dict[str, Any]] = [
        {
            "what": {"reference": f"Patient/{pid}"},
            "type": {"system": AUDIT_ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        }
        for pid in sorted(patients)[:_MAX_PATIENTS]
    ]
    if what:
        entities.append({"what": {"reference": what},
                         "type": {"system": AUDIT_ENTITY_TYPE, "code": "2",
                                  "display": "System Object"}})
    if query:
        entities.append({
            "type": {"system": AUDIT_ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "24", "display": "Query"},
            "query": base64.b64encode(query.encode()).decode(),
        })
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": new_id(),
        "type": {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": RESTFUL_INTERACTION, "code": interaction}],
        "action": _ACTIONS.get(interaction, "E"),
        "recorded": dates.now_instant(),
        "outcome": outcome,
        "agent": [{"who": {"reference": practitioner_ref, "display": practitioner_name},
                   "requestor": True}],
        "source": {"observer": {"display": "Visitt mock EPJ"}},
        "entity": entities,
    }
    if outcome_text:
        event["outcomeDesc"] = outcome_text
    if break_glass_reason:
        event["purposeOfEvent"] = [{
            "coding": [{"system": ACT_REASON, "code": "BTG", "display": "break the glass"}],
            "text": break_glass_reason,
        }]
    return event


def index_rows_of(event: dict[str, Any]) -> IndexRows:
    """The search-index rows of an event made by ``audit_event`` (with its meta), straight from
    the structure it is known to have: what ``searchparams.index_rows`` finds by walking every
    search parameter's paths, several times faster (a test checks that they agree). Every
    request writes at least one of these."""
    tokens = {("_id", None, event["id"]), ("action", None, event["action"]),
              ("outcome", None, event["outcome"])}
    tokens.update(("subtype", coding.get("system"), coding["code"]) for coding in event["subtype"])
    date_rows = {("date", *_range(event["recorded"])), ("_lastUpdated", *_range(event["meta"]["lastUpdated"]))}
    refs = {("agent", relative_reference(agent["who"]["reference"])) for agent in event["agent"]}
    for entity in event["entity"]:
        what = entity.get("what")
        if what is None:
            continue
        ref = relative_reference(what["reference"])
        refs.add(("entity", ref))
        if ref.startswith("Patient/"):
            refs.add(("patient", ref))
    return [], sorted(tokens, key=str), sorted(date_rows), sorted(refs)


def _range(instant: str) -> tuple[str, str]:
    if len(instant) == 24 and instant[19] == "." and instant[23] == "Z":  # dates.now_instant's form
        key = f"{instant[:23]}000"
        return key, key
    parsed = dates.parse_range(instant)
    assert parsed is not None, instant
    return parsed


def record(store: Store, events: list[dict[str, Any]]) -> None:
    """Store the events; committed when this returns (a SharedStore commits concurrent
    requests' events together)."""
    if events:
        store.append(events, index_rows_of)
