"""Reading a live process's /metrics and /readyz the way Prometheus and a balancer do."""

import asyncio
import inspect
import json
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(url: str) -> list[tuple[str, dict, float]]:
    """(name, labels, value) of every sample the endpoint exposes."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def value(url: str, name: str) -> float:
    """The sum of a metric's samples (one unlabelled sample for gauges like chat_connections_open)."""
    return sum(v for n, _, v in samples(url) if n == name)


def readyz(base_url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def wait_until(predicate, timeout: float = 30, what: str = "condition"):
    """Polls predicate (sync or async) until it returns something truthy, letting the test's clients run meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
