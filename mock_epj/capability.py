"""The CapabilityStatement, generated from the same registry the search engine uses."""

from __future__ import annotations

from typing import Any

from mock_epj import dates
from mock_epj.searchparams import COMMON_PARAMS, MOCK_ONLY_PARAMS, RESOURCES

SOFTWARE_VERSION = "0.1.0"
_INTERACTIONS = ("read", "vread", "search-type", "create", "update", "delete")
_READ_ONLY = {"AuditEvent": ("read", "search-type"),
              "Provenance": ("read", "vread", "search-type", "create")}  # a signature is never changed


def capability_statement(base: str, strict: bool = False) -> dict[str, Any]:
    """What the server supports; ``strict`` (mock-epj serve --strict): FHIR R4's own parameters only."""
    resources = []
    for type_, definition in sorted(RESOURCES.items()):
        interactions = _READ_ONLY.get(type_, _INTERACTIONS)
        params = [*definition.params.values(), *COMMON_PARAMS.values()]
        resources.append({
            "type": type_,
            "interaction": [{"code": code} for code in interactions],
            "versioning": "versioned-update",
            "readHistory": False,
            "updateCreate": "update" in interactions,
            "conditionalCreate": type_ != "AuditEvent",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": list(definition.includes),
            "searchRevInclude": list(definition.revincludes),
            "searchParam": [
                {"name": p.name, "type": str(p.type), "documentation": p.doc}
                for p in params if (p.paths or p.name == "patient")
                and not (strict and (type_, p.name) in MOCK_ONLY_PARAMS)
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
                "Search: _count (default 20, max 100), paging by the Bundle's links, _sort, _include,"
                " _revinclude, _elements, _summary=count. Strings match case- and accent-insensitive prefixes"
                " (ae, oe and aa letters kept). Unknown parameters give 400 (strict mode)."
            ) if strict else (
                "Search: _count (default 20, max 100), _offset for paging, _sort, _include,"
                " _revinclude, _elements, _summary=count. Strings match case- and accent-insensitive prefixes"
                " (ae, oe and aa letters kept). Unknown parameters are ignored unless"
                " 'Prefer: handling=strict'. Break-the-glass: header X-Break-Glass-Reason."
            ),
            "security": _security(base),
            "resource": resources,
            "interaction": [{"code": "batch"}, {"code": "transaction"}],
        }],
    }


def _security(base: str) -> dict[str, Any]:
    """SMART on FHIR: where to log in (also in .well-known/smart-configuration, see oauth.py)."""
    server = base.rstrip("/").removesuffix("/fhir")
    return {
        "cors": False,
        "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                 "code": "SMART-on-FHIR"}], "text": "OAuth 2.0 with SMART App Launch 2"}],
        "extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [{"url": name, "valueUri": f"{server}/auth/{path}"}
                          for name, path in (("authorize", "authorize"), ("token", "token"), ("revoke", "revoke"))],
        }],
        "description": ("SMART App Launch 2 (standalone) with OpenID Connect: see .well-known/smart-configuration."
                        " The plain login, POST /auth/token with a JSON username and PIN, still works."),
    }
