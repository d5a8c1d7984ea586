"""Writing one of the user's own Lists (settings, followed patients): the first time as a
conditional create, later as an update of the version read (``If-Match``). The callers read the
List, change it and, on a Conflict or when another phone made it first, read it again."""

from __future__ import annotations

from urllib.parse import urlencode

from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.transport import FhirTransport


async def save(http: FhirTransport, current: JSON | None, body: JSON, code: str, practitioner_id: str) -> bool:
    """Write ``body`` over ``current`` (None: make it, unless a List with ``code`` and me as source
    exists). True when written; False when another phone had made one first (read it again).
    Conflict when ``current`` changed since it was read."""
    if current is None:
        condition = urlencode([("code", code), ("source", f"Practitioner/{practitioner_id}")])
        response = await http.request("POST", f"{http.base_url}/List", body=body, headers={"If-None-Exist": condition})
        return response.status_code == 201
    version = fhir.version_id(current)
    await http.request("PUT", f"{http.base_url}/List/{current['id']}", body=body,
                       headers={"If-Match": f'W/"{version}"'} if version else None)
    return True
