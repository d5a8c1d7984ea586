"""Journal documents: admission notes, daily notes, nursing notes and discharge summaries."""

from __future__ import annotations

import base64
import random
from datetime import datetime

from mock_epj import terminology as t
from mock_epj.seed.clock import iso, local_day
from mock_epj.seed.diagnoses import Diagnosis
from mock_epj.seed.elements import Resource, concept, ref
from mock_epj.seed.facility import Staff
from mock_epj.seed.vitals import ACVPU_DISPLAY, VitalSet

DOCUMENT_TYPES = {
    "innkomstjournal": "Innkomstjournal",
    "daglig-notat": "Daglig notat",
    "sykepleienotat": "Sykepleienotat",
    "epikrise": "Epikrise",
}
_COMORBIDITIES = (
    ("hypertensjon", "Amlodipin 5 mg x 1"), ("diabetes type 2", "Metformin 1 g x 2"),
    ("hyperkolesterolemi", "Atorvastatin 20 mg x 1"), ("hypotyreose", "Levaxin 75 µg x 1"),
    ("atrieflimmer", "Eliquis 5 mg x 2"), ("artrose", "Paracetamol 1 g ved behov"),
    ("refluksøsofagitt", "Pantoprazol 20 mg x 1"), ("depresjon", "Sertralin 50 mg x 1"),
    ("osteoporose", "Alendronat 70 mg x 1 per uke"),
)
_LAB_NAMES = {
    "hb": "Hb", "crp": "CRP", "leuk": "leukocytter", "na": "natrium", "k": "kalium",
    "crea": "kreatinin", "tnt": "troponin T", "ntprobnp": "NT-proBNP", "laktat": "laktat",
    "glukose": "glukose",
}


def number(value: float, decimals: int = 1) -> str:
    """Norwegian decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",") if decimals else str(round(value))


def person_words(age: float, male: bool) -> str:
    if age < 1:
        return f"{max(int(age * 12), 1)} måneder gammel {'gutt' if male else 'jente'}"
    if age < 18:
        return f"{int(age)} år gammel {'gutt' if male else 'jente'}"
    return f"{int(age)} år gammel {'mann' if male else 'kvinne'}"


def social_history(rng: random.Random, age: float, male: bool, marital: str | None) -> str:
    if age < 6:
        return "Bor med foreldre og søsken, går i barnehage."
    if age < 18:
        return "Bor med foreldre, går på skolen."
    if age > 75:
        return rng.choice((
            "Bor alene i egen leilighet, har hjemmesykepleie morgen og kveld.",
            "Bor med ektefelle i enebolig og klarer seg selv." if marital == "M"
            else "Bor alene, får hjelp til handling av datter.",
            "Bor i omsorgsbolig med trygghetsalarm. Går med rullator.",
        ))
    job = rng.choice(("lærer", "snekker", "sykepleier", "ingeniør", "butikkmedarbeider",
                      "fisker", "elektriker", "student" if age < 30 else "regnskapsfører"))
    work = f"pensjonist, tidligere {job}" if age >= 67 else f"arbeider som {job}"
    if marital == "W":
        return f"{'Enkemann' if male else 'Enke'}, bor alene, {work}."
    partner = "samboer" if marital in (None, "U") else "ektefelle"
    return f"Bor med {partner}, {work}."


def vitals_line(v: VitalSet) -> str:
    air = "på luft" if v.o2_flow == 0 else f"med {number(v.o2_flow)} L O2/min"
    return (f"RF {v.resp}, SpO2 {v.spo2} % {air}, puls {v.pulse}, BT {v.systolic}/{v.diastolic}, "
            f"temp {number(v.temp)} °C, {ACVPU_DISPLAY[v.acvpu][1].lower()}.")


def labs_line(values: dict[str, float], previous: dict[str, float] | None = None) -> str:
    parts = []
    for key, value in values.items():
        decimals = 1 if key in ("hb", "leuk", "k", "laktat", "glukose") else 0
        text = f"{_LAB_NAMES[key]} {number(value, decimals)}"
        if previous and key in previous:
            text += f" (forrige {number(previous[key], decimals)})"
        parts.append(text)
    return ", ".join(parts) + "." if parts else "Ingen nye prøvesvar."


def admission_note(
    rng: random.Random, diagnosis: Diagnosis, ward_name: str, age: float, male: bool,
    marital: str | None, vitals: VitalSet | None, labs: dict[str, float] | None,
    allergies: list[str], critical: list[str],
) -> str:
    history = [person_words(age, male) + ". " + social_history(rng, age, male, marital)]
    medicines = []
    if age >= 45:
        chosen = rng.sample(_COMORBIDITIES, rng.choice((0, 1, 2, 2, 3)))
        if chosen:
            history.append("Tidligere: " + ", ".join(c[0] for c in chosen) + ".")
            medicines = [c[1] for c in chosen]
    history.append(diagnosis.history.format(days=rng.randint(2, 5)))
    lines = [
        f"Innkomstjournal, {ward_name}", "",
        f"Innleggelsesårsak: {diagnosis.text} ({diagnosis.icd}).", "",
        "Anamnese:", " ".join(history),
        "Faste medisiner: " + ("; ".join(medicines) + "." if medicines else "Ingen."),
        "Allergier: " + ("; ".join(allergies) + "." if allergies else "Ingen kjente."),
    ]
    if critical:
        lines.append("Kritisk informasjon: " + "; ".join(critical) + ".")
    general = "redusert" if vitals and vitals.pulse > 100 else rng.choice(("lett redusert", "god"))
    lines += ["", "Funn:", f"Allmenntilstand {general}."]
    if vitals:
        lines.append(vitals_line(vitals))
    lines.append(diagnosis.findings)
    if labs:
        lines.append("Blodprøver: " + labs_line(labs))
    lines += ["", "Vurdering:", diagnosis.assessment, "", "Plan:"]
    lines += [f"- {item}" for item in diagnosis.plan]
    return "\n".join(lines)


def daily_note(
    rng: random.Random, diagnosis: Diagnosis, when: datetime, trend: str,
    vitals: VitalSet | None, labs: dict[str, float] | None,
    previous_labs: dict[str, float] | None, ready_for_discharge: bool,
) -> str:
    status = {
        "better": rng.choice((
            "Pasienten er i bedring og føler seg bedre i dag. Spiser og drikker bra.",
            "Fin bedring siste døgn. Mobiliseres med hjelp av fysioterapeut.",
        )),
        "same": rng.choice((
            "Uendret klinisk siste døgn. Fortsatt redusert allmenntilstand.",
            "Stabil, men fortsatt plaget. Lite matlyst.",
        )),
        "worse": rng.choice((
            "Dårligere siste døgn med stigende feber og økt oksygenbehov.",
            "Forverring i natt med økende tungpust og lavere blodtrykk. Tilkalt vakthavende.",
        )),
    }[trend]
    plan = {
        "better": "Fortsetter behandlingen. " + (
            "Kan trolig skrives ut i morgen, melding til kommunen sendes."
            if ready_for_discharge else "Gradvis opptrapping av aktivitet."),
        "same": "Fortsetter behandlingen uendret. Ny vurdering i morgen.",
        "worse": "Intensiverer behandlingen, nye prøver og tett overvåkning. "
                 "Vurderes av intensivlege ved ytterligere forverring.",
    }[trend]
    lines = [f"Daglig notat {local_day(when):%d.%m.%Y}", "", status]
    if vitals:
        lines.append("Vitale parametre: " + vitals_line(vitals))
    if labs:
        lines.append("Blodprøver: " + labs_line(labs, previous_labs))
    lines += ["", f"Vurdering: {diagnosis.text}, " + {
        "better": "i bedring.", "same": "uendret.", "worse": "forverret.",
    }[trend], f"Plan: {plan}"]
    return "\n".join(lines)


def nursing_note(rng: random.Random, shift: str, vitals: VitalSet | None, sick: bool) -> str:
    parts = [f"{shift}:"]
    if sick:
        parts.append(rng.choice((
            "Pasienten har vært urolig og trengt mye tilsyn.",
            "Trett og medtatt, sover mye. Lite drikke.",
        )))
    else:
        parts.append(rng.choice((
            "Rolig vakt. Pasienten har sovet godt.",
            "Har vært oppe og gått i korridoren med støtte.",
            "Spiste halv porsjon middag, drikker godt.",
            "Smertelindret med faste medisiner, ønsket ikke behovsmedisin.",
        )))
    if vitals:
        parts.append("Målt " + vitals_line(vitals))
    parts.append(rng.choice((
        "Vannlating uten problemer.", "Hatt avføring.", "Stelt i seng.",
        "Pårørende på besøk, informert.", "Sårstell utført, sår rolig.",
    )))
    return " ".join(parts)


def discharge_summary(diagnosis: Diagnosis, start: datetime, end: datetime) -> str:
    return "\n".join((
        "Epikrise", "",
        f"Diagnose: {diagnosis.text} ({diagnosis.icd}).", "",
        f"Forløp: Innlagt {local_day(start):%d.%m.%Y}. {diagnosis.assessment} "
        f"Behandlet etter plan med god bedring. Utskrevet {local_day(end):%d.%m.%Y}.", "",
        "Videre oppfølging: Kontroll hos fastlege om 2-3 uker. Kopi til fastlege.",
    ))


def document(
    doc_id: str, kind: str, title: str, text: str, patient_id: str, encounter_id: str,
    author: Staff, when: datetime, *, preliminary: bool = False,
) -> Resource:
    """A DocumentReference carrying the note as base64 text/plain."""
    written = iso(when)
    return {
        "resourceType": "DocumentReference", "id": doc_id, "status": "current",
        "docStatus": "preliminary" if preliminary else "final",
        "type": concept(t.DOCUMENT_TYPE, kind, DOCUMENT_TYPES[kind], DOCUMENT_TYPES[kind]),
        "subject": ref("Patient", patient_id),
        "date": written,
        "author": [ref("Practitioner", author.id, author.name)],
        "description": title,
        "content": [{"attachment": {
            "contentType": "text/plain; charset=utf-8", "language": "nb",
            "data": base64.b64encode(text.encode()).decode("ascii"),
            "title": title, "creation": written,
        }}],
        "context": {"encounter": [ref("Encounter", encounter_id)]},
    }
