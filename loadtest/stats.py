"""What one load process records, and the arithmetic over everything every process recorded.

Times are wall-clock seconds (time.time()): every process of a run is on one machine, so
a receiver measures delivery latency against the send time its sender wrote into the
message's client_msg_id.
"""

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Recorder:
    """Raw samples of one load process; it travels to the parent once, at the end."""

    connect: array = field(default_factory=lambda: array("d"))  # handshake seconds
    subscribe: array = field(default_factory=lambda: array("d"))  # handshake done -> every `subscribed`
    sent_at: array = field(default_factory=lambda: array("d"))
    ack: array = field(default_factory=lambda: array("d"))
    ack_at: array = field(default_factory=lambda: array("d"))
    delivery: array = field(default_factory=lambda: array("d"))
    delivery_at: array = field(default_factory=lambda: array("d"))
    # (client index, channel id) -> every seq that client received there, repeats included
    received: dict = field(default_factory=dict)
    acked: dict = field(default_factory=dict)  # channel id -> acknowledged seqs
    errors: Counter = field(default_factory=Counter)  # error frames by code
    connect_failures: Counter = field(default_factory=Counter)  # by reason
    disconnects: Counter = field(default_factory=Counter)  # closes the tool did not ask for, by close code
    frames: Counter = field(default_factory=Counter)  # every frame received once sending began, by type
    actions: Counter = field(default_factory=Counter)  # typing and read frames sent, edits and reactions made

    def merge(self, other: "Recorder") -> None:
        for name in ("connect", "subscribe", "sent_at", "ack", "ack_at", "delivery", "delivery_at"):
            getattr(self, name).extend(getattr(other, name))
        self.received.update(other.received)
        for channel, seqs in other.acked.items():
            self.acked.setdefault(channel, array("q")).extend(seqs)
        self.errors.update(other.errors)
        self.connect_failures.update(other.connect_failures)
        self.disconnects.update(other.disconnects)
        self.frames.update(other.frames)
        self.actions.update(other.actions)


def percentile(ordered, fraction: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def latency_row(samples, *, errors: int, attempts: int, seconds: float) -> dict:
    """samples, avg, min, p50, p95, p99, max (milliseconds), error %, throughput (per second)."""
    ordered = sorted(samples)
    to_ms = 1000.0
    return {
        "samples": len(ordered),
        "avg_ms": to_ms * sum(ordered) / len(ordered) if ordered else math.nan,
        "min_ms": to_ms * ordered[0] if ordered else math.nan,
        "p50_ms": to_ms * percentile(ordered, 0.50),
        "p95_ms": to_ms * percentile(ordered, 0.95),
        "p99_ms": to_ms * percentile(ordered, 0.99),
        "max_ms": to_ms * ordered[-1] if ordered else math.nan,
        "error_pct": 100.0 * errors / attempts if attempts else 0.0,
        "throughput_per_s": len(ordered) / seconds if seconds > 0 else math.nan,
    }


@dataclass
class Delivery:
    expected: int
    delivered: int
    lost: int
    duplicates: int


def delivery_check(recorder: Recorder, subscriptions: dict[int, list[int]]) -> Delivery:
    """Every acknowledged (channel, seq) must reach every client subscribed to that channel once.

    `subscriptions` maps each planned client to its channels; a client that never connected
    counts as having lost everything it should have seen.
    """
    acked = {channel: set(seqs) for channel, seqs in recorder.acked.items()}
    expected = delivered = lost = duplicates = 0
    for client, channels in subscriptions.items():
        for channel in channels:
            should = acked.get(channel, set())
            seqs = recorder.received.get((client, channel), ())
            unique = set(seqs)
            expected += len(should)
            delivered += len(seqs)
            lost += len(should - unique)
            duplicates += len(seqs) - len(unique)
    return Delivery(expected=expected, delivered=delivered, lost=lost, duplicates=duplicates)


def time_series(recorder: Recorder, *, start: float, end: float) -> dict:
    """Per-second sent, acked, delivered and delivery p50/p99 (ms) from `start` to `end` (+ drain)."""
    seconds = max(1, math.ceil(end - start))

    def counts(times) -> list[int]:
        buckets = [0] * seconds
        for at in times:
            index = int(at - start)
            if 0 <= index < seconds:
                buckets[index] += 1
        return buckets

    per_second: list[list[float]] = [[] for _ in range(seconds)]
    for latency, at in zip(recorder.delivery, recorder.delivery_at, strict=True):
        index = int(at - start)
        if 0 <= index < seconds:
            per_second[index].append(latency)
    p50, p99 = [], []
    for bucket in per_second:
        bucket.sort()
        p50.append(1000 * percentile(bucket, 0.5) if bucket else None)
        p99.append(1000 * percentile(bucket, 0.99) if bucket else None)
    return {
        "second": list(range(seconds)),
        "sent": counts(recorder.sent_at),
        "acked": counts(recorder.ack_at),
        "delivered": counts(recorder.delivery_at),
        "delivery_p50_ms": p50,
        "delivery_p99_ms": p99,
    }
