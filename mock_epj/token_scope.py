"""What a token's SMART scopes allow, applied to one FHIR interaction (an HTTP request or a Bundle entry).

``check`` runs before the interaction: 403 (audited, with ``WWW-Authenticate: Bearer
error="insufficient_scope"``) when the scopes do not allow it, and for a break-the-glass token
(limited to one patient) keeps Patient reads and searches to that patient and writes to types of
a patient's record. A search leaves out included resources of types the scopes do not let the
token read (searchset.py, by ``scopes.may_read``). A token from the plain login (no scope) passes
unchanged. The access rules (guard.py) apply on top, whatever the scopes say.
"""

from __future__ import annotations

from mock_epj import audit, scopes
from mock_epj.context import Context, FhirRequest
from mock_epj.errors import FhirError, forbidden
from mock_epj.interactions import FhirService
from mock_epj.searchparams import RESOURCES

_AUDITED_AS = {"search": "search-type"}


def check(service: FhirService, ctx: Context, interaction: str | None, request: FhirRequest) -> None:
    session = ctx.session
    if interaction is None or (session.scope is None and session.patient is None):
        return
    type_ = request.args.get("type", "")
    service.check_type(type_)  # an unknown type is a 404 whatever the scopes
    context = "patient" if session.patient is not None else "user"
    needed = [scopes.INTERACTION_PERMISSION[interaction]]
    if interaction == "create" and request.header("if-none-exist"):
        needed.append("s")  # a conditional create tells whether a match exists
    for permission in needed:
        if not scopes.allows(session.scope, context, type_, permission):
            _refuse(service, ctx, interaction, type_, (
                f"This login's scopes ({session.scope or 'none'}) do not allow {scopes.describe(permission)} of"
                f" {type_}: log in again asking for {context}/{type_}.{permission} (or {context}/*.{permission})"),
                f"{context}/{type_}.{permission}")
    if session.patient is not None:
        _keep_to_patient(service, ctx, interaction, type_, request, session.patient)


def _keep_to_patient(service: FhirService, ctx: Context, interaction: str, type_: str, request: FhirRequest,
                     patient: str) -> None:
    """A break-the-glass token reaches its one patient's record and nobody else's."""
    if type_ == "Patient":
        if interaction == "search":
            request.params = [*request.params, ("_id", patient)]  # repeated parameters are ANDed
            return
        if interaction in ("read", "vread", "update") and request.args.get("id") == patient:
            return
    elif interaction in ("read", "vread", "search") or RESOURCES[type_].patient_param is not None:
        return  # care relations (restricted to the patient by guard.py) decide
    _refuse(service, ctx, interaction, type_,
            f"This break-the-glass token is limited to Patient/{patient}: it cannot {interaction} {type_}"
            f"{'/' + request.args['id'] if 'id' in request.args else ''}", None)


def _refuse(service: FhirService, ctx: Context, interaction: str, type_: str, why: str, scope: str | None) -> None:
    service.guard.audit(ctx, _AUDITED_AS.get(interaction, interaction), [], what=type_,
                        outcome=audit.OUTCOME_DENIED, outcome_text=why)
    error: FhirError = forbidden(why)
    if scope is not None:
        error.headers["WWW-Authenticate"] = f'Bearer realm="visitt", error="insufficient_scope", scope="{scope}"'
    raise error
