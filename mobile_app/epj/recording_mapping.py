"""FHIR resources for the structured registrations, and back (pure functions over parsed JSON).

- A set of vital signs is one transaction: an Observation per value (R4 vital-signs profile:
  LOINC code, UCUM unit, category ``vital-signs``), a vital-signs panel (LOINC 85353-1) grouping
  them with ``hasMember``, and the NEWS2 score (SNOMED CT 1104051000000101, category ``survey``)
  with each parameter's points as a component and ``derivedFrom`` the values. A partial set has no
  NEWS2 value: ``dataAbsentReason`` says so, and each missing parameter's component too.
- A thrombosis-risk assessment is a QuestionnaireResponse (the Padua items answered yes or no, and
  the total) and a RiskAssessment (method Padua, qualitative risk high or low) based on it.
- A doctor's choice of SpO2 scale is a Flag (one per patient, identifier ``.../sid/spo2-scale``).

Every resource carries an identifier made from the registration's client id, so that sending it
again finds the copy the EPJ already made (conditional create) instead of making a second one.
docs/vital-signs.md shows the shapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mobile_app.domain import news2
from mobile_app.domain.models import Spo2ScaleChoice, ThrombosisRisk
from mobile_app.domain.news2 import Consciousness, Parameter
from mobile_app.domain.padua import HIGH_RISK_FROM, PaduaItem
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.vital_entry import OxygenDevice, VitalField
from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import URI, has_identifier, instant, modified_by, uuid_identifier

LOINC = news2.LOINC
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
# The local code systems (ACVPU, oxygen devices, NEWS2 response, risk method, SpO2 scale), the SpO2
# scale choice's identifier system and the Padua Questionnaire's URL are in the terminology profile.

# SNOMED CT UK extension: the NEWS2 total and each parameter's score (checked against published
# FHIR profiles and examples; docs/vital-signs.md says where).
NEWS2_TOTAL = "1104051000000101"
NEWS2_PARTS: dict[str, tuple[str, str]] = {  # key -> (code, display)
    "respiration": ("1104301000000104", "NEWS2 - respiration rate score"),
    "spo2-1": ("1104311000000102", "NEWS2 - oxygen saturation scale 1 score"),
    "spo2-2": ("1104321000000108", "NEWS2 - oxygen saturation scale 2 score"),
    "air_or_oxygen": ("1104331000000105", "NEWS2 - air or oxygen score"),
    "systolic": ("1104341000000101", "NEWS2 - systolic blood pressure score"),
    "pulse": ("1104351000000103", "NEWS2 - pulse score"),
    "consciousness": ("1104361000000100", "NEWS2 - consciousness score"),
    "temperature": ("1104371000000107", "NEWS2 - temperature score"),
}
_RESPONSE_TEXT = {"low": "Lav", "low_medium": "Lav–middels (én parameter med 3 poeng)",
                  "medium": "Middels: haster", "high": "Høy: akutt"}
_PARAMETER_TEXT = {Parameter.RESPIRATION: "respirasjon", Parameter.SPO2: "SpO2",
                   Parameter.AIR_OR_OXYGEN: "oksygen eller romluft", Parameter.SYSTOLIC: "systolisk blodtrykk",
                   Parameter.PULSE: "puls", Parameter.CONSCIOUSNESS: "bevissthet",
                   Parameter.TEMPERATURE: "temperatur"}
ACVPU_TEXT = {Consciousness.ALERT: ("Alert", "Våken"),
              Consciousness.CONFUSION: ("New confusion", "Nyoppstått forvirring"),
              Consciousness.VOICE: ("Responds to voice", "Reagerer på tiltale"),
              Consciousness.PAIN: ("Responds to pain", "Reagerer på smerte"),
              Consciousness.UNRESPONSIVE: ("Unresponsive", "Reagerer ikke")}
DEVICE_TEXT = {OxygenDevice.NASAL_CANNULA: "Nesekateter", OxygenDevice.SIMPLE_MASK: "Maske",
               OxygenDevice.VENTURI_MASK: "Venturimaske", OxygenDevice.RESERVOIR_MASK: "Maske med reservoar",
               OxygenDevice.HIGH_FLOW: "High flow"}
PADUA_TEXT: dict[PaduaItem, str] = {
    PaduaItem.ACTIVE_CANCER: "Aktiv kreftsykdom",
    PaduaItem.PREVIOUS_VTE: "Tidligere venøs tromboembolisme",
    PaduaItem.REDUCED_MOBILITY: "Redusert mobilitet (sengeleie i minst 3 dager)",
    PaduaItem.THROMBOPHILIA: "Kjent trombofili",
    PaduaItem.RECENT_TRAUMA_SURGERY: "Nylig traume og/eller kirurgi (siste måned)",
    PaduaItem.AGE_70: "Alder 70 år eller mer",
    PaduaItem.HEART_RESPIRATORY_FAILURE: "Hjerte- og/eller respirasjonssvikt",
    PaduaItem.MI_OR_STROKE: "Akutt hjerteinfarkt eller iskemisk hjerneslag",
    PaduaItem.INFECTION_RHEUMATOLOGIC: "Akutt infeksjon og/eller revmatologisk sykdom",
    PaduaItem.OBESITY: "Fedme (KMI 30 eller mer)",
    PaduaItem.HORMONAL_TREATMENT: "Pågående hormonbehandling",
}

# value field -> (LOINC code, LOINC display, name in the record, UCUM code, unit shown)
_QUANTITIES: dict[VitalField, tuple[str, str, str, str, str]] = {
    VitalField.RESPIRATION: (news2.RESPIRATION, "Respiratory rate", "Respirasjonsfrekvens", "/min", "/min"),
    VitalField.SPO2: (news2.SPO2, "Oxygen saturation in Arterial blood by Pulse oximetry",
                      "Oksygenmetning (SpO2)", "%", "%"),
    VitalField.OXYGEN_FLOW: (news2.OXYGEN_FLOW, "Inhaled oxygen flow rate", "Oksygentilførsel", "L/min", "L/min"),
    VitalField.PULSE: (news2.PULSE, "Heart rate", "Puls", "/min", "/min"),
    VitalField.TEMPERATURE: (news2.TEMPERATURE, "Body temperature", "Temperatur", "Cel", "°C"),
}


def _ref(resource_type: str, id_: str, name: str | None = None) -> JSON:
    return {"reference": f"{resource_type}/{id_}", **({"display": name} if name else {})}


def _coding(system: str, code: str, display: str | None = None) -> JSON:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _quantity(value: float, code: str, unit: str) -> JSON:
    return {"value": int(value) if float(value).is_integer() else value, "unit": unit, "system": UCUM, "code": code}


def _score(points: int) -> JSON:
    return {"value": points, "unit": "{score}", "system": UCUM, "code": "{score}"}


def part_id(client_id: str, part: str) -> str:
    """The id of one resource of a registration: the same for the same registration, every time."""
    return str(uuid.uuid5(uuid.UUID(client_id), part))


def full_url(client_id: str, part: str) -> str:
    return f"urn:uuid:{part_id(client_id, part)}"


def _vital_category() -> JSON:
    return {"coding": [_coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")], "text": "Vitale parametre"}


def _entry(resource: JSON, url: str) -> JSON:
    """A conditional create in a transaction: made once, found again on a second try."""
    identifiers = resource["identifier"]
    value = (identifiers[0] if isinstance(identifiers, list) else identifiers)["value"]
    return {"fullUrl": url, "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"],
                        "ifNoneExist": f"identifier={URI}|{value}"}}


# ------------------------------------------------------------------ vital signs


def _observation(draft: VitalSignsDraft, part: str, code: JSON, **value: Any) -> JSON:
    resource: JSON = {
        "resourceType": "Observation",
        "identifier": [uuid_identifier(part_id(draft.client_id, part))],
        "status": "final",
        "category": [_vital_category()],
        "code": code,
        "subject": _ref("Patient", draft.patient_id),
        "effectiveDateTime": instant(draft.measured_at),
        "performer": [_ref("Practitioner", draft.author_id, draft.author_name)],
        **value,
    }
    if draft.encounter_id:
        resource["encounter"] = _ref("Encounter", draft.encounter_id)
    return resource


def _loinc(code: str, display: str, text: str) -> JSON:
    return {"coding": [_coding(LOINC, code, display)], "text": text}


def _confirmed_note(draft: VitalSignsDraft, *fields: VitalField) -> dict[str, Any]:
    if not any(field in draft.confirmed for field in fields):
        return {}
    who = draft.author_name or "den som målte"
    return {"note": [{"text": f"Uvanlig verdi, kontrollert og bekreftet av {who}."}]}


def vital_sign_parts(draft: VitalSignsDraft) -> list[tuple[str, JSON]]:
    """(part name, Observation) for every value measured, in chart order."""
    parts: list[tuple[str, JSON]] = []
    for field in (VitalField.RESPIRATION, VitalField.SPO2):
        value = getattr(draft, field.value)
        if value is None:
            continue
        code, display, text, ucum, unit = _QUANTITIES[field]
        concept = _loinc(code, display, text)
        if field is VitalField.SPO2:  # the R4 oxygen-saturation profile's code beside the pulse-oximetry one
            concept["coding"].append(_coding(LOINC, news2.SPO2_ALT, "Oxygen saturation in Arterial blood"))
        parts.append((field.value, _observation(draft, field.value, concept, valueQuantity=_quantity(value, ucum, unit),
                                                **_confirmed_note(draft, field))))
    if draft.on_oxygen is not None:
        code, display, text, ucum, unit = _QUANTITIES[VitalField.OXYGEN_FLOW]
        oxygen: JSON = {}
        if not draft.on_oxygen:
            oxygen["valueQuantity"] = _quantity(0, ucum, unit)  # room air
        elif draft.oxygen_flow is not None:
            oxygen["valueQuantity"] = _quantity(draft.oxygen_flow, ucum, unit)
        else:
            oxygen["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "not-performed", "Not Performed")],
                                         "text": "Litermengde ikke målt"}
        if draft.on_oxygen and draft.oxygen_device is not None:
            device, devices = draft.oxygen_device, terms().oxygen_device.system
            oxygen["component"] = [{
                "code": {"coding": [_coding(devices, news2.OXYGEN_DEVICE, "Oxygen delivery device")],
                         "text": "Oksygenutstyr"},
                "valueCodeableConcept": {"coding": [_coding(devices, device.value, DEVICE_TEXT[device])],
                                         "text": DEVICE_TEXT[device]}}]
        parts.append(("oxygen", _observation(draft, "oxygen", _loinc(code, display, text), **oxygen,
                                             **_confirmed_note(draft, VitalField.OXYGEN_FLOW))))
    if draft.systolic is not None and draft.diastolic is not None:
        parts.append(("blood-pressure", _observation(
            draft, "blood-pressure", _loinc(news2.BLOOD_PRESSURE, "Blood pressure panel with all children optional",
                                            "Blodtrykk"),
            component=[
                {"code": _loinc(news2.SYSTOLIC, "Systolic blood pressure", "Systolisk"),
                 "valueQuantity": _quantity(draft.systolic, "mm[Hg]", "mmHg")},
                {"code": _loinc(news2.DIASTOLIC, "Diastolic blood pressure", "Diastolisk"),
                 "valueQuantity": _quantity(draft.diastolic, "mm[Hg]", "mmHg")},
            ], **_confirmed_note(draft, VitalField.SYSTOLIC, VitalField.DIASTOLIC))))
    if draft.pulse is not None:
        code, display, text, ucum, unit = _QUANTITIES[VitalField.PULSE]
        parts.append(("pulse", _observation(draft, "pulse", _loinc(code, display, text),
                                            valueQuantity=_quantity(draft.pulse, ucum, unit),
                                            **_confirmed_note(draft, VitalField.PULSE))))
    if draft.consciousness is not None:
        level = draft.consciousness
        english, norwegian = ACVPU_TEXT[level]
        parts.append(("consciousness", _observation(
            draft, "consciousness", _loinc(news2.CONSCIOUSNESS, "Level of responsiveness", "Bevissthet (ACVPU)"),
            valueCodeableConcept={"coding": [_coding(terms().acvpu.system, level.value, english)],
                                  "text": f"{norwegian} ({level.value})"})))
    if draft.temperature is not None:
        code, display, text, ucum, unit = _QUANTITIES[VitalField.TEMPERATURE]
        parts.append(("temperature", _observation(draft, "temperature", _loinc(code, display, text),
                                                  valueQuantity=_quantity(draft.temperature, ucum, unit),
                                                  **_confirmed_note(draft, VitalField.TEMPERATURE))))
    return parts


def missing_text(missing: Iterable[Parameter]) -> str:
    return ", ".join(_PARAMETER_TEXT[p] for p in missing)


def news2_observation(draft: VitalSignsDraft, members: list[str]) -> JSON:
    """The NEWS2 score of the set, its parameters' points as components (derived from ``members``)."""
    score = draft.news2
    components: list[JSON] = []
    for parameter in Parameter:
        key = f"spo2-{score.scale}" if parameter is Parameter.SPO2 else parameter.value
        code, display = NEWS2_PARTS[key]
        component: JSON = {"code": {"coding": [_coding(SNOMED, code, display)]}}
        if parameter in score.scores:
            component["valueQuantity"] = _score(score.scores[parameter])
        else:
            component["dataAbsentReason"] = {"coding": [_coding(DATA_ABSENT, "not-performed", "Not Performed")],
                                             "text": "Ikke målt"}
        components.append(component)
    resource = _observation(draft, "news2", {
        "coding": [_coding(SNOMED, NEWS2_TOTAL,
                           "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score")],
        "text": "NEWS2"})
    resource["category"] = [{"coding": [_coding(OBSERVATION_CATEGORY, "survey", "Survey")]}]
    if score.complete:
        resource["valueQuantity"] = _score(score.total)
        resource["interpretation"] = [{"coding": [_coding(terms().news2_response.system, score.band.value)],
                                       "text": _RESPONSE_TEXT[score.band.value]}]
    else:
        resource["dataAbsentReason"] = {
            "coding": [_coding(DATA_ABSENT, "not-performed", "Not Performed")],
            "text": f"Ufullstendig sett, ingen NEWS2: mangler {missing_text(score.missing)}"}
    resource["component"] = components
    resource["derivedFrom"] = [{"reference": url} for url in members]
    scales = terms().news2_spo2_scale
    resource["method"] = {"coding": [scales.coding(scales.of(score.scale), display=False)],
                          "text": f"SpO2 skala {score.scale}"}
    return resource


def vital_signs_transaction(draft: VitalSignsDraft) -> JSON:
    """One transaction: the values, the panel grouping them, and the NEWS2 score."""
    parts = vital_sign_parts(draft)
    members = [full_url(draft.client_id, part) for part, _ in parts]
    panel = _observation(draft, "panel", _loinc(news2.PANEL, "Vital signs, weight, height, head circumference, "
                                                "oxygen saturation and BMI panel", "Vitale parametre"),
                         hasMember=[{"reference": url} for url in members])
    panel["identifier"] = [uuid_identifier(draft.client_id)]
    score = draft.news2
    if not score.complete:
        panel["note"] = [{"text": f"Ufullstendig sett: mangler {missing_text(score.missing)}."}]
    entries = [_entry(panel, f"urn:uuid:{draft.client_id}")]
    entries += [_entry(resource, url) for (_, resource), url in zip(parts, members, strict=True)]
    entries.append(_entry(news2_observation(draft, members), full_url(draft.client_id, "news2")))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def same_values(stored: list[JSON], draft: VitalSignsDraft) -> bool:
    """Whether the resources the EPJ holds for this set say what the draft says (a second try)."""
    expected = {part: resource for part, resource in vital_sign_parts(draft)}
    found = {part: next((r for r in stored if has_identifier(r, URI, f"urn:uuid:{part_id(draft.client_id, part)}")),
                        None) for part in expected}
    if any(resource is None for resource in found.values()):
        return False
    keys = ("valueQuantity", "valueCodeableConcept", "component", "dataAbsentReason", "effectiveDateTime")
    return all({k: found[p].get(k) for k in keys} == {k: r.get(k) for k in keys}  # type: ignore[union-attr]
               for p, r in expected.items())


# ------------------------------------------------------------------ thrombosis risk


def questionnaire_response(draft: ThrombosisRiskDraft) -> JSON:
    score = draft.score
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "identifier": uuid_identifier(part_id(draft.client_id, "answers")),
        "questionnaire": terms().questionnaires.padua,
        "status": "completed",
        "subject": _ref("Patient", draft.patient_id),
        "authored": instant(draft.assessed_at),
        "author": _ref("Practitioner", draft.author_id, draft.author_name),
        "item": [
            *({"linkId": item.value, "text": PADUA_TEXT[item],
               "answer": [{"valueBoolean": item in score.present}]} for item in PaduaItem),
            {"linkId": "total", "text": "Padua-skår", "answer": [{"valueInteger": score.total}]},
        ],
    }
    if draft.encounter_id:
        resource["encounter"] = _ref("Encounter", draft.encounter_id)
    return resource


def risk_assessment(draft: ThrombosisRiskDraft, basis: str) -> JSON:
    methods = terms().risk_method
    score = draft.score
    level = "high" if score.high_risk else "low"
    resource: JSON = {
        "resourceType": "RiskAssessment",
        "identifier": [uuid_identifier(draft.client_id)],
        "status": "final",
        "method": {"coding": [methods.coding(methods.padua)], "text": "Padua"},
        "code": {"text": "Risiko for venøs tromboembolisme"},
        "subject": _ref("Patient", draft.patient_id),
        "occurrenceDateTime": instant(draft.assessed_at),
        "performer": _ref("Practitioner", draft.author_id, draft.author_name),
        "basis": [{"reference": basis}],
        "prediction": [{
            "outcome": {"text": "Venøs tromboembolisme"},
            "qualitativeRisk": {"coding": [_coding(RISK_PROBABILITY, level, level.capitalize())],
                                "text": "Høy risiko" if score.high_risk else "Lav risiko"},
            "rationale": f"Padua-skår {score.total} ({HIGH_RISK_FROM} eller mer gir høy risiko)",
        }],
    }
    if draft.encounter_id:
        resource["encounter"] = _ref("Encounter", draft.encounter_id)
    return resource


def thrombosis_transaction(draft: ThrombosisRiskDraft) -> JSON:
    answers_url = full_url(draft.client_id, "answers")
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        _entry(questionnaire_response(draft), answers_url),
        _entry(risk_assessment(draft, answers_url), f"urn:uuid:{draft.client_id}"),
    ]}


def padua_total(response: JSON) -> int | None:
    for item in fhir.objects(response, "item"):
        if item.get("linkId") == "total":
            for answer in fhir.objects(item, "answer"):
                value = answer.get("valueInteger")
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
    return None


def thrombosis_risk(assessment: JSON, responses: Iterable[JSON] = ()) -> ThrombosisRisk | None:
    """A Padua RiskAssessment (with the total from its QuestionnaireResponse when at hand)."""
    methods = terms().risk_method
    if assessment.get("status") in ("entered-in-error", "cancelled") or not fhir.has_code(
            fhir.obj(assessment, "method"), methods.system, methods.padua.code):
        return None
    predictions = fhir.objects(assessment, "prediction")
    level = fhir.code_of(fhir.obj(predictions[0], "qualitativeRisk"), RISK_PROBABILITY) if predictions else None
    if level is None:
        return None
    basis = {fhir.reference_key(b) for b in fhir.objects(assessment, "basis")}
    total = next((padua_total(r) for r in responses if fhir.key(r) in basis), None)
    performer = fhir.obj(assessment, "performer")
    return ThrombosisRisk(id=str(assessment.get("id", "")), total=total, high_risk=level in ("high", "certain"),
                          assessed_at=fhir.parse_instant(assessment.get("occurrenceDateTime")),
                          assessed_by=fhir.display(performer) or modified_by(assessment))


def newest_thrombosis_risk(assessments: Iterable[JSON], responses: Iterable[JSON] = ()) -> ThrombosisRisk | None:
    answers = list(responses)
    found = [r for a in assessments if (r := thrombosis_risk(a, answers)) is not None]
    return max(found, key=lambda r: r.assessed_at.timestamp() if r.assessed_at else float("-inf"), default=None)


def risk_by_patient(assessments: Iterable[JSON]) -> dict[str, ThrombosisRisk]:
    """The newest Padua assessment of each patient."""
    found: dict[str, list[JSON]] = {}
    for assessment in assessments:
        patient = fhir.reference_id(fhir.obj(assessment, "subject"), "Patient")
        if patient:
            found.setdefault(patient, []).append(assessment)
    return {p: risk for p, items in found.items() if (risk := newest_thrombosis_risk(items)) is not None}


# ------------------------------------------------------------------ the SpO2 scale choice


def spo2_scale_flag(draft: Spo2ScaleDraft, write_id: str) -> JSON:
    text = ("NEWS2: SpO2 skala 2 (målmetning 88–92 %)" if draft.scale == 2
            else "NEWS2: SpO2 skala 1 (skala 2 valgt bort)")
    scales = terms().news2_spo2_scale
    coding = scales.coding(scales.of(draft.scale))
    return {
        "resourceType": "Flag",
        "identifier": [{"system": terms().identifier_systems.spo2_scale, "value": draft.patient_id},
                       {"use": "secondary", **uuid_identifier(write_id)}],
        "status": "active",
        "category": [{"coding": [_coding(FLAG_CATEGORY, "clinical", "Clinical")]}],
        "code": {"coding": [coding], "text": text},
        "subject": _ref("Patient", draft.patient_id),
        "period": {"start": instant(draft.created)},
        "author": _ref("Practitioner", draft.author_id, draft.author_name),
    }


def scale_choice(flag: JSON) -> Spo2ScaleChoice | None:
    if flag.get("resourceType") != "Flag" or flag.get("status", "active") != "active":
        return None
    if not any(i.get("system") == terms().identifier_systems.spo2_scale for i in fhir.objects(flag, "identifier")):
        return None
    scales = terms().news2_spo2_scale
    scale = scales.scale_of(fhir.code_of(fhir.obj(flag, "code"), scales.system))
    if scale is None:
        return None
    return Spo2ScaleChoice(scale=scale, flag_id=str(flag.get("id", "")),
                           version=fhir.version_id(flag),
                           chosen_by=modified_by(flag) or fhir.display(fhir.obj(flag, "author")),
                           chosen_at=fhir.parse_instant(fhir.obj(flag, "meta").get("lastUpdated"))
                           or fhir.period_start(flag))


def scale_choices(flags: Iterable[JSON]) -> dict[str, Spo2ScaleChoice]:
    """Each patient's scale choice (the newest, should the EPJ hold more than one)."""
    found: dict[str, Spo2ScaleChoice] = {}
    for flag in flags:
        choice = scale_choice(flag)
        patient = fhir.reference_id(fhir.obj(flag, "subject"), "Patient")
        if choice is None or patient is None:
            continue
        known = found.get(patient)
        if known is None or (choice.chosen_at and (known.chosen_at is None or choice.chosen_at > known.chosen_at)):
            found[patient] = choice
    return found


def recorded_scales(observations: Iterable[JSON]) -> dict[datetime, int]:
    """The SpO2 scale each NEWS2 score was recorded with, by the time of its set."""
    scales = terms().news2_spo2_scale
    found: dict[datetime, int] = {}
    for resource in observations:
        if not fhir.has_code(fhir.obj(resource, "code"), SNOMED, NEWS2_TOTAL):
            continue
        when = fhir.parse_instant(resource.get("effectiveDateTime"))
        scale = scales.scale_of(fhir.code_of(fhir.obj(resource, "method"), scales.system))
        if when is not None and scale is not None:
            found[when] = scale
    return found
