"""The message store contract. A message is the dict of API.md's message object."""

from abc import ABC, abstractmethod


class MessageStore(ABC):
    @abstractmethod
    def insert_many(self, messages: list[dict]) -> None:
        """Stores messages; a message already stored (same id) is skipped, so retries are safe."""

    @abstractmethod
    def range(
        self, *, channel_id: int, after_seq: int = 0, before_seq: int | None = None, limit: int, newest: bool = False
    ) -> list[dict]:
        """Messages with after_seq < seq < before_seq, ascending; `newest` takes the last `limit`."""

    @abstractmethod
    def max_seqs(self, channel_ids: list[int]) -> dict[int, int]:
        """The highest stored seq of each channel, 0 for one with none; one query for them all."""

    def max_seq(self, *, channel_id: int) -> int:
        return self.max_seqs([channel_id])[channel_id]

    @abstractmethod
    def find_by_client_msg_id(self, *, channel_id: int, client_msg_id: str) -> dict | None:
        """The stored message a sender's client_msg_id produced, if any."""
