"""What the EPJ's FHIR server can do, from its CapabilityStatement: the app turns off what it cannot.

Each of the app's writing actions needs some interactions of the server (``NEEDS``): signing a
result makes a Provenance in a transaction and finds signatures with ``_revinclude``, a ward note
is a Flag created and updated, and so on. ``support_from`` reads the statement a server publishes
at ``[base]/metadata`` and names each action whose needs it does not announce, with what is
missing. A statement that cannot be read turns nothing off: the server still refuses what it
cannot do, and the app shows that refusal as it shows any other.

Break-the-glass is not decided here: it depends on the login server (its token exchange).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mobile_app.domain.roles import Action

JSON = dict[str, Any]


@dataclass(frozen=True)
class Need:
    """One thing an action needs: an interaction on a resource type (``resource`` None: a
    whole-system interaction such as ``transaction``), or a ``_revinclude`` it searches with."""

    interaction: str
    resource: str | None = None
    revinclude: str | None = None

    def __str__(self) -> str:
        if self.revinclude is not None:
            return f"{self.resource}?_revinclude={self.revinclude}"
        return f"{self.resource} {self.interaction}" if self.resource else self.interaction


TRANSACTION = Need("transaction")

NEEDS: Mapping[Action, tuple[Need, ...]] = {
    Action.SIGN_RESULTS: (TRANSACTION, Need("create", "Provenance"),
                          Need("search-type", "Observation", revinclude="Provenance:target")),
    Action.WRITE_JOURNAL_NOTE: (Need("create", "DocumentReference"),),
    Action.EDIT_WARD_NOTE: (Need("create", "Flag"), Need("update", "Flag")),
    Action.EDIT_OWN_NOTE: (Need("create", "Flag"), Need("update", "Flag")),
    Action.SEND_MESSAGE: (Need("create", "Communication"),),
    Action.RECORD_VITAL_SIGNS: (TRANSACTION, Need("create", "Observation")),
    Action.ASSESS_THROMBOSIS_RISK: (TRANSACTION, Need("create", "RiskAssessment"),
                                    Need("create", "QuestionnaireResponse")),
    Action.CHOOSE_SPO2_SCALE: (Need("create", "Flag"), Need("update", "Flag")),
    Action.CHANGE_TASK_STATUS: (Need("update", "Task"),),
    Action.REGISTER_ARRIVAL: (Need("update", "Appointment"),),
}


@dataclass(frozen=True)
class ServerSupport:
    """The actions the server cannot support, each with what it lacks (for the explanation)."""

    missing: Mapping[Action, tuple[str, ...]] = field(default_factory=dict)

    def allows(self, action: Action) -> bool:
        return action not in self.missing

    def turned_off(self, offered: Iterable[Action]) -> list[Action]:
        """Of the actions a user's role is offered, those this server turns off (in table order,
        then any turned off for another reason, such as the login server's)."""
        wanted = set(offered)
        ordered = [*NEEDS, *(action for action in self.missing if action not in NEEDS)]
        return [action for action in ordered if action in wanted and action in self.missing]

    def without(self, action: Action, lacks: str) -> ServerSupport:
        """This support with ``action`` turned off too, for lack of ``lacks``."""
        return ServerSupport({**self.missing, action: (*self.missing.get(action, ()), lacks)})


EVERYTHING = ServerSupport()


def support_from(statement: Any) -> ServerSupport:
    """What a CapabilityStatement lets the app do. Anything that is not a server statement with
    a ``rest`` part turns nothing off."""
    if not isinstance(statement, dict) or statement.get("resourceType") != "CapabilityStatement":
        return EVERYTHING
    servers = [r for r in statement.get("rest") or () if isinstance(r, dict) and r.get("mode") == "server"]
    if not servers:
        return EVERYTHING
    rest = servers[0]
    system = {str(i.get("code")) for i in rest.get("interaction") or () if isinstance(i, dict)}
    resources: dict[str, JSON] = {str(r.get("type")): r for r in rest.get("resource") or () if isinstance(r, dict)}

    def has(need: Need) -> bool:
        if need.resource is None:
            return need.interaction in system
        resource = resources.get(need.resource)
        if resource is None:
            return False
        interactions = {str(i.get("code")) for i in resource.get("interaction") or () if isinstance(i, dict)}
        if need.interaction not in interactions:
            return False
        return need.revinclude is None or need.revinclude in (resource.get("searchRevInclude") or ())

    missing = {action: tuple(str(n) for n in needs if not has(n)) for action, needs in NEEDS.items()}
    return ServerSupport({action: lacks for action, lacks in missing.items() if lacks})
