"""FHIR JSON to lab results and microbiology reports: the lab tab's mapping.

Pure functions over parsed resources. They read odd but valid FHIR: no reference range, a range
with only one end or only text, values as text or codes, comparators in ``valueQuantity`` or in a
string such as ``"<5"``, missing units, interpretation codes of HL7 v3 or v2. Results entered in
error are left out; cancelled ones stay in the history but are never the newest value.

Who signed a result is not in the Observation (a real EPJ lets nobody but the lab change it): a
signature is a ``Provenance`` whose target is the result's version, with the activity ISO 21089
``verify`` (or no activity and an agent of type ``verifier``), found with ``_revinclude=Provenance:target``. A
Provenance on an older version does not sign the current one: a result whose value changed after
signing is unsigned again. A target without a version signs what was there when it was recorded.

Microbiology Observations (the organism and susceptibility results of an MB report) carry the
category ``laboratory`` too; they are told apart by belonging to a microbiology report, by being a
member of such a result, or by the hospital's microbiology code systems, and are left out of the
blood-test panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from mobile_app.domain import labs as lab_domain
from mobile_app.domain.models import (
    LabFlag,
    LabPanel,
    LabResult,
    MicroReport,
    Organism,
    Signature,
    Susceptibility,
)
from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms

REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
MICRO_CATEGORIES = frozenset({"MB", "MCB", "MYC", "PAR", "VR"})  # v2-0074 microbiology sections
SNOMED = "http://snomed.info/sct"
NO_GROWTH_CODES = frozenset({"264868006"})  # SNOMED CT: no growth
_NO_GROWTH_WORDS = ("ingen vekst", "no growth", "ikke vekst")
ISO_21089_LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
VERIFY = "verify"  # the activity of a signature (ISO 21089 "Verify Record Lifecycle Event")
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
VERIFIER = "verifier"  # the signer's agent type
_SIR = frozenset({"S", "I", "R"})


@dataclass(frozen=True)
class ReportInfo:
    """What a lab DiagnosticReport adds to each of its results."""

    id: str
    panel: str | None
    performer: str | None


# ------------------------------------------------------------------ reports


def is_micro_report(report: JSON) -> bool:
    return any(code in MICRO_CATEGORIES for category in fhir.objects(report, "category")
               for code in (fhir.text(c, "code") for c in fhir.codings(category)))


def reports_by_result(reports: Iterable[JSON]) -> tuple[dict[str, ReportInfo], set[str]]:
    """(blood-test report by result id, ids of results that belong to microbiology reports)."""
    by_result: dict[str, ReportInfo] = {}
    micro: set[str] = set()
    for report in reports:
        if report.get("status") == "entered-in-error":
            continue
        ids = [i for r in fhir.objects(report, "result") if (i := fhir.reference_id(r, "Observation"))]
        if is_micro_report(report):
            micro.update(ids)
            continue
        info = ReportInfo(str(report.get("id", "")), fhir.concept_text(fhir.obj(report, "code")),
                          fhir.first(fhir.display(p) for p in fhir.objects(report, "performer")))
        for result_id in ids:
            by_result.setdefault(result_id, info)
    return by_result, micro


def _micro_members(observations: list[JSON], micro: set[str]) -> set[str]:
    """The microbiology results and, through hasMember, everything under them."""
    members = {str(o.get("id")): [i for m in fhir.objects(o, "hasMember")
                                  if (i := fhir.reference_id(m, "Observation"))] for o in observations}
    found, todo = set(micro), list(micro)
    while todo:
        for member in members.get(todo.pop(), []):
            if member not in found:
                found.add(member)
                todo.append(member)
    return found


def is_micro_observation(resource: JSON) -> bool:
    micro = terms().micro_systems
    return any(c.get("system") in micro for c in fhir.codings(fhir.obj(resource, "code")))


# ------------------------------------------------------------------ one result


def _main_coding(concept: JSON) -> JSON:
    codings = fhir.codings(concept)
    for system in (lab_domain.NLK, terms().local_lab.system):  # which coding names the analyte, if several
        for coding in codings:
            if coding.get("system") == system and fhir.text(coding, "code"):
                return coding
    return next((c for c in codings if fhir.text(c, "code")), {})


def _unit(quantity: JSON) -> str | None:
    return fhir.text(quantity, "unit") or fhir.text(quantity, "code")


def _value(resource: JSON) -> tuple[float | None, str | None, str | None, str | None]:
    """(value, value_text, comparator, unit)."""
    quantity = fhir.obj(resource, "valueQuantity")
    if quantity:
        return (fhir.number(quantity, "value"), None, fhir.text(quantity, "comparator"), _unit(quantity))
    if fhir.number(resource, "valueInteger") is not None:
        return fhir.number(resource, "valueInteger"), None, None, None
    written = fhir.text(resource, "valueString")
    if written is not None:
        compared = lab_domain.parse_compared(written)
        if compared is not None:
            return compared[1], None, compared[0], None
        try:
            return float(written.replace(",", ".")), None, None, None
        except ValueError:
            return None, written, None, None
    if isinstance(resource.get("valueBoolean"), bool):
        return None, "Ja" if resource["valueBoolean"] else "Nei", None, None
    return None, fhir.first([fhir.concept_text(fhir.obj(resource, "valueCodeableConcept")),
                             fhir.concept_text(fhir.obj(resource, "dataAbsentReason"))]), None, None


def _reference_range(resource: JSON) -> tuple[float | None, float | None, str | None, str | None]:
    """(low, high, text, unit) of the normal range; text ranges such as "3,5-5,0" are read."""
    ranges = fhir.objects(resource, "referenceRange")
    normal = [r for r in ranges if not fhir.obj(r, "type")
              or fhir.code_of(fhir.obj(r, "type")) in ("normal", "N")]
    chosen = (normal or ranges or [{}])[0]
    low_q, high_q = fhir.obj(chosen, "low"), fhir.obj(chosen, "high")
    low, high = fhir.number(low_q, "value"), fhir.number(high_q, "value")
    text = fhir.text(chosen, "text")
    if low is None and high is None and text:
        low, high = lab_domain.parse_range_text(text)
    return low, high, text, _unit(low_q) or _unit(high_q)


def _interpretation(resource: JSON) -> str | None:
    """The lab's interpretation code: a known code of v3, v2 or no system first, else any code given
    (a standard code such as H in a local system is read as the standard one)."""
    codings = [c for i in fhir.objects(resource, "interpretation") for c in fhir.codings(i)]
    for coding in codings:
        code = fhir.text(coding, "code")
        if coding.get("system") in (*lab_domain.INTERPRETATION_SYSTEMS, None) \
                and lab_domain.interpretation_flag(code) is not None:
            return code
    return next((code for c in codings if (code := fhir.text(c, "code"))), None)


def is_signature(provenance: JSON) -> bool:
    """A Provenance that signs (verifies) what it targets: its activity is ISO 21089 ``verify``, or
    it names no activity and has a ``verifier`` agent (a lab's Provenance of making the result,
    whose activity is another, is no signature even when a lab technician verified it)."""
    activity = fhir.obj(provenance, "activity")
    if fhir.codings(activity):
        return fhir.has_code(activity, ISO_21089_LIFECYCLE, VERIFY)
    return any(fhir.has_code(fhir.obj(agent, "type"), PARTICIPANT_TYPE, VERIFIER)
               for agent in fhir.objects(provenance, "agent"))


def _target_version(reference: JSON) -> str | None:
    """The version a reference names (``Observation/1/_history/3`` -> ``3``), None without one."""
    parts = (fhir.text(reference, "reference") or "").split("?")[0].rstrip("/").split("/")
    return parts[-1] if len(parts) >= 4 and parts[-2] == "_history" else None


Signatures = Mapping[str, list[tuple[str | None, JSON]]]  # Observation/<id> -> (version, Provenance)


def signatures_by_target(provenances: Iterable[JSON]) -> dict[str, list[tuple[str | None, JSON]]]:
    """The signing Provenances by the result they target (with the version each names)."""
    found: dict[str, list[tuple[str | None, JSON]]] = {}
    for provenance in provenances:
        if not is_signature(provenance):
            continue
        for target in fhir.objects(provenance, "target"):
            if (key := fhir.reference_key(target)) is not None:
                found.setdefault(key, []).append((_target_version(target), provenance))
    return found


def _signs(resource: JSON, version: str | None, provenance: JSON) -> bool:
    """Whether a signature on ``version`` signs the result as it is now."""
    if version is not None:
        return version == fhir.version_id(resource)
    changed = fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated"))
    recorded = fhir.parse_instant(provenance.get("recorded"))
    return changed is None or recorded is None or recorded >= changed


def signature(resource: JSON, signatures: Signatures) -> Signature | None:
    """Who signed this version of the result first, and when; None when it is unsigned."""
    valid = [p for version, p in signatures.get(fhir.key(resource), []) if _signs(resource, version, p)]
    if not valid:
        return None
    first = min(valid, key=lambda p: fhir.parse_instant(p.get("recorded")) or _NEVER)
    agents = fhir.objects(first, "agent")
    agent = next((a for a in agents if fhir.has_code(fhir.obj(a, "type"), PARTICIPANT_TYPE, VERIFIER)),
                 agents[0] if agents else {})
    who = fhir.obj(agent, "who")
    return Signature(practitioner_id=fhir.reference_id(who, "Practitioner"),
                     name=fhir.display(who) or fhir.reference_key(who) or "",
                     at=fhir.parse_instant(first.get("recorded")))


def lab_result(resource: JSON, report: ReportInfo | None = None, signatures: Signatures | None = None
               ) -> LabResult | None:
    """One blood-test result (signed when ``signatures`` holds a signature of this version); None
    when entered in error."""
    status = fhir.text(resource, "status") or "final"
    if status == "entered-in-error":
        return None
    concept = fhir.obj(resource, "code")
    main = _main_coding(concept)
    code = fhir.text(main, "code") or fhir.concept_text(concept) or ""
    name = fhir.first([fhir.text(concept, "text"), fhir.text(main, "display"), code]) or ""
    value, value_text, comparator, unit = _value(resource)
    low, high, range_text, range_unit = _reference_range(resource)
    unit = unit or range_unit
    interpretation = _interpretation(resource)
    local_codes = terms().local_lab.by_code
    flag = lab_domain.lab_flag(value=value, comparator=comparator, low=low, high=high,
                               interpretation=interpretation, code=code, name=name, unit=unit,
                               status=status, has_text=value_text is not None, local_codes=local_codes)
    return LabResult(
        id=str(resource.get("id", "")), code=code, system=fhir.text(main, "system"), name=name,
        value=value, value_text=value_text, comparator=comparator, unit=unit, low=low, high=high,
        interpretation=interpretation,
        time=fhir.first_instant(resource, "effectiveDateTime", "effectiveInstant")
        or fhir.period_start(resource, "effectivePeriod") or fhir.parse_instant(resource.get("issued")),
        status=status, version=fhir.version_id(resource), flag=flag,
        group=lab_domain.lab_group(code, name, local_codes), issued=fhir.parse_instant(resource.get("issued")),
        reference_text=range_text, signature=signature(resource, signatures or {}),
        report_id=report.id if report else None, panel=report.panel if report else None,
        performer=fhir.first([*(fhir.display(p) for p in fhir.objects(resource, "performer")),
                              report.performer if report else None]),
    )


# ------------------------------------------------------------------ the panel


def _newest_first(result: LabResult) -> tuple[float, float, str]:
    def stamp(when: datetime | None) -> float:
        return when.timestamp() if when else float("-inf")

    return -stamp(result.time), -stamp(result.issued), result.id


def blood_tests(observations: Iterable[JSON], reports: Iterable[JSON] = (),
                provenances: Iterable[JSON] = ()) -> list[LabResult]:
    """The blood-test results among lab Observations, newest first: microbiology and grouping
    Observations are left out, and each result counts once (signed by the ``provenances``)."""
    observations = list(observations)
    signatures = signatures_by_target(provenances)
    by_result, micro = reports_by_result(reports)
    micro = _micro_members(observations, micro)
    results: dict[str, LabResult] = {}
    for resource in observations:
        resource_id = str(resource.get("id", ""))
        if resource_id in micro or resource_id in results or is_micro_observation(resource):
            continue
        if fhir.objects(resource, "hasMember") and not _has_value(resource):
            continue  # a grouping Observation, not a result
        result = lab_result(resource, by_result.get(resource_id), signatures)
        if result is not None:
            results[resource_id] = result
    return sorted(results.values(), key=_newest_first)


def lab_panel(patient_id: str, observations: Iterable[JSON], reports: Iterable[JSON],
              fetched_at: datetime, *, complete: bool = True, provenances: Iterable[JSON] = ()) -> LabPanel:
    """The lab tab: the newest value of each analyte, pending results and every analyte's history."""
    ordered = blood_tests(observations, reports, provenances)
    history: dict[str, list[LabResult]] = {}
    latest: dict[str, LabResult] = {}
    for result in ordered:
        history.setdefault(result.analyte, []).append(result)
        if result.flag is not LabFlag.PENDING and result.status != "cancelled":
            latest.setdefault(result.analyte, result)
    return LabPanel(
        patient_id=patient_id,
        latest=tuple(lab_domain.display_order(latest.values(), terms().local_lab.by_code)),
        pending=tuple(r for r in ordered if r.flag is LabFlag.PENDING),
        history={key: tuple(reversed(found)) for key, found in history.items()},
        fetched_at=fetched_at,
        complete=complete,
    )


def _has_value(resource: JSON) -> bool:
    return any(key.startswith("value") for key in resource)


# ------------------------------------------------------------------ microbiology


def _sir(resource: JSON) -> str:
    for source in (*fhir.objects(resource, "interpretation"), fhir.obj(resource, "valueCodeableConcept")):
        for coding in fhir.codings(source):
            code = (fhir.text(coding, "code") or "").upper()
            if code in _SIR:
                return code
    written = (fhir.text(resource, "valueString") or "").strip().upper()
    return written if written in _SIR else ""


def susceptibility(resource: JSON) -> Susceptibility:
    """One antibiotic's S/I/R, from an Observation or a component of the organism result."""
    concept = fhir.obj(resource, "code")
    value = fhir.obj(resource, "valueCodeableConcept")
    return Susceptibility(antibiotic=fhir.concept_text(concept) or "", code=fhir.code_of(concept),
                          result=_sir(resource),
                          text=fhir.text(value, "text") or fhir.text(resource, "valueString"))


def _no_growth(concept: JSON, text: str | None) -> bool:
    if any(fhir.text(c, "code") in NO_GROWTH_CODES for c in fhir.codings(concept)):
        return True
    return any(words in (text or "").casefold() for words in _NO_GROWTH_WORDS)


def micro_report(report: JSON, resources: dict[str, JSON]) -> MicroReport:
    """A culture report with its specimen, organisms (with S/I/R tables) and other findings."""
    organisms: list[Organism] = []
    findings: list[str] = []
    no_growth = False
    for reference in fhir.objects(report, "result"):
        result = resources.get(fhir.reference_key(reference) or "")
        if result is None or result.get("status") in ("entered-in-error", "cancelled"):
            continue
        value = fhir.obj(result, "valueCodeableConcept")
        text = fhir.concept_text(value) or fhir.text(result, "valueString")
        members = [m for ref in fhir.objects(result, "hasMember")
                   if (m := resources.get(fhir.reference_key(ref) or "")) is not None
                   and m.get("status") != "entered-in-error"]
        table = [susceptibility(m) for m in members] + [
            susceptibility(c) for c in fhir.objects(result, "component") if _sir(c)]
        if _no_growth(value, text):
            no_growth = True
        elif table or fhir.code_of(value):
            organisms.append(Organism(name=text or "", code=fhir.code_of(value, SNOMED) or fhir.code_of(value),
                                      susceptibilities=tuple(table)))
        elif text:
            findings.append(text)
    specimen = next((s for ref in fhir.objects(report, "specimen")
                     if (s := resources.get(fhir.reference_key(ref) or "")) is not None), {})
    collection = fhir.obj(specimen, "collection")
    return MicroReport(
        id=str(report.get("id", "")),
        name=fhir.concept_text(fhir.obj(report, "code")) or "",
        status=fhir.text(report, "status") or "final",
        sampled=fhir.first_instant(report, "effectiveDateTime") or fhir.period_start(report, "effectivePeriod"),
        issued=fhir.parse_instant(report.get("issued")),
        specimen=fhir.concept_text(fhir.obj(specimen, "type")),
        collected=fhir.parse_instant(collection.get("collectedDateTime"))
        or fhir.period_start(collection, "collectedPeriod"),
        received=fhir.parse_instant(specimen.get("receivedTime")),
        conclusion=fhir.text(report, "conclusion"),
        organisms=tuple(organisms),
        findings=tuple(findings),
        no_growth=no_growth,
        performer=fhir.first(fhir.display(p) for p in fhir.objects(report, "performer")),
    )


def micro_reports(bundle: JSON) -> list[MicroReport]:
    """The microbiology reports of a searchset (results, members and specimens included), newest
    first by sampling time."""
    resources = fhir.by_key(bundle)
    reports = [micro_report(r, resources) for r in fhir.of_type(bundle, "DiagnosticReport", "match")
               if r.get("status") != "entered-in-error"]
    return sorted(reports, key=lambda r: -(r.sampled or r.issued or _NEVER).timestamp())


_NEVER = datetime.fromtimestamp(0, UTC)


# ------------------------------------------------------------------ the ward list


def unsigned_patients(encounters: Iterable[JSON], observations: Iterable[JSON], now: datetime,
                      hours: float = lab_domain.NEW_RESULT_HOURS, provenances: Iterable[JSON] = ()) -> set[str]:
    """The ward's patients (from their current stays) with a new blood-test result nobody signed."""
    on_ward = {p for e in encounters if (p := fhir.reference_id(fhir.obj(e, "subject"), "Patient"))}
    return unsigned_among(on_ward, observations, now, hours, provenances)


def unsigned_among(patients: set[str], observations: Iterable[JSON], now: datetime,
                   hours: float = lab_domain.NEW_RESULT_HOURS, provenances: Iterable[JSON] = ()) -> set[str]:
    """Those of ``patients`` with a new blood-test result nobody signed (no signing Provenance of
    its current version among ``provenances``)."""
    signatures = signatures_by_target(provenances)
    marked: set[str] = set()
    for resource in observations:
        patient = fhir.reference_id(fhir.obj(resource, "subject"), "Patient")
        if patient not in patients or patient in marked or is_micro_observation(resource) \
                or fhir.objects(resource, "hasMember"):
            continue
        result = lab_result(resource, signatures=signatures)
        if result is not None and lab_domain.needs_signing(result, now, hours):
            marked.add(patient)
    return marked
