"""``mock-epj import``: load FHIR R4 Bundles (transaction or collection, e.g. Synthea output).

``urn:uuid:`` full URLs become server ids (the resource's own id is kept when it is a valid,
unused FHIR id) and every reference to them is rewritten; conditional references such as
``Practitioner?identifier=...`` are resolved against what is already stored. Resource types the
server does not support are skipped and counted; invalid resources are reported and skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from mock_epj import search, wire
from mock_epj.errors import FhirError
from mock_epj.searchparams import RESOURCES
from mock_epj.store import Store, new_id
from mock_epj.validation import check_resource


@dataclass
class ImportReport:
    file: str
    loaded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        loaded = sum(self.loaded.values())
        parts = [f"{self.file}: {loaded} resources loaded"]
        if self.skipped:
            parts.append("skipped (unsupported): " + ", ".join(
                f"{n} {t}" for t, n in self.skipped.most_common()))
        if self.errors:
            parts.append(f"{len(self.errors)} invalid: " + "; ".join(self.errors[:5]))
        return "; ".join(parts)


def import_order(paths: list[Path]) -> list[Path]:
    """Synthea writes organisations and practitioners to their own files: load those first."""
    def rank(path: Path) -> int:
        name = path.name
        return 0 if name.startswith("hospitalInformation") else \
            1 if name.startswith("practitionerInformation") else 2
    return sorted(paths, key=lambda p: (rank(p), str(p)))


def import_file(store: Store, path: Path) -> ImportReport:
    report = ImportReport(str(path))
    try:
        bundle = wire.loads(path.read_bytes())
    except (OSError, wire.BadJson) as error:
        report.errors.append(f"cannot read: {error}")
        return report
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" \
            or bundle.get("type") not in ("transaction", "collection", "batch"):
        report.errors.append("not a Bundle of type transaction, batch or collection")
        return report
    entries = [e for e in bundle.get("entry", []) if isinstance(e, dict)
               and isinstance(e.get("resource"), dict)]
    ids: dict[str, str] = {}
    kept: list[dict[str, Any]] = []
    for entry in entries:
        resource = entry["resource"]
        type_ = resource.get("resourceType")
        if type_ not in RESOURCES or type_ == "AuditEvent":
            report.skipped[str(type_)] += 1
            continue
        id_ = resource.get("id")
        if not isinstance(id_, str) or not id_ or store.read(type_, id_) is not None \
                or len(id_) > 64:
            id_ = new_id()
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str):
            ids[full_url] = f"{type_}/{id_}"
        ids[f"{type_}/{resource.get('id')}"] = f"{type_}/{id_}"
        kept.append({**resource, "id": id_})
    resolved: list[dict[str, Any]] = []
    for resource in kept:
        try:
            rewritten = _rewrite(store, resource, ids)
            check_resource(rewritten, None)
        except FhirError as error:
            report.errors.append(f"{resource['resourceType']}/{resource['id']}: {error.diagnostics}")
            continue
        resolved.append(rewritten)
        report.loaded[resource["resourceType"]] += 1
    store.bulk_load(resolved)
    return report


def _rewrite(store: Store, node: Any, ids: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(store, v, ids) for k, v in node.items()}
        ref = out.get("reference")
        if isinstance(ref, str):
            if ref in ids:
                out["reference"] = ids[ref]
            elif "?" in ref and not ref.startswith("urn:"):
                out["reference"] = _resolve(store, ref)
        return out
    if isinstance(node, list):
        return [_rewrite(store, v, ids) for v in node]
    return node


def _resolve(store: Store, ref: str) -> str:
    type_, _, query = ref.partition("?")
    if type_ not in RESOURCES:
        raise FhirError(422, "processing", f"unsupported reference target {ref}")
    request = search.parse(type_, parse_qsl(query))
    total, page = store.queries.search_page(search.build(request, None), limit=2, offset=0)
    if total != 1:
        raise FhirError(422, "processing", f"the reference {ref} matches {total} resources")
    return f"{type_}/{page[0].id}"
