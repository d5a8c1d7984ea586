"""Synthetic patients and their next of kin, with Norwegian identifiers and addresses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from mock_epj import terminology as t
from mock_epj.seed import identifiers, names
from mock_epj.seed.elements import Resource, concept, human_name, phone, ref

# Share of the registry by decade of age (0-9, 10-19, ... 100-104).
_DECADES = (9, 8, 10, 11, 12, 13, 13, 12, 8, 3, 0.3)
_DECADE_CUMULATIVE = tuple(accumulate(_DECADES))
_MARITAL = {
    "M": "Married", "U": "unmarried", "D": "Divorced", "W": "Widowed",
}
_NB = {"language": concept(t.BCP47, "nb", "Norsk bokmål"), "preferred": True}


@dataclass(frozen=True)
class Person:
    """A generated patient and the facts about them later resources build on."""

    resource: Resource
    male: bool
    birth: date
    age: float
    given: str
    family: str
    municipality: str | None  # key of a municipality in the region, None for visitors
    marital: str | None

    @property
    def id(self) -> str:
        return str(self.resource["id"])


def patient_number(index: int) -> str:
    return f"{index + 1:06d}"


def patient_id(index: int) -> str:
    return f"pat-{patient_number(index)}"


def random_age(rng: random.Random) -> float:
    decade = rng.choices(range(len(_DECADES)), cum_weights=_DECADE_CUMULATIVE)[0]
    return decade * 10 + rng.random() * (5 if decade == 10 else 10)


def make_patient(
    rng: random.Random, index: int, today: date, used_numbers: set[str],
    *, age: float | None = None, male: bool | None = None,
) -> Person:
    """A patient with fødselsnummer (about 2 % D-number), GSRN wristband number and address."""
    if male is None:
        male = rng.random() < 0.5
    if age is None:
        age = random_age(rng)
    birth = today - timedelta(days=int(age * 365.25) + rng.randint(0, 30))
    if birth > today:
        birth = today
    age = (today - birth).days / 365.25
    family = names.surname(rng)
    heritage = names.HERITAGE.get(family)
    if heritage and rng.random() < 0.85:
        given = rng.choice(heritage[1] if male else heritage[0])
    else:
        given = names.given_name(rng, male, birth.year)
    d_number = age >= 18 and rng.random() < 0.02
    while True:
        number = identifiers.synthetic_person_number(rng, birth, male, d_number=d_number)
        if number not in used_numbers:
            used_numbers.add(number)
            break
    postal_code, city, municipality = names.place(rng)
    pid = patient_id(index)
    resource: Resource = {
        "resourceType": "Patient", "id": pid,
        "identifier": [
            {"use": "official", "system": t.DNR if d_number else t.FNR, "value": number},
            {"use": "secondary", "system": t.GSRN, "value": identifiers.gsrn(index + 1)},
        ],
        "active": True,
        "name": [human_name(family, given)],
        "gender": "male" if male else "female",
        "birthDate": birth.isoformat(),
        "address": [{
            "use": "home", "type": "both", "line": [names.street_address(rng)],
            "postalCode": postal_code, "city": city, "country": "NO",
        }],
    }
    if age >= 12:
        resource["telecom"] = [phone(names.mobile_number(rng))]
    marital = None
    if age >= 20:
        roll = rng.random()
        widowed = 0.35 if age > 75 else 0.02
        marital = "W" if roll < widowed else "M" if roll < 0.55 else "D" if roll < 0.65 else "U"
        if rng.random() < 0.8:
            resource["maritalStatus"] = concept(t.MARITAL_STATUS, marital, _MARITAL[marital])
    if heritage and age > 40 and rng.random() < 0.6:
        language = {"language": concept(t.BCP47, heritage[2], heritage[3]), "preferred": True}
        resource["communication"] = [language]
    elif rng.random() < 0.5:
        resource["communication"] = [_NB]
    return Person(resource, male, birth, age, given, family, municipality, marital)


# (RoleCode, English display, Norwegian text, is male).
_RELATIONS = {
    "WIFE": ("wife", "Ektefelle (kone)", False), "HUSB": ("husband", "Ektefelle (mann)", True),
    "DAU": ("natural daughter", "Datter", False), "SON": ("natural son", "Sønn", True),
    "MTH": ("mother", "Mor", False), "FTH": ("father", "Far", True),
    "SIS": ("sister", "Søster", False), "BRO": ("brother", "Bror", True),
    "FRND": ("unrelated friend", "Venn", None),
}


def _relations_for(rng: random.Random, person: Person) -> list[str]:
    if person.age < 18:
        return ["MTH", "FTH"] if rng.random() < 0.85 else [rng.choice(("MTH", "FTH"))]
    if person.marital == "M":
        spouse = "WIFE" if person.male else "HUSB"
        return [spouse, rng.choice(("DAU", "SON"))] if person.age > 55 else [spouse]
    if person.age > 55:
        return [rng.choice(("DAU", "SON", "DAU"))]
    if person.age < 30:
        return [rng.choice(("MTH", "FTH"))]
    return [rng.choice(("SIS", "BRO", "FRND"))]


def next_of_kin(rng: random.Random, person: Person) -> list[Resource]:
    """RelatedPersons marked next of kin (v2-0131 N): parents of children, else spouse or family."""
    result = []
    number = person.id.removeprefix("pat-")
    for k, code in enumerate(_relations_for(rng, person), start=1):
        display, text, male = _RELATIONS[code]
        if male is None:
            male = rng.random() < 0.5
        birth_year = person.birth.year + {
            "MTH": -30, "FTH": -32, "DAU": 30, "SON": 30,
        }.get(code, rng.randint(-3, 3))
        family = person.family if code != "FRND" and rng.random() < 0.75 else names.surname(rng)
        given = names.given_name(rng, male, birth_year)
        relative: Resource = {
            "resourceType": "RelatedPerson", "id": f"rp-{number}-{k}", "active": True,
            "patient": ref("Patient", person.id),
            "relationship": [
                concept(t.ROLE_CODE, code, display, text),
                concept(t.CONTACT_ROLE, "N", "Next-of-Kin", "Nærmeste pårørende"),
            ],
            "name": [human_name(family, given)],
            "telecom": [phone(names.mobile_number(rng))],
            "gender": "male" if male else "female",
        }
        if (code in ("WIFE", "HUSB", "MTH", "FTH") and person.age < 18) or code in ("WIFE", "HUSB"):
            relative["address"] = [dict(a) for a in person.resource["address"]]
        result.append(relative)
    return result


def age_on(person: Person, moment: datetime) -> float:
    return (moment.date() - person.birth).days / 365.25
