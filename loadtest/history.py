"""After the run: is every acknowledged message in history, and how soon was it in the store?

History (GET /api/channels/{id}/messages) is checked page by page through the REST API.
The message store is what history falls back on once Redis lets go of a message; a web
node's /metrics reports how many messages still wait for it (chat_persist_stream_length),
so the tool watches that number fall to zero after the last send.
"""

import asyncio
import threading
import time
import urllib.request

import httpx

from loadtest.provisioning import Plan

HISTORY_PAGE = 100
HISTORY_CONCURRENCY = 10
STORE_POLL_SECONDS = 0.2
BACKLOG_METRIC = "chat_persist_stream_length"


def history_missing(*, base_url: str, plan: Plan, acked: dict[int, set[int]], channel_ids: list[int]) -> int:
    """How many acknowledged messages of these channels history does not return."""
    return asyncio.run(_history_missing(base_url, plan, acked, channel_ids))


async def _history_missing(base_url: str, plan: Plan, acked: dict[int, set[int]], channel_ids: list[int]) -> int:
    token_of = {channel["id"]: plan.users[channel["members"][0]]["access"] for channel in plan.channels}
    gate = asyncio.Semaphore(HISTORY_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:

        async def missing_in(channel_id: int) -> int:
            found: set[int] = set()
            after = 0
            while True:
                async with gate:
                    response = await http.get(
                        f"/api/channels/{channel_id}/messages",
                        params={"after_seq": after, "limit": HISTORY_PAGE},
                        headers={"Authorization": f"Bearer {token_of[channel_id]}"},
                    )
                response.raise_for_status()
                page = response.json()
                found.update(message["seq"] for message in page["results"])
                if not page["has_more"] or not page["results"]:
                    break
                after = page["results"][-1]["seq"]
            return len(acked.get(channel_id, set()) - found)

        return sum(await asyncio.gather(*(missing_in(channel_id) for channel_id in channel_ids)))


def persist_backlog(metrics_url: str) -> float | None:
    """The node's count of messages not yet in the store; None when it does not export one."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=2) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(BACKLOG_METRIC + " "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


class StoreWatcher:
    """Polls the backlog from `since` on and notes when it is first zero."""

    def __init__(self, metrics_url: str, since: float, timeout: float):
        self.metrics_url, self.since, self.timeout = metrics_url, since, timeout
        self.drained_after: float | None = None
        self.exported = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while time.time() < self.since + self.timeout:
            backlog = persist_backlog(self.metrics_url)
            if backlog is None:
                self.exported = False
                return
            if backlog == 0 and time.time() >= self.since:
                self.drained_after = max(0.0, time.time() - self.since)
                return
            time.sleep(STORE_POLL_SECONDS)

    def result(self) -> float | None:
        self.thread.join()
        return self.drained_after
