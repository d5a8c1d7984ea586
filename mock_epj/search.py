"""FHIR search: parse query parameters into criteria and translate them into SQL over the index.

Supported: string (prefix, ``:exact``, ``:contains``), token (``system|code``, ``|code``,
``system|``, ``:not``), date (prefixes eq ne gt lt ge le sa eb ap), reference (``Type/id``, bare
id, absolute URL), ``:missing`` on all; comma means OR, a repeated parameter means AND;
``_sort``, ``_count``, ``_offset``, ``_include``, ``_revinclude``, ``_elements`` and ``_summary=count``.

With ``extras=False`` (a server in strict mode) only FHIR R4's own parameters are known: the
mock's own (``MOCK_ONLY_PARAMS``) and ``_offset`` (not an R4 parameter) are unknown, and the
paging links carry an opaque ``_page`` token instead, which a client can only follow.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mock_epj import dates
from mock_epj.errors import FhirError, bad_request
from mock_epj.queries import Query
from mock_epj.searchparams import (
    RESOURCES,
    ParamType,
    SearchParam,
    normalize_string,
    param_for,
    relative_reference,
)

DEFAULT_COUNT = 20
MAX_COUNT = 100
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DIGITS = re.compile("[0-9]+")  # ASCII digits only: int() also takes "٣", "+3", " 3" and "1_0"
MAX_OFFSET = 1_000_000_000
_HUGE = 10**18  # what a longer run of digits counts as (it fits SQLite's integers)


def whole_number(value: str) -> int | None:
    """A paging parameter's value as a number (very long ones as 10**18), None when it is not
    written with ASCII digits only."""
    if not _DIGITS.fullmatch(value):
        return None
    return int(value) if len(value) <= 18 else _HUGE


PAGE_TOKEN = "_page"  # a strict server's paging parameter: opaque, made by the server only
_RESULT_PARAMS = {"_count", "_offset", PAGE_TOKEN, "_sort", "_include", "_revinclude", "_summary", "_format",
                  "_total", "_elements", "_pretty"}
_MODIFIERS = {
    ParamType.STRING: {None, "exact", "contains", "missing"},
    ParamType.TOKEN: {None, "not", "missing"},
    ParamType.DATE: {None, "missing"},
    ParamType.REFERENCE: {None, "missing", *RESOURCES},
}
_TABLE = {
    ParamType.STRING: "idx_string",
    ParamType.TOKEN: "idx_token",
    ParamType.DATE: "idx_date",
    ParamType.REFERENCE: "idx_ref",
}


@dataclass(frozen=True)
class Criterion:
    param: SearchParam
    modifier: str | None
    values: tuple[str, ...]  # OR-ed

    @property
    def selectivity(self) -> int:
        """Lower drives the query: identifiers and references first, status-like tokens last."""
        if self.modifier in ("not", "missing"):
            return 99
        if self.param.name in ("_id", "identifier"):
            return 0
        if self.param.type is ParamType.REFERENCE:
            return 1
        if self.param.type is ParamType.STRING:
            return 2
        if self.param.name in ("code", "criteria"):
            return 3
        if self.param.type is ParamType.DATE:
            return 5
        return 6


@dataclass(frozen=True)
class Include:
    source_type: str
    param: SearchParam
    target: str | None = None


@dataclass
class SearchRequest:
    type: str
    criteria: list[Criterion] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (param name, descending)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    summary_count: bool = False
    elements: tuple[str, ...] = ()  # _elements: the top-level elements asked for (none: all)
    self_params: list[tuple[str, str]] = field(default_factory=list)

    def patient_ids(self) -> set[str] | None:
        """The patients the criteria restrict the search to, or None when not restricted."""
        restricting = [c for c in self.criteria if c.param.name in ("patient", "subject")
                       and c.modifier is None]
        if not restricting:
            return None
        ids: set[str] = set()
        for criterion in restricting:
            for value in criterion.values:
                ref = _reference_candidates(criterion.param, value, criterion.modifier)
                ids.update(r.split("/", 1)[1] for r in ref if r.startswith("Patient/"))
        return ids


def page_token(offset: int) -> str:
    """The opaque ``_page`` value of a strict server's paging link to ``offset``."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _page_offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        text = ""
    number = whole_number(text.removeprefix("offset:")) if text.startswith("offset:") else None
    if number is None or number > MAX_OFFSET:
        raise bad_request(f"_page={token[:40]} is not a page of this server: follow its paging links")
    return number


def parse(type_: str, params: list[tuple[str, str]], *, strict: bool = False, extras: bool = True) -> SearchRequest:
    """Parse query parameters; unknown ones are ignored unless ``strict``. ``extras=False``: the
    mock's own parameters (and ``_offset``) are unknown (see the module's docstring)."""
    request = SearchRequest(type_)
    for key, value in params:
        name, _, modifier = key.partition(":")
        if name == "_offset" and not extras:
            if strict:
                raise bad_request("Unknown search parameter '_offset': follow the Bundle's paging links",
                                  "not-supported")
            continue
        if name in _RESULT_PARAMS:
            _parse_result_param(request, name, value, key, strict)
            continue
        param = param_for(type_, name, extras=extras)
        if param is None:
            if strict:
                raise bad_request(f"Unknown search parameter '{name}' for {type_}", "not-supported")
            continue
        mod = modifier or None
        if mod not in _MODIFIERS[param.type]:
            raise bad_request(f"Modifier ':{mod}' is not supported on '{name}'", "not-supported")
        if value == "":
            continue  # an empty value is ignored, as in most servers
        values = tuple(v.strip() for v in value.split(",") if v.strip())
        for v in values:
            _check_value(param, mod, v)
        request.criteria.append(Criterion(param, mod, values))
        request.self_params.append((key, value))
    return request


def _parse_result_param(request: SearchRequest, name: str, value: str, key: str, strict: bool) -> None:
    if name == PAGE_TOKEN:
        request.offset = _page_offset(value)
        return
    if name in ("_count", "_offset"):
        number = whole_number(value)
        if number is None and value.startswith("-") and whole_number(value[1:]) is not None:
            raise bad_request(f"{name} must not be negative")
        if number is None:
            raise bad_request(f"{name} must be a whole number, not '{value[:40]}'")
        if name == "_offset" and number > MAX_OFFSET:
            raise bad_request(f"_offset must be at most {MAX_OFFSET:,}, not {value[:40]}")
        if name == "_count":
            request.count = min(number, MAX_COUNT)
        else:
            request.offset = number
        return
    if name == "_sort":
        for item in value.split(","):
            desc = item.startswith("-")
            param_name = item.lstrip("-")
            definition = RESOURCES[request.type]
            if param_name in ("_id", "_lastUpdated") or param_name in definition.sorts:
                request.sort.append((param_name, desc))
            elif strict:
                raise bad_request(f"Cannot sort {request.type} by '{param_name}'", "not-supported")
        if request.sort:
            request.self_params.append(
                ("_sort", ",".join(("-" if d else "") + n for n, d in request.sort)))
        return
    if name in ("_include", "_revinclude"):
        include = _parse_include(request.type, name, value)
        if include is None:
            if strict:
                raise bad_request(f"{name}={value} is not supported", "not-supported")
            return
        (request.includes if name == "_include" else request.revincludes).append(include)
        request.self_params.append((key, value))
        return
    if name == "_summary":
        if value == "count":
            request.summary_count = True
            request.self_params.append((key, value))
        elif value != "false" and strict:
            raise bad_request(f"_summary={value} is not supported", "not-supported")
        return
    if name == "_elements":
        request.elements = tuple(sorted({e.strip() for e in value.split(",") if e.strip()}))
        if request.elements:
            request.self_params.append((key, value))
        return
    if name == "_format" and value not in ("json", "application/json", "application/fhir+json"):
        raise FhirError(406, "not-supported", f"Only JSON is served (_format={value})")


def _parse_include(type_: str, name: str, value: str) -> Include | None:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        return None
    source, param_name = parts[0], parts[1]
    allowed = RESOURCES[type_].includes if name == "_include" else RESOURCES[type_].revincludes
    if f"{source}:{param_name}" not in allowed:
        return None
    param = param_for(source, param_name)
    if param is None or param.type is not ParamType.REFERENCE:
        return None
    return Include(source, param, parts[2] if len(parts) == 3 else None)


def _check_value(param: SearchParam, modifier: str | None, value: str) -> None:
    if modifier == "missing":
        if value not in ("true", "false"):
            raise bad_request(f"{param.name}:missing takes true or false, not '{value}'")
        return
    if param.type is ParamType.DATE and _date_range(value) is None:
        raise bad_request(
            f"'{value}' is not a valid date for '{param.name}' (use e.g. 2024-05-17 or ge2024-05)"
        )


def _date_range(value: str) -> tuple[str, str, str] | None:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    rest = value[2:] if value[:2] in _PREFIXES else value
    parsed = dates.parse_range(rest)
    if parsed is None:
        return None
    return prefix, parsed[0], parsed[1]


def _reference_candidates(param: SearchParam, value: str, modifier: str | None) -> list[str]:
    if "/" in value:
        return [relative_reference(value)]
    if modifier and modifier in RESOURCES:
        return [f"{modifier}/{value}"]
    targets = param.targets or tuple(RESOURCES)
    return [f"{t}/{value}" for t in targets]


def _condition(criterion: Criterion, type_: str) -> tuple[str, list[Any]]:
    """SQL selecting the rids that match one criterion (a subquery over its index table)."""
    param = criterion.param
    if param.name == "_id":
        return (
            "SELECT rid FROM resources WHERE type=? AND deleted=0"
            " AND id IN (SELECT value FROM json_each(?))",
            [type_, json.dumps(list(criterion.values))],
        )
    table = _TABLE[param.type]
    ors: list[str] = []
    args: list[Any] = []
    for value in criterion.values:
        if param.type is ParamType.STRING:
            normalized = normalize_string(value)
            if criterion.modifier == "exact":
                ors.append("value = ?")
                args.append(normalized)
            elif criterion.modifier == "contains":
                escaped = normalized.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                ors.append("value LIKE ? ESCAPE '\\'")
                args.append(f"%{escaped}%")
            else:
                ors.append("(value >= ? AND value < ?)")
                args.extend([normalized, normalized + "\U0010ffff"])
        elif param.type is ParamType.TOKEN:
            if "|" in value:
                system, _, code = value.partition("|")
                if not system:
                    ors.append("(system IS NULL AND code = ?)")
                    args.append(code)
                elif not code:
                    ors.append("system = ?")
                    args.append(system)
                else:
                    ors.append("(system = ? AND code = ?)")
                    args.extend([system, code])
            else:
                ors.append("code = ?")
                args.append(value)
        elif param.type is ParamType.DATE:
            parsed = _date_range(value)
            assert parsed is not None  # checked while parsing
            prefix, lo, hi = parsed
            clause, extra = _date_clause(prefix, lo, hi)
            ors.append(clause)
            args.extend(extra)
        else:
            candidates = _reference_candidates(param, value, criterion.modifier)
            ors.append("ref IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(candidates))
    where = " OR ".join(ors)
    return f"SELECT rid FROM {table} WHERE type=? AND param=? AND ({where})", [
        type_, param.name, *args]


def _date_clause(prefix: str, lo: str, hi: str) -> tuple[str, list[str]]:
    if prefix == "eq":  # lo <= hi always: the bound on lo lets the index stop at the day's end
        return "(lo >= ? AND lo <= ? AND hi <= ?)", [lo, hi, hi]
    if prefix == "ne":
        return "NOT (lo >= ? AND hi <= ?)", [lo, hi]
    if prefix == "gt":
        return "hi > ?", [hi]
    if prefix == "lt":
        return "lo < ?", [lo]
    if prefix == "ge":
        return "hi >= ?", [lo]
    if prefix == "le":
        return "lo <= ?", [hi]
    if prefix == "sa":
        return "lo > ?", [hi]
    if prefix == "eb":
        return "hi < ?", [lo]
    return "(lo <= ? AND hi >= ?)", [hi, lo]  # ap: overlaps


@dataclass(frozen=True)
class AccessClause:
    """Rows of clinical types a user may see: their patients' rows plus rows they own."""

    patients: frozenset[str]
    owner: str  # "Practitioner/<id>"
    restrict_patients: bool  # False for types readable without a care relation
    null_patient_visible: bool = True  # rows with no patient are visible (else owners only)


# Counts the rids a ``SELECT rid ...`` selects, up to a limit (Queries.count_upto).
Counter = Callable[[str, list[Any], int], int]
ESTIMATE_LIMIT = 1000  # a driver candidate is counted no further than this


def build(request: SearchRequest, access: AccessClause | None, count: Counter | None = None) -> Query:
    """The search as SQL for the store to run (see Queries.search_page and search_count).

    ``count`` counts candidate rows: with it, whatever matches fewest rows drives: a criterion (a
    ward's 12 current stays, not its 8,000 stays over the years) or the rows the access rules can
    let through (``_scope``). When that is under ESTIMATE_LIMIT rows the other criteria are
    looked up for each of its rows instead of being materialised (one patient's 300
    observations, not the hospital's 8,000 vital signs). Without ``count`` the most selective
    kind of criterion drives and the others are materialised.
    """
    where, args = _from_where(request, access, count)
    order, order_args = _order_by(request)
    return Query(where, args, order, order_args)


def _probe(sub: str, alias: str) -> str:
    """``sub`` (a ``SELECT rid FROM <table> WHERE ...`` of _condition) as a lookup of one rid."""
    head, _, rest = sub.partition(" WHERE ")
    table = head.rsplit(" ", 1)[1]
    indexed = f" INDEXED BY {table}_row" if table in _TABLE.values() else ""  # by rid (store.py), not a scan
    return f"EXISTS (SELECT 1 FROM {table}{indexed} WHERE rid = {alias}.rid AND {rest})"


def _scope(type_: str, access: AccessClause | None, dated: Criterion | None = None) -> tuple[str, list[Any]] | None:
    """Every row the access rules can let through (a superset), when they restrict by patient:
    the rows of the user's patients, rows without a patient where those are visible, and rows
    the user owns. Read through the patient index, it is a small driver for a search that names
    no patient (a ward's unsigned results of the last two days: its 12 patients' rows, not the
    whole hospital's).

    With ``dated`` (a date criterion of the search) the user's patients' rows are only those in
    its range, read from the date index by patient (a ward's vital signs of the last day: its
    patients' few hundred of the day, not their thousands over the years, each then looked up).
    The criterion is still checked on every row, so the other parts need not honour it."""
    if access is None or not access.restrict_patients:
        return None
    patients = json.dumps(sorted(access.patients))
    if dated is not None:
        sub, sub_args = _condition(dated, type_)
        head, _, rest = sub.partition(" WHERE ")
        parts = [f"{head} INDEXED BY idx_date_patient WHERE patient IS NOT NULL"  # the index has no others
                 f" AND patient IN (SELECT value FROM json_each(?)) AND {rest}"]
        args: list[Any] = [patients, *sub_args]
    else:
        parts = ["SELECT rid FROM resources WHERE patient IN (SELECT value FROM json_each(?))"
                 " AND type = ? AND deleted = 0"]
        args = [patients, type_]
    if access.null_patient_visible:
        parts.append("SELECT rid FROM resources WHERE patient IS NULL AND type = ? AND deleted = 0")
        args.append(type_)
    parts.append("SELECT rid FROM idx_ref WHERE type = ? AND param = '_owner' AND ref = ?")
    args.extend([type_, access.owner])
    return " UNION ALL ".join(parts), args


def _from_where(request: SearchRequest, access: AccessClause | None,
                count: Counter | None) -> tuple[str, list[Any]]:
    """The FROM/WHERE part of the search, shared by the count and the page query."""
    criteria = sorted(request.criteria, key=lambda c: c.selectivity)
    args: list[Any] = []
    drivers: list[tuple[str, list[Any], Criterion | None]] = [
        (*_condition(c, request.type), c) for c in criteria if c.modifier not in ("not", "missing")]
    # The rows the access rules let through: a driver candidate, unless the search names its
    # patients (whose rows are fewer: the searcher was checked to have them all).
    dated = next((c for c in criteria if c.param.type is ParamType.DATE and c.modifier is None), None)
    scope = _scope(request.type, access, dated) if count is not None and request.patient_ids() is None else None
    if scope is not None:
        # Before the criteria that grow with the hospital (codes, dates, statuses): a tie at the
        # count's limit goes to the user's patients' rows (a ward's vital signs of the last day:
        # its 13 patients' 2,000 observations, not the whole hospital's 2,300 of the day, each
        # then read to check access).
        at = next((i for i, (_, _, c) in enumerate(drivers) if c is not None and c.selectivity >= 3),
                  len(drivers))
        drivers.insert(at, (*scope, None))
    probe = False  # look the driver's rows up in the other criteria's indexes, one by one
    chosen = drivers[0] if drivers else None
    if count is not None and drivers and len(criteria) + (scope is not None) > 1:
        # Each further candidate is counted only as far as the best so far: reaching it, it
        # cannot win (ties go to the first, by selectivity), so after one patient's few rows the
        # others cost next to nothing.
        best = count(drivers[0][0], drivers[0][1], ESTIMATE_LIMIT)
        for candidate in drivers[1:]:
            if best == 0:
                break
            size = count(candidate[0], candidate[1], best)
            if size < best:
                chosen, best = candidate, size
        # Materialising the others may be cheaper than probing a large driver, but not when the
        # driver is the user's patients' rows (bounded by their number) and the others are larger.
        probe = best < ESTIMATE_LIMIT or (chosen is not None and chosen[2] is None)
    driver = chosen[2] if chosen is not None else None
    # Index rows exist only for current, undeleted resources, so when neither access rules nor
    # the sort need resource columns the query never touches the (large) resources table.
    needs_row = access is not None or any(name in ("_id", "_lastUpdated") for name, _ in request.sort)
    # The other criteria filter the driver's rids on the index tables, before any resource row is
    # read: a ward's current stays are its stays (thousands) that are in progress (a few).
    filters: list[str] = []
    filter_args: list[Any] = []
    missing: list[Criterion] = []
    for criterion in criteria:
        if chosen is not None and criterion is driver:
            continue
        if criterion.modifier == "missing":
            missing.append(criterion)
            continue
        sub, sub_args = _condition(criterion, request.type)
        negate = "NOT " if criterion.modifier == "not" else ""
        filters.append(f"{negate}{_probe(sub, 'd')}" if probe else f"rid {negate}IN ({sub})")
        filter_args.extend(sub_args)
    if chosen is not None:
        sub, sub_args, _ = chosen
        args.extend([*sub_args, *filter_args])
        matched = f"SELECT DISTINCT rid FROM ({sub}) d"
        if filters:
            matched += f" WHERE {' AND '.join(filters)}"
        sql = f"FROM ({matched}) m CROSS JOIN resources r ON r.rid = m.rid" if needs_row \
            else f"FROM ({matched}) r"
        where = ["1"]
    else:
        sql = "FROM resources r"
        where = ["r.type = ?", "r.deleted = 0", *(f"r.{f}" for f in filters)]
        args.extend([request.type, *filter_args])
    for criterion in missing:
        table = _TABLE[criterion.param.type]
        negate = "NOT " if criterion.values[0] == "true" else ""
        where.append(f"{negate}EXISTS (SELECT 1 FROM {table} x WHERE x.rid = r.rid"
                     " AND x.param = ?)")
        args.append(criterion.param.name)
    if access is not None:
        owned = ("EXISTS (SELECT 1 FROM idx_ref o WHERE o.rid = r.rid AND o.param = '_owner'"
                 " AND o.ref = ?)")
        where.append(f"(r.private = 0 OR {owned})")
        args.append(access.owner)
        if access.restrict_patients:
            no_patient = "r.patient IS NULL OR " if access.null_patient_visible else ""
            where.append(f"({no_patient}r.patient IN (SELECT value FROM json_each(?))"
                         f" OR {owned})")
            args.extend([json.dumps(sorted(access.patients)), access.owner])
    return f"{sql} WHERE {' AND '.join(where)}", args


def _order_by(request: SearchRequest) -> tuple[tuple[tuple[str, str], ...], list[Any]]:
    """The sort as (expression over the row ``r``, direction) terms, the row id last."""
    terms: list[tuple[str, str]] = []
    args: list[Any] = []
    for name, desc in request.sort:
        direction = "DESC" if desc else "ASC"
        if name == "_id":
            terms.append(("r.id", direction))
        elif name == "_lastUpdated":
            terms.append(("r.last_updated", direction))
        else:
            param = param_for(request.type, name)
            assert param is not None
            column = "lo" if param.type is ParamType.DATE else "value"
            table = _TABLE[param.type]
            aggregate = "MAX" if desc else "MIN"
            terms.append((f"(SELECT {aggregate}({column}) FROM {table} s WHERE s.rid = r.rid AND s.param = ?)",
                          f"{direction} NULLS LAST"))
            args.append(name)
    terms.append(("r.rid", "ASC"))
    return tuple(terms), args
