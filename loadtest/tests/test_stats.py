"""The tool's arithmetic: loss and duplicates by (channel, seq), and percentiles."""

from array import array

from loadtest.layout import channel_members
from loadtest.stats import Recorder, delivery_check, latency_row


def test_every_acknowledged_seq_is_expected_once_at_every_subscriber():
    recorder = Recorder()
    recorder.acked = {7: array("q", [1, 2, 3]), 8: array("q", [1])}
    recorder.received = {
        (0, 7): array("q", [1, 2, 3]),
        (1, 7): array("q", [1, 3, 3]),  # missed 2, got 3 twice
        (2, 8): array("q", [1]),
    }
    # Client 3 never connected: everything of channel 8 is lost for it.
    result = delivery_check(recorder, {0: [7], 1: [7], 2: [8], 3: [8]})

    assert (result.expected, result.delivered, result.lost, result.duplicates) == (8, 7, 2, 1)


def test_latency_row_reads_nearest_rank_percentiles_in_milliseconds():
    row = latency_row([i / 1000 for i in range(1, 101)], errors=1, attempts=50, seconds=10)

    assert (row["samples"], row["min_ms"], row["p50_ms"], row["p99_ms"], row["max_ms"]) == (100, 1, 50, 99, 100)
    assert row["error_pct"] == 2.0
    assert row["throughput_per_s"] == 10.0


def test_channels_take_consecutive_blocks_of_users():
    assert channel_members(users=6, channels=3, per_channel=2) == [[0, 1], [2, 3], [4, 5]]
    assert channel_members(users=4, channels=3, per_channel=2) == [[0, 1], [2, 3], [0, 1]]
