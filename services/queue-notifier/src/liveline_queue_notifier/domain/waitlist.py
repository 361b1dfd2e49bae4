"""A merchant's host-stand waitlist for the day: parties join with a ticket (A001 for parties of
1-2, B001 for 3-4, C001 for 5 or more, counted per local day), are called, and leave seated, as
no-shows or cancelled. Pure rules on an immutable value; adapters/queues.py stores it as one
document per merchant, so every change (and the QueueTick it causes) is one conditional update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import AlreadyJoined, InvalidParty, PartyAlreadyLeft, PartyNotFound
from .estimate import RECENT_SEATINGS_KEPT, RECENT_WINDOW, Seated, Waiting, WaitEstimate, estimate_wait

MAX_PARTY_SIZE = 20
MAX_NAME_LENGTH = 60
# (band, smallest, largest, ticket letter)
BANDS = (("1-2", 1, 2, "A"), ("3-4", 3, 4, "B"), ("5+", 5, MAX_PARTY_SIZE, "C"))
# How many parties that left are remembered, to answer "already seated" rather than "unknown".
LEFT_KEPT = 200
WAITING, CALLED = "waiting", "called"
OUTCOMES = ("seated", "no_show", "cancelled")
# How long a remote party's ticket is remembered after it left (what its buyer's app reads).
REMOTE_KEPT = timedelta(days=7)


def band_of(size: int) -> tuple[str, str]:
    """(band, ticket letter) of a party of `size`."""
    return next((name, letter) for name, low, high, letter in BANDS if low <= size <= high)


@dataclass(frozen=True)
class Party:
    party_id: str
    ticket: str
    size: int
    joined_at: datetime
    status: str = WAITING  # waiting | called
    called_at: datetime | None = None
    name: str | None = None  # kept only while the party waits, and never in an event
    phone: str | None = None
    remote: bool = False  # joined from a push, not at the host stand
    order_id: str | None = None


@dataclass(frozen=True)
class RemoteJoin:
    """A party that joined from a push for an order: what its buyer reads and is told, kept
    after it leaves (with the outcome) so the order gets one ticket and its status stays known."""

    order_id: str
    user_id: str
    party_id: str
    ticket: str
    size: int
    joined_at: datetime
    outcome: str | None = None  # seated | no_show | cancelled, once it left


@dataclass(frozen=True)
class LiveQueue:
    merchant_id: str
    timezone: str
    day: date
    counters: dict[str, int] = field(default_factory=dict)  # ticket letter -> last number given today
    parties: tuple[Party, ...] = ()  # in the order they joined
    calling: str | None = None  # the ticket called last
    recent: tuple[Seated, ...] = ()  # the latest seatings, for the estimate
    no_shows: tuple[datetime, ...] = ()  # when parties were marked no-show, over the same window
    left: dict[str, tuple[str, str]] = field(default_factory=dict)  # party id -> (ticket, outcome)
    remote: dict[str, RemoteJoin] = field(default_factory=dict)  # order id -> its party, joined from a push
    version: int = 0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def party(self, party_id: str) -> Party:
        found = next((party for party in self.parties if party.party_id == party_id), None)
        if found is not None:
            return found
        if party_id in self.left:
            ticket, outcome = self.left[party_id]
            raise PartyAlreadyLeft(ticket, outcome)
        raise PartyNotFound(f"no party {party_id} in this waitlist")


def new_queue(merchant_id: str, timezone: str, now: datetime) -> LiveQueue:
    return LiveQueue(merchant_id=merchant_id, timezone=timezone, day=now.astimezone(ZoneInfo(timezone)).date())


def check_party(size: int, name: str | None, phone: str | None) -> None:
    if not 1 <= size <= MAX_PARTY_SIZE:
        raise InvalidParty(f"a party is 1 to {MAX_PARTY_SIZE} people")
    if name is not None and not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        raise InvalidParty(f"a name is 1 to {MAX_NAME_LENGTH} characters")


def add_party(queue: LiveQueue, party_id: str, size: int, now: datetime, *, name: str | None = None,
              phone: str | None = None, remote: bool = False, order_id: str | None = None) -> tuple[LiveQueue, Party]:
    """The party joins at the end with the next ticket of its band for the merchant's local day."""
    check_party(size, name, phone)
    queue = _rolled_over(queue, now)
    _, letter = band_of(size)
    number = queue.counters.get(letter, 0) + 1
    party = Party(party_id, f"{letter}{number:03d}", size, now, name=name.strip() if name else None, phone=phone,
                  remote=remote, order_id=order_id)
    return replace(queue, counters={**queue.counters, letter: number}, parties=(*queue.parties, party)), party


def add_remote_party(queue: LiveQueue, order_id: str, user_id: str, party_id: str, size: int,
                     now: datetime) -> tuple[LiveQueue, Party]:
    """An order's buyer joins from a push: a party of the voucher's size, marked remote, with the
    same ticket rules as a walk-in. One party per order (AlreadyJoined for a second)."""
    if order_id in queue.remote:
        raise AlreadyJoined(queue.remote[order_id].ticket)
    queue, party = add_party(queue, party_id, size, now, remote=True, order_id=order_id)
    record = RemoteJoin(order_id, user_id, party_id, party.ticket, size, now)
    kept = {o: r for o, r in queue.remote.items() if r.outcome is None or now - r.joined_at <= REMOTE_KEPT}
    return replace(queue, remote={**kept, order_id: record}), party


def position(queue: LiveQueue, party: Party) -> int:
    """Where a waiting party stands among those its tables go to (its band): 1 is next; 0 once
    it is called. Parties called before it are being seated and are not ahead of it any more."""
    if party.status == CALLED:
        return 0
    band, _ = band_of(party.size)
    ahead = 0
    for other in queue.parties:
        if other.party_id == party.party_id:
            break
        if other.status == WAITING and band_of(other.size)[0] == band:
            ahead += 1
    return ahead + 1


@dataclass(frozen=True)
class TicketState:
    record: RemoteJoin
    status: str  # waiting | called | seated | no_show | cancelled
    position: int  # 1 is next; 0 once called or gone


def ticket_state(queue: LiveQueue, order_id: str) -> TicketState | None:
    """Where the order's party stands in this waitlist; None if the order never joined it."""
    record = queue.remote.get(order_id)
    if record is None:
        return None
    party = next((p for p in queue.parties if p.party_id == record.party_id), None)
    if party is None:
        return TicketState(record, record.outcome or queue.left.get(record.party_id, ("", "cancelled"))[1], 0)
    return TicketState(record, party.status, position(queue, party))


def call(queue: LiveQueue, party_id: str, now: datetime) -> LiveQueue:
    """The host calls the party (again, if it was called before): its ticket is the one called now."""
    party = queue.party(party_id)
    called = replace(party, status=CALLED, called_at=now)
    return replace(queue, parties=tuple(called if p.party_id == party_id else p for p in queue.parties),
                   calling=party.ticket)


def leave(queue: LiveQueue, party_id: str, outcome: str, now: datetime) -> LiveQueue:
    """The party leaves the queue: seated (its wait joins the history), no-show or cancelled."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    party = queue.party(party_id)
    recent = queue.recent
    if outcome == "seated":
        recent = tuple(s for s in (*recent, Seated(party.joined_at, now, party.size))
                       if now - s.seated_at <= RECENT_WINDOW)[-RECENT_SEATINGS_KEPT:]
    no_shows = tuple(at for at in (*queue.no_shows, *((now,) if outcome == "no_show" else ())) if now - at <= RECENT_WINDOW)
    left = dict(list({**queue.left, party_id: (party.ticket, outcome)}.items())[-LEFT_KEPT:])
    remote = queue.remote
    if party.order_id is not None and party.order_id in remote:
        remote = {**remote, party.order_id: replace(remote[party.order_id], outcome=outcome)}
    return replace(queue, parties=tuple(p for p in queue.parties if p.party_id != party_id), recent=recent, left=left,
                   no_shows=no_shows, remote=remote)


def _rolled_over(queue: LiveQueue, now: datetime) -> LiveQueue:
    """A new local day starts its tickets at 001 again (parties still waiting keep theirs)."""
    today = now.astimezone(queue.zone).date()
    return queue if today == queue.day else replace(queue, day=today, counters={}, left={})


@dataclass(frozen=True)
class BandCount:
    band: str
    parties: int
    people: int


@dataclass(frozen=True)
class LiveState:
    """What anyone may read about a merchant's queue right now."""

    merchant_id: str
    waiting_parties: int
    waiting_people: int
    bands: tuple[BandCount, ...]
    longest_wait_minutes: int
    calling: str | None
    estimate: WaitEstimate
    measured_at: datetime
    source: str = "waitlist"  # or "external": a queue system's QueueTick


def live_state(queue: LiveQueue, now: datetime) -> LiveState:
    parties = queue.parties
    bands = tuple(
        BandCount(name, sum(1 for p in parties if low <= p.size <= high), sum(p.size for p in parties if low <= p.size <= high))
        for name, low, high, _ in BANDS
    )
    longest = max(((now - p.joined_at).total_seconds() // 60 for p in parties), default=0)
    return LiveState(
        merchant_id=queue.merchant_id, waiting_parties=len(parties), waiting_people=sum(p.size for p in parties),
        bands=bands, longest_wait_minutes=max(int(longest), 0), calling=queue.calling,
        estimate=estimate_for(queue, now), measured_at=now,
    )


def estimate_for(queue: LiveQueue, now: datetime, party_size: int = 2) -> WaitEstimate:
    waiting: Sequence[Waiting] = [Waiting(p.joined_at, p.size) for p in queue.parties]
    recent = [s for s in queue.recent if now - s.seated_at <= RECENT_WINDOW]
    no_shows = sum(1 for at in queue.no_shows if now - at <= RECENT_WINDOW)
    return estimate_wait(now, waiting, recent, party_size, recent_no_shows=no_shows)
