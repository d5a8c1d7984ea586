"""FHIR search: parse query parameters into criteria and run them as SQL over the index tables.

Supported: string (prefix, ``:exact``, ``:contains``), token (``system|code``, ``|code``,
``system|``, ``:not``), date (prefixes eq ne gt lt ge le sa eb ap), reference (``Type/id``, bare
id, absolute URL), ``:missing`` on all; comma means OR, a repeated parameter means AND;
``_sort``, ``_count``, ``_offset``, ``_include``, ``_revinclude`` and ``_summary=count``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mock_epj import dates
from mock_epj.errors import FhirError, bad_request
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
_RESULT_PARAMS = {"_count", "_offset", "_sort", "_include", "_revinclude", "_summary", "_format",
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


def parse(type_: str, params: list[tuple[str, str]], *, strict: bool = False) -> SearchRequest:
    """Parse query parameters; unknown ones are ignored unless ``strict``."""
    request = SearchRequest(type_)
    for key, value in params:
        name, _, modifier = key.partition(":")
        if name in _RESULT_PARAMS:
            _parse_result_param(request, name, value, key, strict)
            continue
        param = param_for(type_, name)
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
    if name in ("_count", "_offset"):
        try:
            number = int(value)
        except ValueError:
            raise bad_request(f"{name} must be a whole number, not '{value}'") from None
        if number < 0:
            raise bad_request(f"{name} must not be negative")
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
    if prefix == "eq":
        return "(lo >= ? AND hi <= ?)", [lo, hi]
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


def build(request: SearchRequest, access: AccessClause | None) -> tuple[str, list[Any]]:
    """The FROM/WHERE part of the search, shared by the count and the page query."""
    criteria = sorted(request.criteria, key=lambda c: c.selectivity)
    args: list[Any] = []
    driver = next((c for c in criteria if c.modifier not in ("not", "missing")), None)
    # Index rows exist only for current, undeleted resources, so when neither access rules nor
    # the sort need resource columns the query never touches the (large) resources table.
    needs_row = access is not None or any(name in ("_id", "_lastUpdated") for name, _ in request.sort)
    if driver is not None:
        sub, sub_args = _condition(driver, request.type)
        args.extend(sub_args)
        if needs_row:
            sql = f"FROM (SELECT DISTINCT rid FROM ({sub})) m CROSS JOIN resources r ON r.rid = m.rid"
        else:
            sql = f"FROM (SELECT DISTINCT rid FROM ({sub})) r"
        where = ["1"]
    else:
        sql = "FROM resources r"
        where = ["r.type = ?", "r.deleted = 0"]
        args.append(request.type)
    for criterion in criteria:
        if criterion is driver:
            continue
        if criterion.modifier == "missing":
            table = _TABLE[criterion.param.type]
            negate = "NOT " if criterion.values[0] == "true" else ""
            where.append(f"{negate}EXISTS (SELECT 1 FROM {table} x WHERE x.rid = r.rid"
                         " AND x.param = ?)")
            args.append(criterion.param.name)
            continue
        sub, sub_args = _condition(criterion, request.type)
        where.append(f"r.rid {'NOT ' if criterion.modifier == 'not' else ''}IN ({sub})")
        args.extend(sub_args)
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


def order_by(request: SearchRequest) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for name, desc in request.sort:
        direction = "DESC" if desc else "ASC"
        if name == "_id":
            parts.append(f"r.id {direction}")
        elif name == "_lastUpdated":
            parts.append(f"r.last_updated {direction}")
        else:
            param = param_for(request.type, name)
            assert param is not None
            column = "lo" if param.type is ParamType.DATE else "value"
            table = _TABLE[param.type]
            aggregate = "MAX" if desc else "MIN"
            parts.append(
                f"(SELECT {aggregate}({column}) FROM {table} s WHERE s.rid = r.rid AND s.param = ?)"
                f" {direction} NULLS LAST"
            )
            args.append(name)
    parts.append("r.rid ASC")
    return "ORDER BY " + ", ".join(parts), args
