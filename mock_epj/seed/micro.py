"""Microbiology: specimens, culture results with organism and antibiotic susceptibility (S/I/R)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import iso
from mock_epj.seed.elements import Resource, concept, interpretation, ref, text_concept
from mock_epj.seed.facility import MICRO_LAB_ID

# sample key -> (report code, report name, specimen type, days until a negative culture is final)
SAMPLES = {
    "blod": ("blodkultur", "Blodkultur", "Blod", 5),
    "urin": ("urindyrkning", "Urindyrkning", "Urin, midtstråle", 2),
    "saar": ("saarprove", "Sårprøve", "Sårsekret", 2),
    "ekspektorat": ("ekspektorat", "Ekspektorat", "Ekspektorat", 2),
}
# organism key -> (SNOMED CT code, name, Gram stain seen before identification)
ORGANISMS = {
    "ecoli": ("112283007", "Escherichia coli", "Gram-negative staver"),
    "saureus": ("3092008", "Staphylococcus aureus", "Gram-positive kokker i hauger"),
    "kleb": ("56415008", "Klebsiella pneumoniae", "Gram-negative staver"),
    "spn": ("9861002", "Streptococcus pneumoniae", "Gram-positive diplokokker"),
}
ANTIBIOTICS = {
    "ampicillin": "Ampicillin", "mecillinam": "Mecillinam",
    "trimetoprim-sulfa": "Trimetoprim-sulfa", "ciprofloxacin": "Ciprofloxacin",
    "gentamicin": "Gentamicin", "cefotaxim": "Cefotaxim",
    "piperacillin-tazobaktam": "Piperacillin-tazobaktam", "meropenem": "Meropenem",
    "kloksacillin": "Kloksacillin", "benzylpenicillin": "Benzylpenicillin",
    "erytromycin": "Erytromycin", "klindamycin": "Klindamycin",
}
# organism -> antibiotic -> chance of (S, I); the rest is R. Roughly Norwegian resistance levels.
SUSCEPTIBILITY: dict[str, dict[str, tuple[float, float]]] = {
    "ecoli": {
        "ampicillin": (0.6, 0), "mecillinam": (0.93, 0), "trimetoprim-sulfa": (0.75, 0),
        "ciprofloxacin": (0.85, 0.03), "gentamicin": (0.95, 0), "cefotaxim": (0.94, 0),
        "piperacillin-tazobaktam": (0.93, 0.02), "meropenem": (1.0, 0),
    },
    "kleb": {
        "ampicillin": (0.0, 0), "mecillinam": (0.9, 0), "trimetoprim-sulfa": (0.85, 0),
        "ciprofloxacin": (0.88, 0.04), "gentamicin": (0.95, 0), "cefotaxim": (0.92, 0),
        "piperacillin-tazobaktam": (0.88, 0.04), "meropenem": (1.0, 0),
    },
    "saureus": {
        "benzylpenicillin": (0.25, 0), "kloksacillin": (0.99, 0), "erytromycin": (0.93, 0),
        "klindamycin": (0.95, 0), "trimetoprim-sulfa": (0.98, 0), "gentamicin": (0.98, 0),
    },
    "spn": {
        "benzylpenicillin": (0.93, 0.05), "cefotaxim": (0.99, 0), "erytromycin": (0.9, 0),
        "klindamycin": (0.93, 0), "trimetoprim-sulfa": (0.85, 0.05),
    },
}
_SIR_TEXT = {"S": "Følsom", "I": "Følsom ved økt eksponering", "R": "Resistent"}
_MICRO_CATEGORY = [concept(t.REPORT_CATEGORY, "MB", "Microbiology")]
_LAB_CATEGORY = [concept(t.OBSERVATION_CATEGORY, "laboratory", "Laboratory")]
_GROWTH_CODE = concept(t.MICRO_ORGANISM_TEST, "oppvekst", "Oppvekst", "Oppvekst")


def _sir(rng: random.Random, chances: tuple[float, float]) -> str:
    roll = rng.random()
    return "S" if roll < chances[0] else "I" if roll < chances[0] + chances[1] else "R"


def culture(
    rng: random.Random, number: str, k: int, sample: str, organism: str | None,
    patient_id: str, encounter_id: str, collected: datetime, now: datetime,
    collector_id: str | None,
) -> list[Resource]:
    """Specimen, susceptibility and organism Observations and the MB DiagnosticReport (last)."""
    code, name, specimen_type, negative_days = SAMPLES[sample]
    age_days = (now - collected).total_seconds() / 86400
    final = age_days >= (2.2 if organism else negative_days)
    issued = min(collected + timedelta(days=2.2 if final else 1.0), now - timedelta(minutes=20))
    key = f"{number}-m{k}"
    base: Resource = {
        "resourceType": "Observation",
        "category": _LAB_CATEGORY,
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "effectiveDateTime": iso(collected), "issued": iso(issued),
        "performer": [ref("Organization", MICRO_LAB_ID)],
        "specimen": ref("Specimen", f"spec-{key}"),
    }
    specimen: Resource = {
        "resourceType": "Specimen", "id": f"spec-{key}", "status": "available",
        "type": text_concept(specimen_type), "subject": ref("Patient", patient_id),
        "receivedTime": iso(collected + timedelta(minutes=rng.randint(20, 90))),
        "collection": {"collectedDateTime": iso(collected)},
    }
    if collector_id:
        specimen["collection"]["collector"] = ref("Practitioner", collector_id)
    resources: list[Resource] = [specimen]
    members: list[Resource] = []
    if organism and final:
        snomed, organism_name, _gram = ORGANISMS[organism]
        value = concept(t.SNOMED, snomed, organism_name, organism_name)
        resistant = []
        for antibiotic, chances in SUSCEPTIBILITY[organism].items():
            sir = _sir(rng, chances)
            display = ANTIBIOTICS[antibiotic]
            resources.append({
                **base, "id": f"obs-{key}-{antibiotic}", "status": "final",
                "code": concept(t.MICRO_ANTIBIOTIC, antibiotic, display, display),
                "valueCodeableConcept": {**interpretation(sir), "text": _SIR_TEXT[sir]},
                "interpretation": [interpretation(sir)],
            })
            members.append(ref("Observation", f"obs-{key}-{antibiotic}"))
            if sir == "R":
                resistant.append(display.lower())
        amount = " >10^5 CFU/mL" if sample == "urin" else ""
        conclusion = f"Oppvekst av {organism_name}{amount}."
        conclusion += (f" Resistent mot {', '.join(resistant)}." if resistant
                       else " Følsom for alle testede antibiotika.")
    elif organism:
        gram = ORGANISMS[organism][2]
        value = text_concept(gram)
        conclusion = (f"Foreløpig svar: {gram} påvist. Identifikasjon og resistensbestemmelse "
                      "følger.")
    else:
        days = max(1, min(int(age_days), negative_days))
        value = text_concept("Ingen vekst")
        conclusion = (f"Ingen vekst etter {days} døgn." if final
                      else f"Foreløpig ingen vekst etter {days} døgn. Endelig svar følger.")
    organism_obs: Resource = {
        **base, "id": f"obs-{key}-org", "status": "final" if final else "preliminary",
        "code": _GROWTH_CODE, "valueCodeableConcept": value,
    }
    if members:
        organism_obs["hasMember"] = members
    resources.append(organism_obs)
    resources.append({
        "resourceType": "DiagnosticReport", "id": f"dr-{key}",
        "status": "final" if final else "preliminary",
        "category": _MICRO_CATEGORY,
        "code": concept(t.LAB_PANEL, code, name, name),
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "effectiveDateTime": iso(collected), "issued": iso(issued),
        "performer": [ref("Organization", MICRO_LAB_ID, "Avdeling for mikrobiologi")],
        "specimen": [ref("Specimen", f"spec-{key}")],
        "result": [ref("Observation", f"obs-{key}-org")],
        "conclusion": conclusion,
    })
    return resources
