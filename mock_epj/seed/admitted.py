"""Everything in an admitted patient's record: the stay, observations, notes, plans and messages."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from mock_epj.seed import clinical, documents, labs, micro, people, photos, thrombosis, vitals, workflow
from mock_epj.seed.clock import at_local, days_between, local_day
from mock_epj.seed.elements import Resource
from mock_epj.seed.facility import Staff
from mock_epj.seed.history import earlier_stays
from mock_epj.seed.plan import Stay

_TWICE_DAILY = ("N17.9", "E87.1", "K92.2", "K25.4")  # diagnoses followed with afternoon samples
# Cultures taken when fever or a urinary infection is suspected beside the main diagnosis.
_WORK_UP_CULTURES = (("urin", ("ecoli", "kleb", None, None)), ("blod", (None, None, "saureus")))


def admitted_patient(
    stay: Stay, used_numbers: set[str], doctors_by_ward: dict[str, list[Staff]],
    nurses_by_ward: dict[str, list[Staff]],
) -> Iterator[Resource]:
    """The patient in a bed and their record, drawn from the stay's own Random."""
    rng = random.Random(stay.seed)
    now = stay.now
    person = people.make_patient(
        rng, stay.index, now.date(), used_numbers, age=stay.age, male=stay.male
    )
    number, patient_id, encounter_id = stay.number, stay.patient_id, stay.encounter_id
    yield person.resource
    if rng.random() < 0.9:
        yield from people.next_of_kin(rng, person)

    doc_number = 0
    for encounter, diagnosis, doctor in earlier_stays(
        rng, person, stay.earlier_encounters, now, doctors_by_ward, before=stay.start
    ):
        yield encounter
        if encounter["class"]["code"] == "IMP":
            doc_number += 1
            start = datetime.fromisoformat(encounter["period"]["start"])
            end = datetime.fromisoformat(encounter["period"]["end"])
            yield documents.document(
                f"doc-{number}-{doc_number:03d}", "epikrise", f"Epikrise: {diagnosis.text}",
                documents.discharge_summary(diagnosis, start, end), patient_id,
                encounter["id"], doctor, end,
            )

    allergy_texts: list[str] = []
    critical_texts: list[str] = []
    known_since = stay.start - timedelta(days=rng.uniform(60, 3000))
    if rng.random() < 0.15:
        allergy, text = clinical.mild_allergy(rng, f"alg-{number}-1", patient_id, known_since)
        allergy_texts.append(text)
        yield allergy
    if stay.critical_info:
        resources, critical_texts = clinical.critical_information(
            rng, number, patient_id, known_since, stay.age < 18
        )
        yield from resources

    yield clinical.admission(
        encounter_id, patient_id, stay.bed, stay.start, stay.diagnosis, stay.condition_id,
        stay.doctor, stay.nurse,
    )
    yield clinical.condition(
        stay.condition_id, patient_id, encounter_id, stay.diagnosis,
        stay.start - timedelta(days=rng.randint(0, 4)), stay.doctor,
    )
    if stay.hypercapnic:
        yield clinical.scale2_condition(f"cond-{number}-scale2", patient_id, known_since)

    sets = _vital_sets(rng, stay)
    for n, measured in enumerate(sets, start=1):
        nurse = stay.nurse.id if stay.nurse else None
        yield from vitals.observations(measured, f"obs-{number}-v{n:03d}", patient_id,
                                       encounter_id, nurse)

    course = labs.LabCourse.for_patient(
        rng, stay.male, stay.age,
        {k: v * stay.severity for k, v in stay.diagnosis.labs.items()},
        stay.diagnosis.extra_labs,
    )
    lab_history: list[tuple[datetime, dict[str, float]]] = []
    for n, (sampled, keys, pending) in enumerate(_lab_schedule(rng, stay), start=1):
        issued = sampled + (timedelta(minutes=rng.randint(12, 25)) if pending
                            else timedelta(minutes=rng.randint(35, 110)))
        panel = labs.panel(
            course, rng, keys, report_id=f"dr-{number}-l{n:03d}",
            obs_id=f"obs-{number}-l{n:03d}-{{}}".format,
            patient_id=patient_id, encounter_id=encounter_id, sampled=sampled, issued=issued,
            activity=stay.activity(sampled), pending=pending,
        )
        yield from panel
        values = {
            key: float(obs["valueQuantity"]["value"])
            for key, obs in zip(keys, panel, strict=False) if "valueQuantity" in obs
        }
        lab_history.append((sampled, values))

    if stay.micro:
        yield from _cultures(rng, stay)

    yield from _notes(rng, stay, person, sets, lab_history, allergy_texts, critical_texts,
                      doctors_by_ward[stay.ward.id], nurses_by_ward[stay.ward.id], doc_number)
    if rng.random() < 0.85:
        yield workflow.care_plan(rng, stay, now)
    if person.municipality and rng.random() < (0.55 if stay.age >= 70 else 0.12):
        home_care = stay.age >= 70 and rng.random() < 0.7
        yield from workflow.plo_messages(rng, stay, person.municipality, home_care, now)
    yield from thrombosis.admission_assessment(stay.seed, number, patient_id, encounter_id, stay.start, now,
                                               stay.age, stay.diagnosis.signs, stay.acuity(stay.start),
                                               stay.nurse or stay.doctor)
    yield from photos.photos(stay, patient_id, encounter_id)


def _vital_sets(rng: random.Random, stay: Stay) -> list[vitals.VitalSet]:
    """An admission set, then 2-4 rounds a day depending on how ill the patient is."""
    signs = stay.diagnosis.signs
    latest = stay.now - timedelta(minutes=10)
    times = [stay.start + timedelta(minutes=rng.randint(8, 25))]
    for day in days_between(local_day(stay.start), local_day(stay.now)):
        acuity = stay.acuity(at_local(day, 12))
        hours = (2, 8, 14, 20) if acuity >= 0.45 else (8, 14, 20) if acuity >= 0.15 else (8, 20)
        for hour in hours:
            when = at_local(day, hour) + timedelta(minutes=rng.randint(-20, 25))
            if times[0] + timedelta(minutes=90) < when <= latest:
                times.append(when)
    return [vitals.measure(rng, when, stay.acuity(when), stay.age, signs)
            for when in times if when <= latest]


def _lab_schedule(
    rng: random.Random, stay: Stay
) -> list[tuple[datetime, tuple[str, ...], tuple[str, ...]]]:
    """(sample time, analytes, analytes still pending) for each blood sample of the stay."""
    extra = stay.diagnosis.extra_labs
    ready_by = stay.now - timedelta(hours=2)
    schedule: list[tuple[datetime, tuple[str, ...], tuple[str, ...]]] = []
    first = stay.start + timedelta(minutes=rng.randint(15, 40))
    if first <= ready_by:
        schedule.append((first, labs.DAILY_PANEL + extra, ()))
    twice = stay.diagnosis.icd in _TWICE_DAILY
    for day in days_between(local_day(stay.start) + timedelta(days=1), local_day(stay.now)):
        morning = at_local(day, 7) + timedelta(minutes=rng.randint(0, 45))
        early = morning - stay.start < timedelta(days=3)
        keys = labs.DAILY_PANEL + (extra if early else ())
        if morning <= ready_by:
            schedule.append((morning, keys, ()))
        afternoon = at_local(day, 15) + timedelta(minutes=rng.randint(0, 60))
        if (twice or stay.is_sick_at(afternoon)) and rng.random() < 0.7 \
                and afternoon <= ready_by:
            schedule.append((afternoon, keys, ()))
    if stay.pending_labs:
        sampled = stay.now - timedelta(minutes=rng.randint(30, 95))
        keys = labs.DAILY_PANEL + extra
        pending_pool = [k for k in ("crp", "crea", "tnt", "leuk") if k in keys]
        pending = tuple(rng.sample(pending_pool, rng.choice((1, 2))))
        schedule.append((sampled, keys, pending))
    return sorted(schedule, key=lambda item: item[0])


def _cultures(rng: random.Random, stay: Stay) -> Iterator[Resource]:
    cultures = stay.diagnosis.micro or (rng.choice(_WORK_UP_CULTURES),)
    for k, (sample, organisms) in enumerate(cultures, start=1):
        if k > 1 and rng.random() < 0.5:
            continue
        collected = stay.start + timedelta(minutes=rng.randint(20, 90))
        if collected > stay.now - timedelta(minutes=30):
            continue
        collector = stay.nurse.id if stay.nurse else None
        yield from micro.culture(
            rng, stay.number, k, sample, rng.choice(organisms), stay.patient_id,
            stay.encounter_id, collected, stay.now, collector,
        )


def _latest_before(
    items: list[tuple[datetime, dict[str, float]]], when: datetime
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """The newest lab values sampled before ``when`` and the ones before those."""
    earlier = [values for sampled, values in items if sampled <= when and values]
    latest = earlier[-1] if earlier else None
    return latest, earlier[-2] if len(earlier) > 1 else None


def _notes(
    rng: random.Random, stay: Stay, person: people.Person, sets: list[vitals.VitalSet],
    lab_history: list[tuple[datetime, dict[str, float]]], allergies: list[str],
    critical: list[str], doctors: list[Staff], nurses: list[Staff], doc_number: int,
) -> Iterator[Resource]:
    """Admission note, a doctor's note each day and nursing notes, as DocumentReferences."""
    now = stay.now
    latest = now - timedelta(minutes=5)
    number, patient_id, encounter_id = stay.number, stay.patient_id, stay.encounter_id
    diagnosis = stay.diagnosis

    def vitals_before(when: datetime) -> vitals.VitalSet | None:
        found = [v for v in sets if v.when <= when]
        return found[-1] if found else None

    written = min(stay.start + timedelta(hours=rng.uniform(1.5, 4)), latest)
    first_labs = lab_history[0][1] if lab_history else None
    text = documents.admission_note(
        rng, diagnosis, stay.ward.name, stay.age, stay.male, person.marital,
        sets[0] if sets else None, first_labs, allergies, critical,
    )
    doc_number += 1
    yield documents.document(
        f"doc-{number}-{doc_number:03d}", "innkomstjournal", f"Innkomstjournal: {diagnosis.text}",
        text, patient_id, encounter_id, stay.doctor, written,
        preliminary=written > now - timedelta(hours=1),
    )
    days = days_between(local_day(stay.start) + timedelta(days=1), local_day(now))
    for day in days:
        note_time = at_local(day, 11) + timedelta(minutes=rng.randint(0, 150))
        if note_time <= latest:
            change = stay.acuity(note_time) - stay.acuity(note_time - timedelta(days=1))
            trend = "worse" if change > 0.04 else "better" if change < -0.04 else "same"
            labs_now, labs_before = _latest_before(lab_history, note_time)
            shown = {k: v for k, v in (labs_now or {}).items()
                     if k == "crp" or k in diagnosis.labs or k in diagnosis.extra_labs}
            text = documents.daily_note(
                rng, diagnosis, note_time, trend, vitals_before(note_time), shown,
                labs_before, ready_for_discharge=stay.acuity_now < 0.2 and trend == "better",
            )
            author = stay.doctor if rng.random() < 0.6 else rng.choice(doctors)
            doc_number += 1
            yield documents.document(
                f"doc-{number}-{doc_number:03d}", "daglig-notat", "Daglig notat", text,
                patient_id, encounter_id, author, note_time,
                preliminary=day == days[-1] and rng.random() < 0.15,
            )
        for shift, hour in rng.sample((("Nattevakt", 6), ("Dagvakt", 14), ("Kveldsvakt", 21)),
                                      rng.choice((1, 2))):
            when = at_local(day, hour) + timedelta(minutes=rng.randint(0, 50))
            if when > latest:
                continue
            author = stay.nurse if stay.nurse and rng.random() < 0.5 else rng.choice(nurses)
            text = documents.nursing_note(rng, shift, vitals_before(when), stay.is_sick_at(when))
            doc_number += 1
            yield documents.document(
                f"doc-{number}-{doc_number:03d}", "sykepleienotat", f"Sykepleienotat, {shift}",
                text, patient_id, encounter_id, author, when,
            )
