"""The outbox relay: publishes the events waiting in documents' outboxes (see outbox.py) to Kafka.

It claims documents with a conditional update (a lease with an owner and an expiry), or is
handed those whose write took its lease, publishes each one's pending events in order with an
idempotent producer, waits for Kafka's acknowledgements and only then removes exactly those
entries. A crash in between publishes the same event ids again later; never new ones. A worker
takes up to `batch_documents` notified documents at once: one claim, one publication and one
mark for all of them. Its reads and writes of the documents are in outbox_store.py, its Kafka
side (the producer, sending, waiting for acknowledgements) in relay_publisher.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from .backoff import Backoff, BackoffState
from .clock import Clock, SystemClock
from .outbox import PENDING, PendingEvent, WriteLease, pending_events
from .outbox_store import OutboxStore
from .relay_publisher import LeasedDocument, RelayPublisher, describe

log = structlog.get_logger(__name__)


# Called after a document's events were acknowledged by Kafka and before they are marked sent
# (the crash test halts a relay there).
AfterPublish = Callable[[str, Any, Sequence[PendingEvent]], Awaitable[None]]


class OutboxRelay:
    """Publishes the events waiting in the outboxes of `collections` of `db` to Kafka.

    Runs as a background task of a service (`start()`/`stop()` or `async with`). Writers call
    `notify(collection, document_id)` right after their write so the events go out at once;
    a sweep every `poll_interval_s` finds whatever a notification missed (a crash, a full
    queue, another process's writes); while the workers have a backlog of notified documents,
    only every `busy_sweep_interval_s`. A writer that took `write_lease()` in its write passes
    it to `notify`, and the relay publishes without claiming the document first. One document
    is worked on by one worker at a time; a notification meanwhile waits until it is done.

    The relay owns an aiokafka producer rather than publishing through the service's FastStream
    broker: it must run while the broker is still connecting, it sends a batch's events back to
    back and awaits their acknowledgements together (each document's still in order, which the
    idempotent producer keeps), and it sends exactly the stored headers and body.

    `publish_timeout_s` bounds connecting and handing a message to the producer. The wait for
    Kafka's acknowledgement has no deadline of its own (see `_publish`): during an outage the
    relay holds its few documents, renews their leases and logs, and carries on when Kafka is
    back; everything else waits in the database.
    """

    def __init__(
        self,
        db: AsyncDatabase,
        collections: Iterable[str],
        bootstrap_servers: str,
        *,
        clock: Clock | None = None,
        relay_id: str | None = None,
        poll_interval_s: float = 0.5,
        busy_sweep_interval_s: float = 5.0,
        lease_s: float = 30.0,
        publish_timeout_s: float = 10.0,
        db_timeout_s: float = 5.0,
        workers: int = 4,
        batch_documents: int = 50,
        sweep_limit: int = 500,
        max_backoff_s: float = 5.0,
        after_publish: AfterPublish | None = None,
    ) -> None:
        if publish_timeout_s >= lease_s:
            # Handing the events to the producer happens before the first lease renewal, so it must fit in the lease.
            raise ValueError("publish_timeout_s must be shorter than lease_s")
        self.db = db
        self.collections = tuple(collections)
        self.bootstrap_servers = bootstrap_servers
        self.clock = clock or SystemClock()
        self.relay_id = relay_id or f"relay-{uuid.uuid4().hex[:8]}"
        self.poll_interval_s = poll_interval_s
        self.busy_sweep_interval_s = busy_sweep_interval_s
        self.lease = timedelta(seconds=lease_s)
        # A writer's lease is shorter: it is how long a writer that dies first delays its events.
        self.write_lease_duration = timedelta(seconds=lease_s / 3)
        self.publish_timeout_s = publish_timeout_s
        self.db_timeout_s = db_timeout_s
        self.workers = workers
        self.batch_documents = batch_documents
        self.sweep_limit = sweep_limit
        self.store = OutboxStore(db, self.clock, lease=self.lease, timeout_s=db_timeout_s, sweep_limit=sweep_limit)
        self.after_publish = after_publish
        self.backoff = BackoffState(Backoff(first_s=0.1, max_s=max_backoff_s))
        self.publisher = RelayPublisher(
            bootstrap_servers, client_id=f"liveline-outbox-{self.relay_id}", clock=self.clock,
            publish_timeout_s=publish_timeout_s, renew_every_s=lease_s / 3, log=log.bind(relay_id=self.relay_id),
        )
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=10_000)
        self._queued: set[tuple[str, Any]] = set()
        # Documents a worker is publishing, and those notified again meanwhile: one document is
        # worked on by one worker at a time, so a write's relay never reads events that another
        # worker of this relay has published and not yet marked (which it would publish again).
        self._working: set[tuple[str, Any]] = set()
        self._notified_while_working: set[tuple[str, Any]] = set()
        # The write leases handed over with queued documents (the latest per document).
        self._held: dict[tuple[str, Any], WriteLease] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._log = log.bind(relay_id=self.relay_id)

    async def __aenter__(self) -> OutboxRelay:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Starts the sweep and the workers; returns at once (Kafka may still be away)."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._sweep_forever(), name=f"{self.relay_id}-sweep"))
        for number in range(self.workers):
            self._tasks.append(asyncio.create_task(self._work_forever(), name=f"{self.relay_id}-worker-{number}"))
        self._log.info("outbox_relay_started", collections=self.collections)

    async def stop(self) -> None:
        """Stops the tasks and gives up the writers' leases of documents still queued; a document
        being published at that moment is taken over when its lease expires."""
        for task in self._tasks:
            task.cancel()
        _, stuck = await asyncio.wait(self._tasks, timeout=self.publish_timeout_s) if self._tasks else (set(), set())
        if stuck:
            self._log.error("outbox_relay_tasks_did_not_stop", tasks=sorted(t.get_name() for t in stuck))
        self._tasks.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release_held(), self.publish_timeout_s)
        await self.publisher.close()
        self._log.info("outbox_relay_stopped")

    def write_lease(self) -> WriteLease:
        """A lease for a write to take on its document (outbox.WriteLease); pass it to `notify` after the write."""
        return WriteLease(uuid.uuid4().hex, self.clock.now() + self.write_lease_duration)

    def notify(self, collection: str, document_id: Any, lease: WriteLease | None = None) -> None:
        """Publish the events of this document now (the fast path). Never blocks, never fails.

        Call it from the relay's event loop, after the write has returned; with the lease the
        write took, if it took one.
        """
        item = (collection, document_id)
        if lease is not None:
            self._held[item] = lease
        if item in self._working:
            self._notified_while_working.add(item)
            return
        if item in self._queued:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            return  # the next sweep finds it (a held document once its lease has expired)
        self._queued.add(item)

    async def ensure_indexes(self) -> None:
        for name in self.collections:
            await self.store.ensure_indexes(name)

    async def run_once(self) -> int:
        """One sweep of every collection, publishing every claimable document; the number of events published."""
        published = 0
        for collection in self.collections:
            document_ids = await self.store.claimable_ids(collection)
            while document_ids:
                count, again = await self.publish_documents(collection, {i: None for i in document_ids})
                published += count
                document_ids = again
        return published

    async def publish_documents(
        self, collection: str, documents: Mapping[Any, WriteLease | None]
    ) -> tuple[int, list[Any]]:
        """Claims the documents (or reads those `held` by a writer's lease), publishes their pending
        events, each document's in order, and marks them sent. Returns the number of events
        published and the documents that had more events written meanwhile (to publish again)."""
        await self.backoff.wait()
        held = await self._read_held(collection, documents)
        unheld = [document_id for document_id in documents if document_id not in held]
        claimed = dict(held)
        if unheld:
            lease_token = uuid.uuid4().hex
            claimed.update({d["_id"]: (lease_token, d) for d in await self.store.claim_many(collection, unheld, lease_token)})
        batch: list[LeasedDocument] = []
        for document_id, (lease_token, document) in claimed.items():
            events = pending_events(document)
            if events:
                batch.append(LeasedDocument(document_id, lease_token, events))
            else:
                await self._repair_counter(collection, document_id, lease_token, document[PENDING])
        if not batch:
            return 0, []
        acknowledged, error = await self.publisher.publish(batch, collection, self._renew)
        published = [(leased, events) for leased, events in zip(batch, acknowledged, strict=True) if events]
        if self.after_publish is not None:
            for leased, events in published:
                await self.after_publish(collection, leased.document_id, events)
        remaining = await self.store.mark_sent_many(
            collection, [(leased.document_id, leased.lease_token, events) for leased, events in published]
        ) if published else {}
        for leased, events in zip(batch, acknowledged, strict=True):
            if not events:
                await self.store.release(collection, leased.document_id, leased.lease_token)
        if error is not None:
            delay = self.backoff.failed()
            self._log.warning(
                "outbox_publish_failed", collection=collection, documents=[str(leased.document_id) for leased in batch],
                event_ids=[e.event_id for leased, events in zip(batch, acknowledged, strict=True) for e in leased.events[len(events):]],
                error=error, retry_in_s=delay,
            )
            return sum(len(events) for _, events in published), []
        self.backoff.succeeded()
        for leased, events in published:
            if remaining[leased.document_id] is None:
                # Another holder publishes whatever is left; the published entries are gone already.
                self._log.info(
                    "outbox_lease_changed_hands_before_mark", collection=collection, document_id=str(leased.document_id),
                    event_ids=[e.event_id for e in events],
                )
        again = [document_id for document_id, left in remaining.items() if left]
        return sum(len(events) for _, events in published), again

    async def _read_held(
        self, collection: str, documents: Mapping[Any, WriteLease | None]
    ) -> dict[Any, tuple[str, dict[str, Any]]]:
        """The documents still carrying the writer's lease they were handed over with, read (not claimed)."""
        tokens = {document_id: lease.token for document_id, lease in documents.items() if lease is not None}
        if not tokens:
            return {}
        return {d["_id"]: (tokens[d["_id"]], d) for d in await self.store.read_held_many(collection, tokens)}

    async def _release_held(self) -> None:
        """Gives up the writers' leases of documents still queued, so another relay need not wait for them."""
        held, self._held = self._held, {}
        for (collection, document_id), lease in held.items():
            await self.store.release(collection, document_id, lease.token)

    async def _renew(self, collection: str, leased: LeasedDocument) -> None:
        """Extends the lease of a document whose events wait for Kafka (a failure is tried again next time)."""
        try:
            renewed = await self.store.renew(collection, leased.document_id, leased.lease_token)
        except Exception as error:  # noqa: BLE001 - tried again at the next renewal
            self._log.warning("outbox_lease_renewal_failed", collection=collection, error=describe(error))
            return
        if not renewed:
            self._log.warning("outbox_lease_lost_while_publishing", collection=collection, document_id=str(leased.document_id))

    async def _repair_counter(self, collection: str, document_id: Any, lease_token: str, pending: int) -> None:
        # A counter above zero with no entries is a bug elsewhere.
        self._log.error("outbox_counter_without_entries", collection=collection, document_id=str(document_id))
        await self.store.repair_counter(collection, document_id, lease_token, pending)

    async def _sweep_forever(self) -> None:
        first = True
        last_sweep = 0.0
        while True:
            if not first:
                await asyncio.sleep(self.poll_interval_s)
                if not self._queue.empty() and time.monotonic() - last_sweep < self.busy_sweep_interval_s:
                    # The workers have a backlog of notified documents already. A sweep reads every
                    # pending document's outbox (on FerretDB, a scan of the collection): while they
                    # catch up it runs only every busy_sweep_interval_s, which keeps the lag gauge fresh.
                    continue
            last_sweep = time.monotonic()
            try:
                if first:
                    await self.ensure_indexes()
                    first = False
                await self.backoff.wait()
                for collection in self.collections:
                    for document_id in await self.store.claimable_ids(collection):
                        self.notify(collection, document_id)
            except Exception as error:  # noqa: BLE001 - the sweep must outlive a database outage
                _reraise_if_cancelled(error)
                delay = self.backoff.failed()
                self._log.warning("outbox_sweep_failed", error=describe(error), retry_in_s=delay)

    async def _work_forever(self) -> None:
        while True:
            items = [await self._queue.get()]
            while len(items) < self.batch_documents and not self._queue.empty():
                items.append(self._queue.get_nowait())
            for item in items:
                self._queued.discard(item)
                self._working.add(item)
            try:
                for collection in dict.fromkeys(collection for collection, _ in items):
                    documents = {d: self._held.pop((c, d), None) for c, d in items if c == collection}
                    try:
                        _, again = await self.publish_documents(collection, documents)
                    except Exception as error:  # noqa: BLE001 - one batch's failure must not stop the relay
                        _reraise_if_cancelled(error)
                        delay = self.backoff.failed()
                        self._log.warning(
                            "outbox_documents_failed", collection=collection, documents=[str(d) for d in documents],
                            error=describe(error), retry_in_s=delay,
                        )
                        continue
                    self._notified_while_working.update((collection, document_id) for document_id in again)
            finally:
                for item in items:
                    self._working.discard(item)
                    if item in self._notified_while_working:
                        self._notified_while_working.discard(item)
                        self.notify(*item)


def _reraise_if_cancelled(error: Exception) -> None:
    """A client library may turn our task's cancellation into an error of its own (pymongo's async
    API does, mid-operation); a loop that caught that as "retry later" would never stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error
