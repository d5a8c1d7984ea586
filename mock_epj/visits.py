"""The hospital's side of registering arrival, as this mock EPJ does it: an Appointment set to
``arrived`` starts the visit (an outpatient Encounter, class AMB, status ``arrived``, pointing at the
appointment); put back to ``booked`` (undone), that Encounter is ``entered-in-error``.

An extra of this server that the app does not rely on (docs/worklists.md): some hospitals start
the visit at arrival, some when the doctor opens it. The Encounter's id comes from the
appointment's, so however often arrival is registered there is one visit per appointment.
"""

from __future__ import annotations

from typing import Any

from mock_epj import dates
from mock_epj.terminology import ACT_CODE

_AMB = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}
_ATTENDER = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                          "code": "ATND", "display": "attender"}]}]


def visit_id(appointment_id: str) -> str:
    return f"visit-{appointment_id}"[:64]


def visit_for(appointment: dict[str, Any], before: str | None,
              existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Encounter to store after an appointment changed from ``before`` (None: nothing to do)."""
    after = appointment.get("status")
    if before == after or after not in ("arrived", "booked"):
        return None
    if after == "booked":  # undone: the visit did not start
        if existing is None or existing.get("status") == "entered-in-error":
            return None
        return {**{k: v for k, v in existing.items() if k != "meta"}, "status": "entered-in-error"}
    actors = [p.get("actor", {}) for p in appointment.get("participant", []) if isinstance(p, dict)]
    patient = next((a for a in actors if str(a.get("reference", "")).startswith("Patient/")), None)
    if patient is None:
        return None
    doctors = [a for a in actors if str(a.get("reference", "")).startswith("Practitioner/")]
    places = [a for a in actors if str(a.get("reference", "")).startswith("Location/")]
    now = dates.now_instant()
    encounter: dict[str, Any] = {
        "resourceType": "Encounter", "id": visit_id(str(appointment["id"])), "status": "arrived", "class": _AMB,
        "subject": {"reference": patient["reference"]},
        "appointment": [{"reference": f"Appointment/{appointment['id']}"}],
        "period": {"start": now},
        "participant": [{"type": _ATTENDER, "individual": d} for d in doctors],
        "location": [{"location": p, "status": "active"} for p in places],
    }
    if appointment.get("appointmentType"):
        encounter["type"] = [appointment["appointmentType"]]
    if appointment.get("serviceType"):
        encounter["serviceType"] = appointment["serviceType"][0]
    return encounter
