"""SMART App Launch 2 scopes: which are granted at login, and what a token's scopes let it do.

A resource scope is ``<context>/<type>.<permissions>``: context ``user`` (whatever the user may
reach by their role and care relations) or ``patient`` (one patient's record: the break-the-glass
token), type a FHIR resource type or ``*``, and permissions an ordered subset of ``cruds`` (create,
read, update, delete, search). SMART v1's ``read``, ``write`` and ``*`` are taken as ``rs``,
``cud`` and ``cruds``. Scopes are an upper bound: the access rules of access.py and guard.py
still decide which patients a request reaches.

Granted at the authorize endpoint: ``openid``, ``fhirUser``, ``profile``, ``offline_access``,
``online_access`` and ``user/`` resource scopes. Anything else (``patient/`` scopes, which need a
patient picked at launch; ``launch``; granular scopes with ``?`` query parameters) is left out of
the grant, and the token answer's ``scope`` says what was granted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mock_epj.searchparams import RESOURCES

PERMISSIONS = "cruds"
IDENTITY_SCOPES = ("openid", "fhirUser", "profile", "offline_access", "online_access")
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_RESOURCE_SCOPE = re.compile(r"(user|patient|system)/(\*|[A-Z][A-Za-z]{0,63})\.([a-z]{1,5}|\*)")
INTERACTION_PERMISSION = {"read": "r", "vread": "r", "search": "s", "create": "c", "update": "u", "delete": "d"}
_VERBS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}


@dataclass(frozen=True)
class ResourceScope:
    context: str  # user | patient
    type: str  # a resource type or "*"
    permissions: str  # an ordered subset of "cruds"

    def __str__(self) -> str:
        return f"{self.context}/{self.type}.{self.permissions}"


def parse_resource_scope(text: str) -> ResourceScope | None:
    """A resource scope this server understands, or None (unknown type, bad permissions, ``system``
    context, granular ``?`` scopes)."""
    match = _RESOURCE_SCOPE.fullmatch(text)
    if match is None:
        return None
    context, type_, permissions = match.groups()
    if context == "system" or (type_ != "*" and type_ not in RESOURCES):
        return None
    permissions = _V1.get(permissions, permissions)
    if permissions == "*" or not _ordered_subset(permissions):
        return None
    return ResourceScope(context, type_, permissions)


def _ordered_subset(permissions: str) -> bool:
    """Whether ``permissions`` are letters of "cruds", each once, in that order (as SMART v2 asks)."""
    position = -1
    for letter in permissions:
        found = PERMISSIONS.find(letter, position + 1)
        if found < 0:
            return False
        position = found
    return True


def grantable(requested: str) -> list[str]:
    """The scopes of a login request this server grants, in the order asked, each once."""
    granted: list[str] = []
    for word in requested.split():
        scope: str | None = word if word in IDENTITY_SCOPES else None
        resource = parse_resource_scope(word)
        if resource is not None and resource.context == "user":
            scope = str(resource)
        if scope is not None and scope not in granted:
            granted.append(scope)
    return granted


def resource_scopes(scope: str) -> list[ResourceScope]:
    return list(_parsed(scope))


@functools.lru_cache(maxsize=4096)
def _parsed(scope: str) -> tuple[ResourceScope, ...]:
    """A token's scopes parsed once (every request and batch entry checks them; a token's scope
    string never changes, and what it means depends on nothing else)."""
    return tuple(parsed for word in scope.split() if (parsed := parse_resource_scope(word)) is not None)


def allows(scope: str | None, context: str, type_: str, permission: str) -> bool:
    """Whether a token's ``scope`` lets it do ``permission`` (one of "cruds") on ``type_`` in
    ``context`` (a token without scopes, from the plain login, may do everything)."""
    if scope is None:
        return True
    return any(rule.context == context and rule.type in (type_, "*") and permission in rule.permissions
               for rule in _parsed(scope))


def may_read(scope: str | None, patient: str | None, type_: str) -> bool:
    """Whether a token (its scope, and the patient it is limited to) may read resources of
    ``type_`` (what a search includes beside its matches)."""
    return allows(scope, "user" if patient is None else "patient", type_, "r")


def as_patient_scopes(scope: str, requested: str | None = None) -> str:
    """The ``patient/`` scopes a break-the-glass token gets from the user's token: the user's
    resource scopes in the patient context, narrowed to ``requested`` when given (never widened)."""
    have = [ResourceScope("patient", rule.type, rule.permissions) for rule in resource_scopes(scope)
            if rule.context == "user"]
    if requested is None:
        return " ".join(dict.fromkeys(str(rule) for rule in have))
    granted: list[str] = []
    for rule in resource_scopes(requested):
        if rule.context != "patient":
            continue
        kept = "".join(letter for letter in rule.permissions
                       if any(h.type in (rule.type, "*") and letter in h.permissions for h in have))
        if kept:
            granted.append(str(ResourceScope("patient", rule.type, kept)))
    return " ".join(dict.fromkeys(granted))


def describe(permission: str) -> str:
    """The interaction a permission letter allows, in English (for refusals)."""
    return _VERBS[permission]
