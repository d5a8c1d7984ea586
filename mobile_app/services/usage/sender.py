"""Delivers spooled batches to the collector, oldest first, on a thread of its own.

A batch leaves the spool only when the collector accepted it (2xx) or refused its content (400,
413, 415, 422: sending it again cannot help, so it is dropped and counted). Anything else (no
network, a timeout, 5xx, 429, and 401/403/404, which are about the collector's setup rather than
the batch) is tried again with backoff: 1 s, 2 s, 4 s ... at most 5 minutes, +-20 % jitter, and
at least what ``Retry-After`` asks. ``retry_now()`` skips the wait (the network is back).

A batch whose answer was lost is sent again with the same batch id, and the collector stores it
once.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable

import httpx

from mobile_app.services.usage.files import Spool, SpooledBatch

log = logging.getLogger(__name__)

_REFUSED = frozenset({400, 413, 415, 422})


def logs_endpoint(collector_url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1/logs`` -> the OTLP logs endpoint."""
    url = collector_url.rstrip("/")
    return url if url.endswith("/v1/logs") else f"{url}/v1/logs"


class CollectorSender:
    """One thread that posts the spool's batches; counters are read by UsageLog.stats()."""

    def __init__(self, collector_url: str, spool: Spool, *, enabled: Callable[[], bool],
                 backoff_base_s: float = 1.0, backoff_max_s: float = 300.0, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = logs_endpoint(collector_url)
        self.spool = spool
        self._enabled = enabled
        self._backoff_base = backoff_base_s
        self._backoff_max = backoff_max_s
        self._timeout = timeout_s
        self._transport = transport
        self._changed = threading.Condition()
        self._stopping = False
        self._attempt = 0
        self._next_try = 0.0  # time.monotonic()
        self._busy = False
        self._rng = random.Random()
        self._thread: threading.Thread | None = None
        self.batches_sent = 0
        self.batches_refused = 0
        self.records_refused = 0  # partialSuccess.rejectedLogRecords
        self.failed_tries = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="usage-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        """The spool changed (a batch was added or dropped)."""
        with self._changed:
            self._changed.notify_all()

    def retry_now(self) -> None:
        with self._changed:
            self._next_try = 0.0
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every spooled batch is delivered; False if some remain after ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._busy and len(self.spool) == 0, timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
            while True:
                with self._changed:
                    batch = self._due()
                    if batch is None:
                        if self._stopping:
                            return
                        continue
                    self._busy = True
                try:
                    delivered = self._send(client, batch)
                except Exception:  # a bug must not end delivery for good
                    log.exception("usage log: sending a batch failed")
                    delivered = False
                with self._changed:
                    self._busy = False
                    if delivered:
                        self._attempt = 0
                    else:
                        self._attempt += 1
                        self._next_try = max(self._next_try, time.monotonic() + self._delay())
                    self._changed.notify_all()

    def _due(self) -> SpooledBatch | None:
        """The batch to send now, or None after waiting (called holding the condition)."""
        if self._stopping:
            return None
        batch = self.spool.oldest()
        if batch is None or not self._enabled():
            self._changed.wait(60.0)
            return None
        wait = self._next_try - time.monotonic()
        if wait > 0:
            self._changed.wait(wait)
            return None
        return batch

    def _delay(self) -> float:
        base: float = min(self._backoff_max, self._backoff_base * 2.0 ** min(self._attempt - 1, 30))
        return base * self._rng.uniform(0.8, 1.2)

    def _send(self, client: httpx.Client, batch: SpooledBatch) -> bool:
        """True when the batch left the spool (accepted or refused)."""
        body = self.spool.read(batch)
        if body is None:  # deleted meanwhile (size cap)
            self.spool.remove(batch)
            return True
        try:
            response = client.post(self.url, content=body, headers={
                "Content-Type": "application/json", "X-Batch-Id": batch.batch_id})
        except httpx.HTTPError as error:
            self.failed_tries += 1
            log.info("usage log: collector not reached (%s)", type(error).__name__)
            return False
        if response.is_success:
            self.records_refused += _rejected_records(response)
            self.batches_sent += 1
            self.spool.remove(batch)
            return True
        if response.status_code in _REFUSED:
            log.warning("usage log: the collector refused batch %s (%d)", batch.batch_id, response.status_code)
            self.batches_refused += 1
            self.spool.remove(batch)
            return True
        self.failed_tries += 1
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            with self._changed:
                self._next_try = time.monotonic() + min(float(retry_after), self._backoff_max)
        return False


def _rejected_records(response: httpx.Response) -> int:
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        partial = response.json().get("partialSuccess") or {}
        return int(partial.get("rejectedLogRecords") or 0)
    return 0
