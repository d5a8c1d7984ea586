"""Norwegian names, streets and places for synthetic people, weighted roughly like the population."""

from __future__ import annotations

import random
from itertools import accumulate

# Given names by sex and by the generation they were popular in.
FEMALE_OLD = (
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
    "Solveig", "Randi", "Gerd", "Ragnhild", "Åse", "Sølvi", "Grethe", "Aud", "Reidun", "Unni",
    "Synnøve", "Gunn", "Borghild", "Signe", "Else", "Torill", "Turid", "Åshild", "Guri", "Jorunn",
    "Bodil", "Oddny", "Dagny", "Gro", "Wenche", "Karin", "Ellen", "Brit", "Margit", "Magnhild",
)
FEMALE_MID = (
    "Hilde", "Marianne", "Nina", "Elisabeth", "Kristin", "Bente", "Heidi", "Silje", "Hanne",
    "Linda", "Tone", "Tove", "Elin", "Anita", "Camilla", "Hege", "Ann", "Mette", "Kjersti",
    "Marte", "Stine", "Ingvild", "Siri", "Lene", "Ida", "Maria", "Anna", "Kristine", "Line",
    "Trine", "Therese", "Cecilie", "Ingeborg", "Julie", "Monica", "Guro", "Tonje", "Ragnhild",
)
FEMALE_YOUNG = (
    "Emma", "Nora", "Sara", "Sofie", "Ingrid", "Thea", "Emilie", "Maja", "Julie", "Ella",
    "Olivia", "Frida", "Leah", "Vilde", "Hedda", "Tiril", "Live", "Tuva", "Selma", "Kaja",
    "Aurora", "Amalie", "Astrid", "Ingeborg", "Iben", "Mathilde", "Linnea", "Solveig", "Åsne",
    "Eline", "Oda", "Hanna", "Sigrid", "Alma", "Luna",
)
MALE_OLD = (
    "Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Svein", "Arne", "Hans", "Odd",
    "Terje", "Harald", "Olav", "Tore", "Rolf", "Kåre", "Nils", "Leif", "Gunnar", "Einar",
    "Magne", "Ivar", "Steinar", "Helge", "Torbjørn", "Asbjørn", "Arild", "Egil", "Finn",
    "Gudmund", "Ingvar", "Åge", "Birger", "Reidar", "Sverre", "Oddvar", "Alf", "Trygve", "Ottar",
)
MALE_MID = (
    "Geir", "Thomas", "Tor", "Martin", "Morten", "Jon", "Andreas", "Erik", "John", "Rune",
    "Trond", "Anders", "Espen", "Kristian", "Øyvind", "Ørjan", "Ståle", "Håkon", "Pål",
    "Frode", "Jørgen", "Sindre", "Eirik", "Petter", "Bård", "Dag", "Stian", "Kenneth",
    "Vegard", "Christian", "Marius", "Fredrik", "Thor", "Halvor", "Tor Bjørnar", "Bjørnar",
)
MALE_YOUNG = (
    "Jakob", "Emil", "Noah", "Oskar", "Lucas", "Filip", "Henrik", "Aksel", "Mathias",
    "Johannes", "William", "Elias", "Isak", "Magnus", "Theodor", "Tobias", "Sander", "Jonas",
    "Olav", "Kasper", "Ludvig", "Edvard", "Sigurd", "Ivar", "Håkon", "Mikkel", "Torbjørn",
    "Odin", "Storm", "Even", "Birk", "Brage",
)
FEMALE_DOUBLE = (
    "Anne Grethe", "Kari Anne", "Inger Lise", "Ann Kristin", "Mari Ann", "Anne Marit",
    "Eva Marie", "Liv Åse", "Hanne Marie", "Ingrid Sofie",
)
MALE_DOUBLE = (
    "Hans Petter", "Jan Erik", "Per Olav", "Lars Erik", "Bjørn Inge", "Nils Petter",
    "Tor Arne", "Knut Åge", "Ole Martin", "Jon Olav",
)

SURNAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
    "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
    "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen",
    "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
    "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen", "Mathisen",
    "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge", "Moe", "Nygård",
    "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Christensen", "Andresen",
    "Nielsen", "Knudsen", "Evensen", "Sæther", "Aas", "Myhre", "Hanssen", "Ahmed", "Haugland",
    "Thomassen", "Sivertsen", "Simonsen", "Danielsen", "Berntsen", "Sandvik", "Rønning",
    "Arnesen", "Antonsen", "Næss", "Vik", "Haug", "Ellingsen", "Thorsen", "Edvardsen",
    "Birkeland", "Isaksen", "Gulbrandsen", "Ruud", "Aasen", "Strøm", "Myklebust", "Tangen",
    "Ødegård", "Eliassen", "Helland", "Bøe", "Jenssen", "Aune", "Mikkelsen", "Tveit", "Brekke",
    "Abrahamsen", "Madsen",
)
_SURNAME_CUMULATIVE = tuple(accumulate(1.0 / (rank + 8) for rank in range(len(SURNAMES))))

# Given names that go with surnames common among Norwegians of Vietnamese and Somali descent,
# and the language such a patient may prefer (BCP-47).
HERITAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]] = {
    "Nguyen": (("Thi Mai", "Linh", "Thi Hoa", "Lan", "Thu"), ("Van Minh", "Duc", "Minh", "Quang"),
               "vi", "Vietnamesisk"),
    "Ali": (("Fatima", "Amina", "Ayan", "Hodan", "Maryam"), ("Mohammed", "Omar", "Yusuf", "Abdi"),
            "so", "Somali"),
    "Ahmed": (("Fatima", "Amina", "Sahra", "Halima"), ("Mohammed", "Hassan", "Ahmed", "Abdirahman"),
              "so", "Somali"),
}

STREETS = (
    "Storgata", "Kirkeveien", "Skolegata", "Fjordveien", "Bjørkeveien", "Granveien", "Sjøgata",
    "Havnegata", "Nygårdsveien", "Solbakken", "Åsveien", "Løkkeveien", "Møllevegen",
    "Prestegårdsvegen", "Parkveien", "Strandveien", "Gamle Kongevei", "Furuveien", "Einerveien",
    "Bekkeliveien", "Lyngveien", "Smedgata", "Kongens gate", "Dronningens gate", "Haugeveien",
    "Fjellveien", "Myrveien", "Skogveien", "Elvegata", "Brugata", "Ringveien", "Kløverveien",
    "Holmeveien", "Tunveien", "Stasjonsveien", "Rosenlundveien", "Bakkegata", "Øvre Hagevei",
    "Nedre Strandgate", "Tømmerås", "Lerkeveien", "Hesteskoen", "Sætervegen", "Lilleåsen",
)

# (postal code, postal place, municipality key or None for patients from outside the region).
PLACES: tuple[tuple[str, str, str | None], ...] = (
    ("6801", "Fjordvik", "fjordvik"), ("6803", "Fjordvik", "fjordvik"),
    ("6806", "Fjordvik", "fjordvik"), ("6809", "Fjordvik", "fjordvik"),
    ("6812", "Straumsnes", "fjordvik"), ("6814", "Lundevik", "fjordvik"),
    ("6830", "Havøy", "havoy"), ("6833", "Skjærvåg", "havoy"), ("6836", "Nesvåg", "havoy"),
    ("6850", "Bjørkedal", "bjorkedal"), ("6853", "Øvre Bjørkedal", "bjorkedal"),
    ("6856", "Lia", "bjorkedal"), ("6870", "Solstrand", "solstrand"),
    ("6873", "Rypeli", "solstrand"), ("6876", "Bakkeby", "solstrand"),
    ("0150", "Oslo", None), ("5003", "Bergen", None), ("7010", "Trondheim", None),
    ("4006", "Stavanger", None), ("9008", "Tromsø", None),
)
_PLACE_CUMULATIVE = tuple(accumulate(
    (6.0 if key == "fjordvik" else 3.0) if key else 0.5 for _, _, key in PLACES
))


def surname(rng: random.Random) -> str:
    if rng.random() < 0.03:
        first, second = rng.choices(SURNAMES[:30], k=2)
        if first != second:
            return f"{first} {second}"
    return rng.choices(SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]


def given_name(rng: random.Random, male: bool, birth_year: int) -> str:
    """A given name typical of the birth year; about one in eight has two given names."""
    if rng.random() < 0.12 and birth_year < 2000:
        return rng.choice(MALE_DOUBLE if male else FEMALE_DOUBLE)
    names: tuple[str, ...]
    if birth_year < 1965:
        names = MALE_OLD if male else FEMALE_OLD
    elif birth_year < 2000:
        names = MALE_MID if male else FEMALE_MID
    else:
        names = MALE_YOUNG if male else FEMALE_YOUNG
    return rng.choice(names)


def place(rng: random.Random) -> tuple[str, str, str | None]:
    return rng.choices(PLACES, cum_weights=_PLACE_CUMULATIVE)[0]


def street_address(rng: random.Random) -> str:
    number = rng.randint(1, 120)
    letter = rng.choice("AB") if rng.random() < 0.1 else ""
    return f"{rng.choice(STREETS)} {number}{letter}"


def mobile_number(rng: random.Random) -> str:
    return f"{rng.choice('49')}{rng.randrange(10_000_000):07d}"
