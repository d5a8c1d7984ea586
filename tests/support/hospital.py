"""Generated hospitals as the seed tests read them: every resource by type and by reference."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mock_epj.seed import Login, generate

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)  # a Saturday morning in winter (+01:00)
SUMMER_NIGHT = datetime(2026, 7, 2, 0, 10, tzinfo=UTC)  # 02:10 in Oslo (+02:00)


@dataclass
class Hospital:
    now: datetime
    logins: list[Login]
    resources: list[dict[str, Any]]
    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for resource in self.resources:
            grouped[resource["resourceType"]].append(resource)
            self.by_ref[f"{resource['resourceType']}/{resource['id']}"] = resource
        self.by_type = dict(grouped)

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        return self.by_type.get(resource_type, [])

    @property
    def stays(self) -> list[dict[str, Any]]:
        return [e for e in self.of("Encounter") if e["status"] == "in-progress"]

    def login(self, username: str) -> Login:
        return next(login for login in self.logins if login.username == username)


def build(seed: int, patients: int, now: datetime) -> Hospital:
    data = generate(seed, patients, now)
    return Hospital(now, data.logins, list(data.resources))
