"""Outboxes for the outbox tests: opened for an author, with retries in milliseconds."""

from __future__ import annotations

from typing import Any

from mobile_app.epj.protocol import Epj
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import Backoff, Delivered, OutboxItem
from mobile_app.services.outbox_store import MemoryOutboxStore

FAST = Backoff(first=0.05, cap=0.2)  # the same rules, in milliseconds


def outbox_for(client: Epj, author: str, store: Any = None) -> Outbox:
    """An outbox opened for ``author``, with the fast backoff."""
    outbox = Outbox.for_client(client, store if store is not None else MemoryOutboxStore(), backoff=FAST)
    outbox.open(author)
    return outbox


def delivered(item: OutboxItem) -> Delivered:
    assert item.result is not None, item.last_error
    return item.result
