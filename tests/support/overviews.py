"""A patient overview with something in every part (critical information, vitals, labs, stays,
documents, next of kin, plans, PLO messages), for rendering every tab of the patient screen."""

from __future__ import annotations

from datetime import datetime, timedelta

from mobile_app.domain.models import (
    Allergy,
    Attendance,
    CarePlanActivity,
    CarePlanSummary,
    ContactDetails,
    CriticalCondition,
    CriticalInfo,
    DocumentSummary,
    Implant,
    LabFlag,
    Measurement,
    NextOfKin,
    PatientOverview,
    PloMessage,
    Stay,
)
from tests.support.fake_epj import patient
from tests.support.fake_epj.labs import lab_result


def rich_overview(now: datetime, emergency: bool = False) -> PatientOverview:
    when = now - timedelta(hours=3)
    return PatientOverview(
        patient=patient("p1"),
        contact=ContactDetails(address="Holmeveien 1, 6801 Fjordvik", phone="92669517"),
        stay=Stay(id="e1", status="in-progress", kind="IMP", start=now - timedelta(days=4),
                  ward_name="Medisinsk sengepost", bed_name="Rom 3 seng 2", reason="Pneumoni",
                  responsible="Kari Nordmann"),
        responsible_doctor="Kari Nordmann",
        critical=CriticalInfo(
            allergies=(Allergy(substance="Penicillin", criticality="high", reactions=("Anafylaksi",)),
                       Allergy(substance="Kodein", criticality="low")),
            conditions=(CriticalCondition(text="Binyrebarksvikt", onset=now),),
            implants=(Implant(text="Pacemaker"),), flagged=True),
        vitals=(Measurement(id="v1", code="8867-4", name="Puls", value=112, unit="/min", time=when,
                            interpretation="H"),
                Measurement(id="v2", code="85354-9", name="Blodtrykk", time=when,
                            components=(("8480-6", 121.0, "mmHg"), ("8462-4", 78.0, "mmHg")))),
        labs=(lab_result("l1", "P-CRP", "NPU19748", 145, "mg/L", None, 5, LabFlag.HIGH, when),
              lab_result("l2", "P-Kalium", "NPU03230", 6.4, "mmol/L", 3.5, 5.0, LabFlag.CRITICAL_HIGH, when),
              lab_result("l3", "B-Hemoglobin", "NOR05172", None, "g/dL", 11.7, 15.3, LabFlag.PENDING, when,
                         status="registered")),
        stays=(Stay(id="e1", status="in-progress", kind="IMP", start=now - timedelta(days=4), reason="Pneumoni"),
               Stay(id="e0", status="finished", kind="AMB", start=now - timedelta(days=400),
                    end=now - timedelta(days=400))),
        attendances=(Attendance(id="e0", status="finished", start=now - timedelta(days=400),
                                end=now - timedelta(days=400), clinic="Medisinsk poliklinikk",
                                kind="Poliklinisk kontroll", responsible="Kari Nordmann"),),
        documents=(DocumentSummary(id="d1", title="Innkomstjournal", type_name="Innkomstjournal", date=when,
                                   author="Kari Nordmann", text="Anamnese: ..."),
                   DocumentSummary(id="d2", title="Daglig notat", status="preliminary", date=when)),
        next_of_kin=(NextOfKin(name="Bård Lund", relationship="Sønn", phone="96657377", is_next_of_kin=True),),
        care_plans=(CarePlanSummary(title="Behandlingsplan", description="Antibiotika",
                                    activities=(CarePlanActivity(status="completed", description="Væske"),
                                                CarePlanActivity(status="weird", description="Ukjent status"))),),
        plo_messages=(PloMessage(id="m1", message_type="Melding om innlagt pasient", sent=when,
                                 sender="Fjordvik universitetssykehus HF", recipient="Fjordvik kommune",
                                 text="Pasienten er innlagt."),),
        emergency_access_until=now + timedelta(hours=4) if emergency else None,
        fetched_at=now,
    )
