"""FHIR search for one user: access applied, _include/_revinclude followed, a searchset Bundle.

Matches asked for with ``_elements`` are cut down (elements.py); included resources are whole.

The searchset (with its paging links) is built around the stored JSON text of each match, which
is never parsed on the way.
"""

from __future__ import annotations

from urllib.parse import urlencode

from mock_epj import search
from mock_epj.context import Context, Result
from mock_epj.elements import ElementCache
from mock_epj.errors import bad_request, forbidden
from mock_epj.guard import Guard, shown_in_subset, subset
from mock_epj.scopes import may_read
from mock_epj.search import Include, SearchRequest
from mock_epj.searchparams import (
    AUDITOR_ONLY_TYPES,
    CLINICAL_TYPES,
    NOT_BY_PATIENT_TYPES,
    RESOURCES,
    SUBSETTED_TYPES,
    param_for,
)
from mock_epj.store import Store, Stored
from mock_epj.wire import Fragment, dumps

_ITERATE = ("_include:iterate", "_include:recurse")  # R4 name and its R3 predecessor
_MAX_ITERATIONS = 4  # how deep _include:iterate follows references


class Searches:
    """Runs parsed searches over a Store through a Guard."""

    def __init__(self, store: Store, guard: Guard) -> None:
        self.store = store
        self.guard = guard
        self.elements = ElementCache()

    def find(self, ctx: Context, request: SearchRequest, *, unrestricted: bool = False) -> tuple[int, list[Stored]]:
        """Run a parsed search with the user's access applied; returns (total, page).
        ``unrestricted``: over every row, for a caller that checks each row it gives out."""
        type_ = request.type
        if unrestricted:
            clause = None
        elif type_ in AUDITOR_ONLY_TYPES:
            if ctx.session.role != "auditor":
                raise forbidden("Only auditors may search the audit log")
            clause = None
        else:
            patients = request.patient_ids()
            # A subsetted type searched or sorted by what its subset hides is searched as a
            # clinical type: only rows seen in full can match, so the answer tells nothing hidden.
            hidden = type_ in SUBSETTED_TYPES and (_uses_hidden_elements(request)
                                                   or (type_ in NOT_BY_PATIENT_TYPES and bool(patients)))
            if patients and type_ in CLINICAL_TYPES and (type_ not in SUBSETTED_TYPES or hidden):
                self.guard.require_patients(ctx, patients, "search-type")
            clause = self.guard.search_clause(ctx, type_, full_only=hidden)
        query = search.build(request, clause, self.store.queries.count_upto)
        if request.summary_count or request.count == 0:
            return self.store.queries.search_count(query), []
        return self.store.queries.search_page(query, request.count, request.offset)

    def search(self, ctx: Context, type_: str, params: list[tuple[str, str]]) -> Result:
        """The search-type interaction: a searchset Bundle of matches and included resources."""
        iterate = [value for key, value in params if key in _ITERATE]
        request = search.parse(type_, [(k, v) for k, v in params if k not in _ITERATE], strict=ctx.strict,
                               extras=not ctx.conformant)
        _allow_larger_pages(request, params)
        iterated = [_iterate_include(value, ctx.strict) for value in iterate]
        request.self_params.extend(("_include:iterate", value) for value, found in zip(iterate, iterated, strict=True)
                                   if found is not None)
        total, page = self.find(ctx, request)
        # What the token's scopes may read; a break-the-glass token gets no subsets of other patients.
        included = [s for s in self._includes(ctx, request, page, [i for i in iterated if i is not None])
                    if may_read(ctx.session.scope, ctx.session.patient, s.type)
                    and (ctx.session.patient is None or self.guard.visible(ctx, s))]
        grant = self.guard.grant(ctx) if type_ in SUBSETTED_TYPES else None
        entries: list[str] = []
        audited: set[str] = set()
        for stored in page:
            full = grant is None or stored.patient is None or stored.patient in grant.patients \
                or (bool(RESOURCES[type_].owner_paths) and self.guard.visible(ctx, stored))  # my own booking
            if full and stored.patient and type_ in CLINICAL_TYPES:
                audited.add(stored.patient)
            if full and request.elements:
                entries.append(_entry(ctx.base, stored, full, "match", self.elements.text(stored, request.elements)))
            else:
                entries.append(_entry(ctx.base, stored, full, "match"))
        for stored in included:
            full = self.guard.visible(ctx, stored)
            if full and stored.patient and stored.type in CLINICAL_TYPES:
                audited.add(stored.patient)
            entries.append(_entry(ctx.base, stored, full, "include"))
        query = urlencode(request.self_params)
        if audited:
            self.guard.audit(ctx, "search-type", sorted(audited), query=f"{type_}?{query}")
        return Result(200, Fragment(_searchset(ctx.base, request, query, total, entries, opaque=ctx.conformant)))

    def _references(self, ctx: Context, rows: list[Stored], includes: list[Include]) -> list[str]:
        """What the rows point at through the included reference parameters (from a row seen
        subsetted, only through what its subset shows)."""
        refs: list[str] = []
        for include in includes:
            shown = shown_in_subset(include.source_type, include.param)
            rids = [s.rid for s in rows if s.type == include.source_type
                    and (shown or self.guard.visible(ctx, s))]
            refs.extend(ref for ref in self.store.queries.references_from(rids, include.param.name)
                        if include.target is None or ref.startswith(include.target + "/"))
        return refs

    def _includes(self, ctx: Context, request: SearchRequest, page: list[Stored],
                  iterate: list[Include] | None = None) -> list[Stored]:
        if not page or not (request.includes or request.revincludes or iterate):
            return []
        seen = {(s.type, s.id) for s in page}
        found = self.store.read_many(dict.fromkeys(self._references(ctx, page, request.includes)))
        rev_rids: list[int] = []
        page_refs = [f"{s.type}/{s.id}" for s in page]
        hidden_rev: set[int] = set()
        for include in request.revincludes:
            rids = self.store.queries.rids_referring_to(include.source_type, include.param.name, page_refs)
            rev_rids.extend(rids)
            if not shown_in_subset(include.source_type, include.param):
                hidden_rev.update(rids)  # found by what a subset hides: only rows seen in full
        found.extend(s for s in self.store.read_rids(list(dict.fromkeys(rev_rids)))
                     if s.rid not in hidden_rev or self.guard.visible(ctx, s))
        out: list[Stored] = []
        for stored in found:
            if (stored.type, stored.id) in seen or stored.deleted:
                continue
            seen.add((stored.type, stored.id))
            # Subsetted types (Encounter) are included for everyone, cut down where needed.
            if stored.type in SUBSETTED_TYPES or self.guard.visible(ctx, stored):
                out.append(stored)
        frontier = [*page, *out]
        for _ in range(_MAX_ITERATIONS if iterate else 0):
            fresh = [s for s in self.store.read_many(dict.fromkeys(self._references(ctx, frontier, iterate or [])))
                     if (s.type, s.id) not in seen and not s.deleted
                     and (s.type in SUBSETTED_TYPES or self.guard.visible(ctx, s))]
            if not fresh:
                break
            seen.update((s.type, s.id) for s in fresh)
            out.extend(fresh)
            frontier = fresh
        return out


def _uses_hidden_elements(request: SearchRequest) -> bool:
    """Whether a search filters or sorts by an element the type's subset does not show."""
    params = [c.param for c in request.criteria]
    params.extend(p for name, _ in request.sort if (p := param_for(request.type, name)) is not None)
    return not all(shown_in_subset(request.type, p) for p in params)


def _allow_larger_pages(request: SearchRequest, params: list[tuple[str, str]]) -> None:
    """Serve up to the type's own ``max_count`` (Observation: a long lab history in few pages)."""
    largest = RESOURCES[request.type].max_count
    asked = [search.whole_number(value) for key, value in params if key == "_count"]
    if largest is not None and asked and asked[-1] is not None:
        request.count = min(asked[-1], largest)


def _iterate_include(value: str, strict: bool) -> Include | None:
    """``_include:iterate=Observation:has-member``: an include applied to included resources too."""
    parts = value.split(":")
    source, name = [*parts, "", ""][:2]
    definition = RESOURCES.get(source)
    param = param_for(source, name) if definition else None
    if definition is None or param is None or f"{source}:{name}" not in definition.includes \
            or len(parts) > 3:
        if strict:
            raise bad_request(f"_include:iterate={value} is not supported", "not-supported")
        return None
    return Include(source, param, parts[2] if len(parts) == 3 else None)


def _entry(base: str, stored: Stored, full: bool, mode: str, body: str | None = None) -> str:
    # The stored text (or ``body``, a cut of it) goes in as it is; built by hand because a page
    # is up to 1,000 of them.
    if body is None:
        body = stored.body if full else dumps(subset(stored.body))
    return (f'{{"fullUrl":"{base}/{stored.type}/{stored.id}","resource":{body},'
            f'"search":{{"mode":"{mode}"}}}}')


def _searchset(base: str, request: SearchRequest, query: str, total: int, entries: list[str],
               opaque: bool = False) -> str:
    """``query``: the request's own parameters, URL-encoded (the links add _count and _offset, or
    with ``opaque`` (a strict server) a ``_page`` token that only the server makes)."""
    prefix = f"{base}/{request.type}?{query}&" if query else f"{base}/{request.type}?"

    def link(offset: int) -> str:
        if not offset:
            return f"{prefix}_count={request.count}"
        if opaque:
            return f"{prefix}_count={request.count}&{search.PAGE_TOKEN}={search.page_token(offset)}"
        return f"{prefix}_count={request.count}&_offset={offset}"

    links = [{"relation": "self", "url": link(request.offset)}]
    if not request.summary_count and request.count:
        links.append({"relation": "first", "url": link(0)})
        if request.offset > 0:
            links.append({"relation": "previous",
                          "url": link(max(0, request.offset - request.count))})
        if request.offset + request.count < total:
            links.append({"relation": "next", "url": link(request.offset + request.count)})
            last = ((total - 1) // request.count) * request.count
            links.append({"relation": "last", "url": link(last)})
    head = dumps({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links})
    if not entries:
        return head
    return head[:-1] + ',"entry":[' + ",".join(entries) + "]}"
