"""The fictitious hospital: organisations, wards with rooms and beds, and the staff who log in."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from mock_epj import terminology as t
from mock_epj.seed import names
from mock_epj.seed.elements import (
    Resource,
    concept,
    human_name,
    identifier,
    phone,
    ref,
    text_concept,
)

HOSPITAL_ID = "org-hospital"
LAB_ID = "org-lab"
MICRO_LAB_ID = "org-mikro"
PIN = "1234"


@dataclass(frozen=True)
class Bed:
    id: str
    room_id: str
    ward_id: str
    room: int
    number: int

    @property
    def name(self) -> str:
        return f"Rom {self.room} seng {self.number}"

    @property
    def label(self) -> str:
        return f"{self.room}-{self.number}"


@dataclass(frozen=True)
class Ward:
    id: str
    name: str
    alias: str
    resh: str
    specialty: str
    phone: str
    room_beds: tuple[int, ...]  # beds in each room, room 1 first

    @property
    def beds(self) -> list[Bed]:
        return [
            Bed(f"{self.id}-r{room:02d}-b{number}", f"{self.id}-r{room:02d}", self.id, room, number)
            for room, count in enumerate(self.room_beds, start=1)
            for number in range(1, count + 1)
        ]


WARDS = (
    Ward("ward-med", "Medisinsk sengepost", "Med. sengepost", "4208101", "Indremedisin",
         "67201100", (1, 2, 2, 2, 3, 3, 2, 2, 4, 1)),
    Ward("ward-kir", "Kirurgisk sengepost", "Kir. sengepost", "4208102", "Gastroenterologisk kirurgi",
         "67201200", (1, 1, 2, 2, 2, 2, 4, 4, 2, 2)),
    Ward("ward-hjerte", "Hjertemedisinsk sengepost", "Hjerte sengepost", "4208103",
         "Hjertesykdommer", "67201300", (1, 2, 2, 2, 2, 2, 2, 3, 3, 1)),
    Ward("ward-orto", "Ortopedisk sengepost", "Orto. sengepost", "4208104", "Ortopedisk kirurgi",
         "67201400", (2, 2, 2, 2, 3, 3, 2, 2, 4, 2)),
    Ward("ward-nevro", "Nevrologisk sengepost", "Nevro. sengepost", "4208105", "Nevrologi",
         "67201500", (1, 1, 2, 2, 2, 2, 3, 3, 2, 2)),
    Ward("ward-barn", "Barnemedisinsk sengepost", "Barn sengepost", "4208106", "Barnesykdommer",
         "67201600", (1, 1, 1, 1, 2, 2, 2, 2, 4, 4)),
)
WARDS_BY_ID = {ward.id: ward for ward in WARDS}

# (organisation id, name, organisation number, HER id); the municipalities PLO messages go to.
MUNICIPALITIES = {
    "fjordvik": ("org-kommune-fjordvik", "Fjordvik kommune", "964000018", "81001"),
    "havoy": ("org-kommune-havoy", "Havøy kommune", "964000026", "81002"),
    "bjorkedal": ("org-kommune-bjorkedal", "Bjørkedal kommune", "964000034", "81003"),
    "solstrand": ("org-kommune-solstrand", "Solstrand kommune", "964000042", "81004"),
}
HOSPITAL_ORGNR = "983000010"


@dataclass(frozen=True)
class Staff:
    id: str
    username: str
    role: str  # doctor | nurse | health_worker | auditor
    given: str
    family: str
    male: bool
    wards: tuple[str, ...]
    hpr: str
    phone: str

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def role_id(self) -> str:
        return self.id.replace("prac-", "role-")


# Who works where: (role, wards) in login order; lege1/spl1 share ward-med, lege2 is on ward-kir.
_STAFFING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("doctor", ("ward-med",)), ("doctor", ("ward-kir",)),
    ("doctor", ("ward-med",)), ("doctor", ("ward-med",)), ("doctor", ("ward-med", "ward-hjerte")),
    ("doctor", ("ward-med",)), ("doctor", ("ward-kir",)), ("doctor", ("ward-kir", "ward-orto")),
    ("doctor", ("ward-kir",)), ("doctor", ("ward-hjerte",)), ("doctor", ("ward-hjerte",)),
    ("doctor", ("ward-hjerte",)), ("doctor", ("ward-orto",)), ("doctor", ("ward-orto",)),
    ("doctor", ("ward-orto",)), ("doctor", ("ward-nevro",)), ("doctor", ("ward-nevro",)),
    ("doctor", ("ward-nevro",)), ("doctor", ("ward-barn",)), ("doctor", ("ward-barn",)),
    ("nurse", ("ward-med",)), ("nurse", ("ward-med",)), ("nurse", ("ward-med",)),
    ("nurse", ("ward-med", "ward-nevro")), ("nurse", ("ward-kir",)), ("nurse", ("ward-kir",)),
    ("nurse", ("ward-kir",)), ("nurse", ("ward-hjerte",)), ("nurse", ("ward-hjerte",)),
    ("nurse", ("ward-hjerte",)), ("nurse", ("ward-orto",)), ("nurse", ("ward-orto",)),
    ("nurse", ("ward-orto",)), ("nurse", ("ward-nevro",)), ("nurse", ("ward-nevro",)),
    ("nurse", ("ward-nevro",)), ("nurse", ("ward-barn",)), ("nurse", ("ward-barn",)),
    ("nurse", ("ward-barn",)), ("auditor", ()),
)
_FIXED_NAMES = {
    "lege1": ("Kari", "Nordmann", False),
    "spl1": ("Ingrid", "Solheim", False),
    "lege2": ("Jonas", "Berg", True),
    "revisor": ("Tone", "Haugland", False),
}


def build_staff(rng: random.Random) -> list[Staff]:
    """About 40 practitioners; every ward has several doctors and nurses."""
    staff: list[Staff] = []
    counters = {"doctor": 0, "nurse": 0}
    hprs = rng.sample(range(1_000_000, 9_999_999), len(_STAFFING))
    for number, (role, wards) in enumerate(_STAFFING, start=1):
        if role == "auditor":
            username = "revisor"
        else:
            counters[role] += 1
            username = f"{'lege' if role == 'doctor' else 'spl'}{counters[role]}"
        if username in _FIXED_NAMES:
            given, family, male = _FIXED_NAMES[username]
        else:
            male = rng.random() < (0.45 if role == "doctor" else 0.15)
            given = names.given_name(rng, male, rng.randint(1965, 1998))
            family = names.surname(rng)
        staff.append(Staff(
            id=f"prac-{number:03d}", username=username, role=role, given=given, family=family,
            male=male, wards=wards, hpr=str(hprs[number - 1]),
            phone=f"672{rng.randrange(10_000, 99_999)}",
        ))
    # A health worker on lege1's ward, with fixed details drawn from no random numbers, so that
    # everyone and everything else in the hospital stays as it was.
    staff.append(Staff(id=f"prac-{len(_STAFFING) + 1:03d}", username="hfa1", role="health_worker",
                       given="Mona", family="Lie", male=False, wards=("ward-med",), hpr="10000041",
                       phone="67290041"))
    return staff


def organizations() -> Iterator[Resource]:
    hospital_address = {
        "line": ["Sykehusveien 1"], "postalCode": "6803", "city": "Fjordvik", "country": "NO",
    }
    yield {
        "resourceType": "Organization", "id": HOSPITAL_ID, "active": True,
        "identifier": [identifier(t.ORGNR, HOSPITAL_ORGNR), identifier(t.HER, "80001")],
        "type": [concept(t.ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
        "name": "Fjordvik universitetssykehus HF", "alias": ["FUS"],
        "telecom": [phone("67200000", "work")], "address": [hospital_address],
    }
    for org_id, name, resh in (
        (LAB_ID, "Avdeling for medisinsk biokjemi", "4208201"),
        (MICRO_LAB_ID, "Avdeling for mikrobiologi", "4208202"),
    ):
        yield {
            "resourceType": "Organization", "id": org_id, "active": True,
            "identifier": [identifier(t.RESH, resh)],
            "type": [concept(t.ORGANIZATION_TYPE, "dept", "Hospital Department")],
            "name": name, "partOf": ref("Organization", HOSPITAL_ID),
            "address": [hospital_address],
        }
    for ward in WARDS:  # the secretary service that transcribes each ward's dictations
        yield {
            "resourceType": "Organization", "id": f"secretary-{ward.id}", "active": True,
            "identifier": [identifier(t.SECRETARY_SERVICE, ward.id)],
            "type": [concept(t.ORGANIZATION_TYPE, "dept", "Hospital Department"),
                     concept(t.ORGANIZATION_KIND, "secretary-service", "Merkantil tjeneste")],
            "name": f"Merkantil tjeneste, {ward.name}", "partOf": ref("Organization", HOSPITAL_ID),
            "address": [hospital_address],
        }
    for org_id, name, orgnr, her in MUNICIPALITIES.values():
        yield {
            "resourceType": "Organization", "id": org_id, "active": True,
            "identifier": [identifier(t.ORGNR, orgnr), identifier(t.HER, her)],
            "type": [concept(t.ORGANIZATION_TYPE, "govt", "Government")],
            "name": name, "alias": [f"{name}, helse og omsorg"],
        }


def locations() -> Iterator[Resource]:
    """Each ward, then its rooms, then the beds of each room in order."""
    hospital = ref("Organization", HOSPITAL_ID)
    for ward in WARDS:
        yield {
            "resourceType": "Location", "id": ward.id, "status": "active", "mode": "instance",
            "identifier": [identifier(t.RESH, ward.resh)],
            "name": ward.name, "alias": [ward.alias],
            "type": [concept(t.ROLE_CODE, "HU", "Hospital unit")],
            "telecom": [phone(ward.phone, "work")],
            "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "wa", "Ward"),
            "managingOrganization": hospital,
        }
        for room, _count in enumerate(ward.room_beds, start=1):
            yield {
                "resourceType": "Location", "id": f"{ward.id}-r{room:02d}", "status": "active",
                "mode": "instance", "name": f"Rom {room}",
                "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "ro", "Room"),
                "partOf": ref("Location", ward.id, ward.name),
                "managingOrganization": hospital,
            }
        for bed in ward.beds:
            yield {
                "resourceType": "Location", "id": bed.id, "status": "active", "mode": "instance",
                "name": bed.name, "alias": [bed.label],
                "description": f"{ward.name}, {bed.name.lower()}",
                "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "bd", "Bed"),
                "partOf": ref("Location", bed.room_id, f"Rom {bed.room}"),
                "managingOrganization": hospital,
            }


_ROLE_TEXT = {"doctor": "Lege", "nurse": "Sykepleier", "health_worker": "Helsefagarbeider", "auditor": "Revisor"}
# The HPR register's category of each clinical role (kodeverk 9060), beside HL7's practitioner-role code.
_HPR_CATEGORY = {"doctor": "LE", "nurse": "SP", "health_worker": "HF"}


def practitioners(staff: list[Staff]) -> Iterator[Resource]:
    """A Practitioner and a PractitionerRole for each member of staff."""
    for person in staff:
        yield {
            "resourceType": "Practitioner", "id": person.id, "active": True,
            "identifier": [identifier(t.HPR, person.hpr), identifier(t.USERNAME, person.username)],
            "name": [human_name(person.family, person.given)],
            "telecom": [phone(person.phone, "work")],
            "gender": "male" if person.male else "female",
            "qualification": [{"code": text_concept(_ROLE_TEXT[person.role])}],
        }
        codes: list[Resource] = []
        if person.role == "auditor":
            codes.append(concept(t.STAFF_ROLE, "auditor", "Revisor", "Revisor (personvern)"))
        elif person.role in ("doctor", "nurse"):
            display = "Doctor" if person.role == "doctor" else "Nurse"
            codes.append(concept(t.PRACTITIONER_ROLE, person.role, display, _ROLE_TEXT[person.role]))
        if person.role in _HPR_CATEGORY:
            text = _ROLE_TEXT[person.role]
            codes.append(concept(t.HPR_CATEGORY, _HPR_CATEGORY[person.role], text, text))
        role: Resource = {
            "resourceType": "PractitionerRole", "id": person.role_id, "active": True,
            "practitioner": ref("Practitioner", person.id, person.name),
            "organization": ref("Organization", HOSPITAL_ID),
            "code": codes,
            "telecom": [phone(person.phone, "work")],
        }
        if person.wards:
            role["location"] = [
                ref("Location", w, WARDS_BY_ID[w].name) for w in person.wards
            ]
        if person.role == "doctor":
            role["specialty"] = [text_concept(WARDS_BY_ID[person.wards[0]].specialty)]
        elif person.role == "nurse":
            role["specialty"] = [text_concept("Sykepleie")]
        elif person.role == "health_worker":
            role["specialty"] = [text_concept("Helsefag")]
        yield role
