"""Lab results as a clinician reads them: flags, critical limits, groups and what is new.

Pure functions over numbers, codes and domain models; no FHIR, no I/O.

Flags are decided in this order (``lab_flag``):

1. No value yet (status ``registered``, or no value at all): ``PENDING``.
2. The lab's own interpretation code (HL7 v3 ObservationInterpretation or v2 table 0078, which
   share their codes) when it is one we know: N, L, H, LL, HH, A, AA, LU, HU, POS, NEG, DET, ND.
   A or AA on a number takes its direction from the reference range.
3. Otherwise the value against the reference range, respecting a comparator: ``<5`` with an
   upper limit of 5 is normal; ``<5`` with a lower limit of 3.5 cannot be judged (``UNKNOWN``).
4. Our own critical limits (``CRITICAL_LIMITS``) escalate a result the lab did not call critical:
   only in the same direction, only when the unit matches, and never over the lab's explicit N.
   They are conservative (far from the reference range) and exist only for analytes where one
   number is dangerous for everybody; creatinine, CRP, troponin and NT-proBNP have none, since
   their meaning depends on the patient's baseline.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from mobile_app.domain.models import LabFlag, LabGroup, LabResult

NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v2-0078"
INTERPRETATION_SYSTEMS = (V3_INTERPRETATION, V2_INTERPRETATION)
NEW_RESULT_HOURS = 48  # a result sampled this recently and unsigned marks the patient on the ward list

# The lab's interpretation codes (v3 and v2 share these). "<" and ">" (off scale) and the trend
# codes (U, D, B, W) say nothing about normality and are left to the value.
_INTERPRETATION: dict[str, LabFlag] = {
    "N": LabFlag.NORMAL, "NEG": LabFlag.NORMAL, "ND": LabFlag.NORMAL,
    "L": LabFlag.LOW, "LU": LabFlag.LOW,
    "H": LabFlag.HIGH, "HU": LabFlag.HIGH,
    "LL": LabFlag.CRITICAL_LOW, "HH": LabFlag.CRITICAL_HIGH,
    "A": LabFlag.ABNORMAL, "POS": LabFlag.ABNORMAL, "DET": LabFlag.ABNORMAL,
    "AA": LabFlag.CRITICAL,
}
# The specimen prefix of a Norwegian test name: B- blood, P- plasma, S- serum, U- urine, aB- arterial ...
_PREFIX = re.compile(r"^(?:b|p|s|u|ab|vb|cb|kb|pt|f|csv|sp|fb)\s*-\s*", re.IGNORECASE)
_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_COMPARED = re.compile(rf"^\s*(<=|>=|≤|≥|<|>)\s*({_NUMBER})\s*$")
_BETWEEN = re.compile(rf"^\s*({_NUMBER})\s*(?:-|–|to|til)\s*({_NUMBER})\s*$")
_SYMBOLS = {"≤": "<=", "≥": ">="}


@dataclass(frozen=True)
class CriticalLimit:
    """Values strictly below ``low`` or above ``high`` are critical, in ``unit`` only."""

    unit: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Analyte:
    """What the app knows about one test: its codes, group, place in the group and name stems
    (lower case, without the specimen prefix) to recognise it when its code is not known."""

    key: str
    group: LabGroup
    codes: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()
    critical: tuple[CriticalLimit, ...] = ()


def _a(key: str, group: LabGroup, codes: tuple[str, ...], names: tuple[str, ...],
       *critical: CriticalLimit) -> Analyte:
    return Analyte(key, group, frozenset(codes), names, critical)


H, C, K, G = LabGroup.HAEMATOLOGY, LabGroup.CHEMISTRY, LabGroup.CARDIAC, LabGroup.BLOOD_GAS
# In display order within each group. Codes are NLK/NPU codes; a hospital's local lab codes are not
# here but given with each call (``local_codes``: local code -> analyte key, from the EPJ client's
# terminology profile).
ANALYTES: tuple[Analyte, ...] = (
    _a("hb", H, ("NOR05172",), ("hemoglobin", "haemoglobin", "hb"),
       CriticalLimit("g/dl", 7.0, 20.0), CriticalLimit("g/l", 70.0, 200.0)),
    _a("leuk", H, ("NPU02593",), ("leukocytter", "leukocytes", "lpk"),
       CriticalLimit("10^9/l", 1.0, 30.0)),
    _a("trc", H, ("NPU03568",), ("trombocytter", "platelets", "tpk"),
       CriticalLimit("10^9/l", 20.0, 1000.0)),
    _a("ery", H, (), ("erytrocytter", "erythrocytes")),
    _a("hct", H, (), ("hematokrit", "haematocrit", "evf")),
    _a("mcv", H, (), ("mcv",)),
    _a("mch", H, (), ("mch", "mchc")),
    _a("neutro", H, (), ("nøytrofile", "neutrofile", "neutrophils")),
    _a("lymfo", H, (), ("lymfocytter", "lymphocytes")),
    _a("inr", H, (), ("inr", "pt-inr", "protrombintid")),
    _a("aptt", H, (), ("aptt", "apt-tid")),
    _a("na", C, ("NPU03429",), ("natrium", "sodium"), CriticalLimit("mmol/l", 125.0, 155.0)),
    _a("k", C, ("NPU03230",), ("kalium", "potassium"), CriticalLimit("mmol/l", 2.8, 6.2)),
    _a("crea", C, ("NPU18016",), ("kreatinin", "creatinine")),
    _a("egfr", C, (), ("egfr",)),
    _a("urea", C, (), ("karbamid", "urea")),
    _a("crp", C, ("NPU19748",), ("crp",)),
    _a("glucose", C, ("NPU02192",), ("glukose", "glucose"),
       CriticalLimit("mmol/l", 2.5, 25.0)),
    _a("albumin", C, (), ("albumin",)),
    _a("ca", C, (), ("kalsium", "calcium")),
    _a("mg", C, (), ("magnesium",)),
    _a("phosphate", C, (), ("fosfat", "phosphate")),
    _a("alat", C, (), ("alat", "alt")),
    _a("asat", C, (), ("asat", "ast")),
    _a("alp", C, (), ("alp",)),
    _a("ggt", C, (), ("gt", "ggt")),
    _a("bili", C, (), ("bilirubin",)),
    _a("tnt", K, (), ("troponin t", "troponin i", "troponin")),
    _a("ntprobnp", K, (), ("nt-probnp", "bnp")),
    _a("ckmb", K, (), ("ck-mb",)),
    _a("lactate", G, (), ("laktat", "lactate"), CriticalLimit("mmol/l", None, 4.0)),
    _a("ph", G, (), ("ph",)),
    _a("pco2", G, (), ("pco2",)),
    _a("po2", G, (), ("po2",)),
    _a("be", G, (), ("base excess", "baseoverskudd", "be")),
    _a("hco3", G, (), ("bikarbonat", "hco3", "standard bikarbonat")),
)
_BY_CODE = {code: (i, a) for i, a in enumerate(ANALYTES) for code in a.codes}
_BY_KEY = {a.key: (i, a) for i, a in enumerate(ANALYTES)}
_BY_NAME = sorted(((stem, i, a) for i, a in enumerate(ANALYTES) for stem in a.names),
                  key=lambda entry: -len(entry[0]))  # longest stem first: "ck-mb" before "ck"


# ------------------------------------------------------------------ analytes and groups


def analyte(code: str | None, name: str | None = None,
            local_codes: Mapping[str, str] | None = None) -> tuple[int, Analyte] | None:
    """The known analyte for a code (of the catalogue, or a hospital's local code that
    ``local_codes`` maps to an analyte's key), else for a name such as "P-Natrium"; with its
    display order."""
    if code:
        if code in _BY_CODE:
            return _BY_CODE[code]
        key = local_codes.get(code) if local_codes else None
        if key is not None and key in _BY_KEY:
            return _BY_KEY[key]
    return _by_name(name)


@functools.lru_cache(maxsize=2048)
def _by_name(name: str | None) -> tuple[int, Analyte] | None:
    bare = _PREFIX.sub("", (name or "").strip()).casefold()
    for stem, index, found in _BY_NAME:
        if bare == stem or (bare.startswith(stem) and not bare[len(stem)].isalnum()):
            return index, found
    return None


def lab_group(code: str | None, name: str | None = None,
              local_codes: Mapping[str, str] | None = None) -> LabGroup:
    """The group a test is shown in; tests we do not know go to OTHER."""
    found = analyte(code, name, local_codes)
    return found[1].group if found else LabGroup.OTHER


def display_order(results: Iterable[LabResult], local_codes: Mapping[str, str] | None = None) -> list[LabResult]:
    """Results in the lab tab's order: by group, then known analytes in catalogue order, then the
    rest by name (a stable order that does not change as results arrive)."""
    def key(result: LabResult) -> tuple[int, int, str, str]:
        found = analyte(result.code, result.name, local_codes)
        group = list(LabGroup).index(result.group)
        return group, found[0] if found else len(ANALYTES), result.name.casefold(), result.analyte

    return sorted(results, key=key)


# ------------------------------------------------------------------ flags


def interpretation_flag(code: str | None) -> LabFlag | None:
    """The flag a lab's interpretation code means, or None for codes that say nothing about it."""
    return _INTERPRETATION.get((code or "").strip().upper())


def normalize_unit(unit: str | None) -> str | None:
    """A unit for comparison: lower case, no spaces, µ as u, UCUM's ``10*9`` as ``10^9``."""
    if unit is None or not unit.strip():
        return None
    return (unit.strip().casefold().replace(" ", "").replace("µ", "u").replace("μ", "u")
            .replace("*", "^").replace("x10^", "10^").replace("\u00d710^", "10^"))


def critical_limit(code: str | None, name: str | None, unit: str | None,
                   local_codes: Mapping[str, str] | None = None) -> CriticalLimit | None:
    """Our critical limit for a test in this unit, if we have one."""
    found = analyte(code, name, local_codes)
    wanted = normalize_unit(unit)
    if found is None or wanted is None:
        return None
    return next((limit for limit in found[1].critical if limit.unit == wanted), None)


def _interval(value: float, comparator: str | None) -> tuple[float, float]:
    """The values a result can stand for: ``<5`` is anything below 5."""
    comparator = _SYMBOLS.get(comparator or "", comparator)
    if comparator in ("<", "<="):
        return -math.inf, value
    if comparator in (">", ">="):
        return value, math.inf
    return value, value


def range_flag(value: float, comparator: str | None, low: float | None,
               high: float | None) -> LabFlag | None:
    """NORMAL, LOW or HIGH against an inclusive reference range; UNKNOWN when a comparator makes
    it impossible to tell; None when there is no range."""
    if low is None and high is None:
        return None
    lo, hi = _interval(value, comparator)
    strict = comparator in ("<", ">")
    if low is not None and (hi < low or (strict and hi == low and lo < hi)):
        return LabFlag.LOW
    if high is not None and (lo > high or (strict and lo == high and lo < hi)):
        return LabFlag.HIGH
    if (low is None or lo >= low) and (high is None or hi <= high):
        return LabFlag.NORMAL
    return LabFlag.UNKNOWN


def _beyond(value: float, comparator: str | None, limit: CriticalLimit | None) -> LabFlag | None:
    if limit is None:
        return None
    lo, hi = _interval(value, comparator)
    if limit.low is not None and hi < limit.low:
        return LabFlag.CRITICAL_LOW
    if limit.high is not None and lo > limit.high:
        return LabFlag.CRITICAL_HIGH
    return None


def lab_flag(*, value: float | None, comparator: str | None = None, low: float | None = None,
             high: float | None = None, interpretation: str | None = None, code: str | None = None,
             name: str | None = None, unit: str | None = None, status: str = "final",
             has_text: bool = False, local_codes: Mapping[str, str] | None = None) -> LabFlag:
    """The flag of one result (the rules are in the module docstring; ``local_codes`` as for
    ``analyte``)."""
    if status == "cancelled":
        return LabFlag.UNKNOWN
    if status == "registered" or (value is None and not has_text):
        return LabFlag.PENDING
    lab = interpretation_flag(interpretation)
    if value is None:
        return lab or LabFlag.UNKNOWN
    computed = range_flag(value, comparator, low, high)
    critical = _beyond(value, comparator, critical_limit(code, name, unit, local_codes))
    if lab is LabFlag.CRITICAL:
        if computed in (LabFlag.LOW, LabFlag.HIGH):
            return LabFlag.CRITICAL_LOW if computed is LabFlag.LOW else LabFlag.CRITICAL_HIGH
        return critical or LabFlag.CRITICAL
    if lab is LabFlag.ABNORMAL and computed in (LabFlag.LOW, LabFlag.HIGH):
        lab = computed
    base = lab or computed or LabFlag.UNKNOWN
    if critical is None or lab is LabFlag.NORMAL or base.is_critical:
        return base
    same_way = {LabFlag.CRITICAL_LOW: LabFlag.LOW, LabFlag.CRITICAL_HIGH: LabFlag.HIGH}[critical]
    if base in (same_way, LabFlag.ABNORMAL, LabFlag.UNKNOWN) or (base is LabFlag.NORMAL and lab is None):
        return critical
    return base


def parse_compared(text: str | None) -> tuple[str, float] | None:
    """``"<5"``, ``"> 200"``, ``"≤0,5"`` as (comparator, number); None for other text."""
    match = _COMPARED.match(text or "")
    if match is None:
        return None
    return _SYMBOLS.get(match.group(1), match.group(1)), float(match.group(2).replace(",", "."))


def parse_range_text(text: str | None) -> tuple[float | None, float | None]:
    """(low, high) from a reference range written as text: "3.5-5.0", "3,5 - 5,0", "<5", ">60";
    (None, None) for text that is not numbers, such as "Negativ"."""
    if not text:
        return None, None
    between = _BETWEEN.match(text)
    if between:
        low, high = (float(g.replace(",", ".")) for g in between.groups())
        return (low, high) if low <= high else (None, None)
    compared = parse_compared(text)
    if compared is None:
        return None, None
    comparator, number = compared
    return (None, number) if comparator.startswith("<") else (number, None)


# ------------------------------------------------------------------ what is new


def is_new(result: LabResult, last_viewed: datetime | None) -> bool:
    """Whether a result with a value arrived after the user last opened the patient's lab tab
    (never opened: every result is new). Arrival is ``issued``, else the sampling time."""
    if result.pending:
        return False
    if last_viewed is None:
        return True
    reported = result.reported
    return reported is not None and reported > last_viewed


def new_since(results: Iterable[LabResult], last_viewed: datetime | None) -> tuple[LabResult, ...]:
    """The results that are new to the user, in the order given."""
    return tuple(r for r in results if is_new(r, last_viewed))


def needs_signing(result: LabResult, now: datetime, hours: float = NEW_RESULT_HOURS) -> bool:
    """An unsigned result with a value sampled in the last ``hours`` (the ward list's marker)."""
    if result.signed or result.pending or result.status in ("cancelled", "entered-in-error"):
        return False
    sampled = result.time or result.issued
    return sampled is not None and (now - sampled).total_seconds() <= hours * 3600
