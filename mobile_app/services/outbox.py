"""The outbox: every write to the record reaches the EPJ exactly once, whatever the network does.

A write (journal note, signed note, own or ward note, message, a set of vital signs, a thrombosis-risk
assessment, a scale choice, a dictation for transcription, a clinical photo) is submitted as a draft. The outbox
stores it (encrypted, see outbox_store.py) before the first try, so neither a lost connection nor
a crash loses it, and sends it with the client's conditional writes, so a try after a lost answer
finds the copy the EPJ already made instead of making a second one.

Rules:

- ``submit`` tries at once. Offline, a timeout, 5xx or an unreadable answer: the item waits and is
  tried again with backoff (about 2 s, 4 s, 8 s ... at most 5 min, +-20 % jitter) by the loop of
  ``start()``; ``retry_now()`` (network back, or logged in again) makes every waiting item due.
- Not logged in / token expired: the item waits, paused, until ``retry_now()`` after a new login.
- 403, 404, 412, 4xx and input the app refuses: the item fails with the reason and is not retried
  until the author retries, edits or discards it.
- One unsent write per target: submitting another save of the same note (or own/ward note) while
  one waits replaces the waiting one's content, keeping its client id.
- Editing a waiting or failed item keeps its client id. That is safe even when an earlier try may
  have reached the EPJ: the next try's conditional create returns that copy and the client then
  updates it (If-Match on the version it just got); a signed note changed this way is ``amended``.
  Nothing is ever duplicated, and an edit never silently keeps the old text.
- Items belong to their author: only the logged-in author's items are loaded, shown and sent.
- A dictation's audio and a photo's image wait encrypted with their item and are dropped from it
  as soon as the EPJ has them (a sent item keeps only what it was, never the bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import keyring.errors

from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.domain.recording import Payload
from mobile_app.epj.writes import check_input
from mobile_app.services.outbox_items import (
    Backoff,
    ClientDelivery,
    Delivered,
    ItemNotChangeable,
    ItemState,
    NotOpen,
    OutboxError,
    OutboxItem,
    Outcome,
    UnknownItem,
    classify,
    item_id_for,
    new_item,
    same_identity,
    target_of,
)
from mobile_app.services.outbox_store import (
    MemoryOutboxStore,
    OutboxStore,
    OutboxUnreadable,
    StorageFailed,
    default_outbox_store,
)

if TYPE_CHECKING:
    from mobile_app.epj.protocol import Epj

log = logging.getLogger(__name__)

Deliver = Callable[[OutboxItem], Awaitable[Delivered]]
Listener = Callable[[list[OutboxItem]], None]
KEEP_SENT = 50  # sent items shown (in memory only) before the oldest are dropped
_IDLE_WAKE = 60.0  # seconds: the loop looks again at least this often


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    """The logged-in author's writes on their way to the EPJ; observe them with ``on_change``."""

    def __init__(self, deliver: Deliver, store: OutboxStore | None = None, *, backoff: Backoff | None = None,
                 now: Callable[[], datetime] = _utc_now, rng: random.Random | None = None) -> None:
        self._deliver = deliver
        self._store: OutboxStore = store if store is not None else default_outbox_store()
        self.backoff = backoff or Backoff()
        self._now = now
        self._rng = rng or random.Random()
        self._items: dict[str, OutboxItem] = {}
        self._author: str | None = None
        self._generation = 0
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.load_error: str | None = None  # stored items could not be read (kept aside as *.unreadable)
        self.storage_error: str | None = None  # saving failed: items are now kept in memory only

    @classmethod
    def for_client(cls, client: Epj, store: OutboxStore | None = None, **options: Any) -> Outbox:
        return cls(ClientDelivery(client), store, **options)

    # ------------------------------------------------------------ who and what

    @property
    def persistent(self) -> bool:
        """False when items live in memory only (no secure store): the UI says so."""
        return self._store.persistent

    @property
    def author(self) -> str | None:
        return self._author

    @property
    def items(self) -> list[OutboxItem]:
        """The logged-in author's items, newest first."""
        return sorted(self._items.values(), key=lambda i: i.created, reverse=True)

    def get(self, item_id: str) -> OutboxItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise UnknownItem(f"No outbox item {item_id}") from None

    def pending_for(self, author: str) -> list[OutboxItem]:
        """Unsent items (waiting, sending or failed) of ``author``, for the logout warning. Empty for
        anyone but the logged-in author: another user's items are never shown."""
        if author != self._author:
            return []
        return [item for item in self.items if item.pending]

    def on_change(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(items)`` after every change; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def open(self, author: str) -> list[OutboxItem]:
        """Load ``author``'s waiting items after login (another author's are forgotten first).
        Items that were being sent when the app stopped may have arrived: they are tried again,
        which finds the copy instead of making a second one."""
        if author == self._author:
            return self.items
        self.forget()
        self._author = author
        self.load_error = None
        try:
            loaded = self._store.load(author)
        except OutboxUnreadable as error:
            self.load_error, loaded = str(error), []
        except StorageFailed as error:
            self._memory_only(error)
            loaded = []
        now = self._now()
        for item in loaded:
            if item.state is ItemState.SENDING:
                item = item.model_copy(update={"state": ItemState.WAITING, "possibly_delivered": True,
                                               "next_attempt_at": now, "updated": now})
            self._items[item.id] = item
        self._changed(wake=True)
        return self.items

    def forget(self) -> None:
        """Drop the author's items from memory (on logout and switch user); what is unsent stays
        encrypted on disk for their next login. The loop keeps running, with nothing to send."""
        self._generation += 1
        self._items.clear()
        self._author = None
        self._notify()

    async def close(self) -> None:
        await self.stop()
        self.forget()

    def clear_for(self, author: str) -> None:
        """Discard every item of the logged-in author, and their stored file and key."""
        self._require(author)
        if any(item.state is ItemState.SENDING for item in self._items.values()):
            raise ItemNotChangeable("An item is being sent right now; try again in a moment")
        self._items.clear()
        self._store.clear(author)
        self._notify()

    # ------------------------------------------------------------ writing

    async def submit(self, payload: Payload) -> OutboxItem:
        """Queue a write and try it at once; returns the item as it stands after that try.
        InputRejected (nothing queued) for empty or too long text."""
        self._require(payload.author_id)
        check_input(payload)
        async with self._lock:
            self._require(payload.author_id)  # again: a logout may have happened while waiting
            now = self._now()
            target = target_of(payload)
            waiting = next((i for i in self._items.values() if i.target == target and i.pending), None)
            if waiting is not None:
                item = waiting.model_copy(update={"payload": payload, "state": ItemState.WAITING,
                                                  "last_error": None, "next_attempt_at": now, "updated": now})
            else:
                item = new_item(payload, item_id_for(payload, str(uuid.uuid4())), now)
            self._set(item)
            return await self._attempt(item.id)

    async def retry(self, item_id: str) -> OutboxItem:
        """The author asks to try a waiting or failed item again now."""
        async with self._lock:
            item = self._changeable(item_id)
            now = self._now()
            self._set(item.model_copy(update={"state": ItemState.WAITING, "next_attempt_at": now, "updated": now}))
            return await self._attempt(item_id)

    async def edit(self, item_id: str, payload: Payload) -> OutboxItem:
        """Replace a waiting or failed item's content (same note, patient and recipient) and try it."""
        check_input(payload)
        async with self._lock:
            item = self._changeable(item_id)
            if not same_identity(item.payload, payload):
                raise ItemNotChangeable("An edit cannot change what is written to: discard it and write a new one")
            now = self._now()
            self._set(item.model_copy(update={"payload": payload, "state": ItemState.WAITING, "last_error": None,
                                              "next_attempt_at": now, "updated": now}))
            return await self._attempt(item_id)

    def discard(self, item_id: str) -> OutboxItem:
        """Remove an item (waiting, failed, or a sent one from the list). A waiting item with
        ``possibly_delivered`` may already be in the record: the UI should say so."""
        item = self.get(item_id)
        if item.state is ItemState.SENDING:
            raise ItemNotChangeable("The item is being sent right now")
        del self._items[item_id]
        self._changed()
        return item

    # ------------------------------------------------------------ sending

    def start(self) -> None:
        """Start the background loop that retries waiting items (needs a running event loop)."""
        if self._task is not None and not self._task.done():
            return
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        task = self._cancel_loop()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def retry_now(self) -> None:
        """Make every waiting item due now (the network is back, or the author logged in again)."""
        now = self._now()
        for item in list(self._items.values()):
            if item.state is ItemState.WAITING:
                self._items[item.id] = item.model_copy(update={"next_attempt_at": now})
        self._changed(wake=True)

    async def run_due(self) -> int:
        """Try the items that are due, oldest first; stops at the first that must wait again
        (offline or logged out: the rest would fare the same). Returns how many were tried."""
        tried = 0
        due = sorted((i for i in self._items.values() if self._is_due(i)), key=lambda i: i.created)
        for candidate in due:
            async with self._lock:
                item = self._items.get(candidate.id)
                if item is None or not self._is_due(item):
                    continue
                result = await self._attempt(item.id)
            tried += 1
            if result.state is ItemState.WAITING:
                break
        return tried

    def seconds_to_next(self) -> float | None:
        """Seconds until the next item is due (None: nothing is scheduled)."""
        times = [i.next_attempt_at for i in self._items.values()
                 if i.state is ItemState.WAITING and i.next_attempt_at is not None]
        if not times:
            return None
        return max(0.0, (min(times) - self._now()).total_seconds())

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:  # the loop must outlive any bug in one try
                log.exception("The outbox loop failed a round")
            delay = self.seconds_to_next()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(delay if delay is not None else _IDLE_WAKE, _IDLE_WAKE))

    async def _attempt(self, item_id: str) -> OutboxItem:
        """One try of a waiting item (the lock is held)."""
        item = self._items[item_id]
        if item.state is not ItemState.WAITING:
            return item
        generation = self._generation
        sending = self._set(item.model_copy(update={"state": ItemState.SENDING, "attempts": item.attempts + 1,
                                                    "updated": self._now()}))
        try:
            delivered = await self._deliver(sending)
        except Exception as error:
            if generation != self._generation:  # logged out meanwhile: the stored item says "sending"
                return sending
            return self._set(self._after_failure(sending, error))
        except BaseException:  # cancelled mid-try: it may have arrived, so it is tried again
            if generation == self._generation:
                now = self._now()
                self._set(sending.model_copy(update={"state": ItemState.WAITING, "possibly_delivered": True,
                                                     "next_attempt_at": now, "updated": now}))
            raise
        if generation != self._generation:
            return sending
        payload = sending.payload  # a recording or photo is not kept once the EPJ has it
        if isinstance(payload, DictationDraft | PhotoDraft):
            payload = payload.without_media()
        done = self._set(sending.model_copy(update={
            "state": ItemState.SENT, "result": delivered, "last_error": None, "next_attempt_at": None,
            "updated": self._now(), "payload": payload}))
        self._drop_old_sent()
        return done

    def _after_failure(self, item: OutboxItem, error: Exception) -> OutboxItem:
        outcome, problem, reached = classify(error)
        now = self._now()
        changes: dict[str, Any] = {"last_error": problem, "updated": now,
                                   "possibly_delivered": item.possibly_delivered or reached}
        if outcome is Outcome.RETRY:
            wait = self.backoff.delay(item.attempts, self._rng)
            changes |= {"state": ItemState.WAITING, "next_attempt_at": now + timedelta(seconds=wait)}
        elif outcome is Outcome.PAUSE:
            changes |= {"state": ItemState.WAITING, "next_attempt_at": None}
        else:
            changes |= {"state": ItemState.FAILED, "next_attempt_at": None}
        if outcome is not Outcome.RETRY or item.attempts <= 1:
            log.info("Outbox item %s: %s (%s)", item.id, problem.reason, outcome)
        return item.model_copy(update=changes)

    # ------------------------------------------------------------ bookkeeping

    def _require(self, author: str) -> str:
        if self._author is None:
            raise NotOpen("No one is logged in to the outbox")
        if author != self._author:
            raise NotOpen("That belongs to another user")
        return author

    def _changeable(self, item_id: str) -> OutboxItem:
        item = self.get(item_id)
        if item.state is ItemState.SENDING:
            raise ItemNotChangeable("The item is being sent right now")
        if item.state is ItemState.SENT:
            raise ItemNotChangeable("The item has been sent")
        return item

    def _is_due(self, item: OutboxItem) -> bool:
        return (item.state is ItemState.WAITING and item.next_attempt_at is not None
                and item.next_attempt_at <= self._now())

    def _set(self, item: OutboxItem) -> OutboxItem:
        self._items[item.id] = item
        self._changed(wake=item.state is ItemState.WAITING)
        return item

    def _drop_old_sent(self) -> None:
        sent = sorted((i for i in self._items.values() if i.state is ItemState.SENT),
                      key=lambda i: i.updated, reverse=True)
        for old in sent[KEEP_SENT:]:
            del self._items[old.id]

    def _changed(self, wake: bool = False) -> None:
        """Persist (every change, before anyone is told), notify, and wake the loop if asked."""
        if self._author is not None:
            try:
                self._store.save(self._author, list(self._items.values()))
            except (StorageFailed, keyring.errors.KeyringError, OSError) as error:
                self._memory_only(error)
                self._store.save(self._author, list(self._items.values()))
        self._notify()
        if wake and self._wake is not None:
            self._wake.set()

    def _memory_only(self, error: Exception) -> None:
        log.warning("The outbox cannot be stored (%s); keeping it in memory only", error)
        self.storage_error = str(error)
        self._store = MemoryOutboxStore()

    def _notify(self) -> None:
        snapshot = self.items
        for listener in list(self._listeners):
            try:
                listener(snapshot)
            except Exception:
                log.exception("An outbox listener failed")

    def _cancel_loop(self) -> asyncio.Task[None] | None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        return task


__all__ = [
    "Backoff",
    "ClientDelivery",
    "Delivered",
    "ItemNotChangeable",
    "ItemState",
    "NotOpen",
    "Outbox",
    "OutboxError",
    "OutboxItem",
    "UnknownItem",
]
