"""``visitt`` with every notification poll reported on stdout ("POLL"), for the browser test that
checks polling pauses while the browser tab is hidden. Run as ``python -m tests.support.counting_visitt``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from mobile_app.domain.models import Notification
from mobile_app.epj.client import EpjClient
from visitt.cli import main

_poll = EpjClient.notifications


async def _counted(self: EpjClient, practitioner_id: str, since: datetime | None = None) -> list[Notification]:
    print("POLL", flush=True)
    return await _poll(self, practitioner_id, since)


def run(argv: list[str]) -> Any:
    EpjClient.notifications = _counted  # type: ignore[method-assign]
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
