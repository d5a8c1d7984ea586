"""The CapabilityStatement, generated from the same registry the search engine uses."""

from __future__ import annotations

from typing import Any

from mock_epj import dates
from mock_epj.searchparams import COMMON_PARAMS, RESOURCES

SOFTWARE_VERSION = "0.1.0"
_INTERACTIONS = ("read", "vread", "search-type", "create", "update", "delete")
_READ_ONLY = {"AuditEvent": ("read", "search-type")}


def capability_statement(base: str) -> dict[str, Any]:
    resources = []
    for type_, definition in sorted(RESOURCES.items()):
        interactions = _READ_ONLY.get(type_, _INTERACTIONS)
        params = [*definition.params.values(), *COMMON_PARAMS.values()]
        resources.append({
            "type": type_,
            "interaction": [{"code": code} for code in interactions],
            "versioning": "versioned-update",
            "readHistory": False,
            "updateCreate": type_ != "AuditEvent",
            "conditionalCreate": type_ != "AuditEvent",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": list(definition.includes),
            "searchRevInclude": list(definition.revincludes),
            "searchParam": [
                {"name": p.name, "type": str(p.type), "documentation": p.doc}
                for p in params if p.paths or p.name == "patient"
            ],
        })
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": dates.now_instant(),
        "publisher": "Visitt",
        "kind": "instance",
        "software": {"name": "Visitt mock EPJ", "version": SOFTWARE_VERSION},
        "implementation": {"description": "Synthetic hospital EPJ for testing Visitt", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Search: _count (default 20, max 100), _offset for paging, _sort, _include,"
                " _revinclude, _summary=count. Strings match case- and accent-insensitive prefixes"
                " (ae, oe and aa letters kept). Unknown parameters are ignored unless"
                " 'Prefer: handling=strict'. Break-the-glass: header X-Break-Glass-Reason."
            ),
            "security": {
                "cors": False,
                "description": "Bearer token from POST /auth/token with username and PIN",
            },
            "resource": resources,
            "interaction": [{"code": "batch"}, {"code": "transaction"}],
        }],
    }
