"""TurnBatch: calls of one loop turn go out together; each caller gets its own outcome."""

import asyncio

import pytest

from chat.realtime.turn_batch import TurnBatch

pytestmark = pytest.mark.asyncio


class Recorder:
    """A `run` that records its batches and answers each item doubled (or fails on "bad")."""

    def __init__(self, delay: float = 0.0):
        self.batches: list[list] = []
        self.delay = delay

    async def __call__(self, items: list) -> list:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay)
        return [ValueError(f"bad item {item}") if item == "bad" else item * 2 for item in items]


async def test_calls_of_one_turn_go_out_as_one_batch_and_each_caller_gets_its_answer():
    run = Recorder()
    batch = TurnBatch(run)
    answers = await asyncio.gather(batch(1), batch(2), batch(3))
    assert answers == [2, 4, 6]
    assert run.batches == [[1, 2, 3]]


async def test_a_failed_item_fails_its_own_caller_only():
    batch = TurnBatch(Recorder())
    good, bad = await asyncio.gather(batch(5), batch("bad"), return_exceptions=True)
    assert good == 10
    assert isinstance(bad, ValueError) and "bad item" in str(bad)


async def test_a_failed_round_trip_reaches_every_caller():
    async def broken(items):
        raise ConnectionError("database gone")

    batch = TurnBatch(broken)
    outcomes = await asyncio.gather(batch(1), batch(2), return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [ConnectionError, ConnectionError]


async def test_one_at_a_time_gathers_the_calls_made_while_a_batch_runs_into_the_next_one():
    run = Recorder(delay=0.05)
    batch = TurnBatch(run, one_at_a_time=True)
    first = batch(1)
    await asyncio.sleep(0.01)  # the first batch is out
    later = []
    for item in (2, 3, 4):
        later.append(batch(item))
        await asyncio.sleep(0)  # separate loop turns: without one_at_a_time, separate batches
    assert await asyncio.gather(first, *later) == [2, 4, 6, 8]
    assert run.batches == [[1], [2, 3, 4]]


async def test_without_one_at_a_time_each_turn_goes_out_at_once():
    run = Recorder(delay=0.05)
    batch = TurnBatch(run)
    first = batch(1)
    await asyncio.sleep(0.01)
    second = batch(2)
    assert await asyncio.gather(first, second) == [2, 4]
    assert run.batches == [[1], [2]]
