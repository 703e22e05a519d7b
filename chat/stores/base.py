"""The message store contract. A message is the dict of docs/api.md's message object."""

from abc import ABC, abstractmethod


class MessageStore(ABC):
    # Errors that say a message is unfit for the store (not that the store is unreachable).
    refusals: tuple[type[Exception], ...] = ()

    def insert_many(self, messages: list[dict]) -> list[tuple[dict, str]]:
        """Stores messages; one already stored (same id) is skipped, so retries are safe.

        Returns the messages the store refuses, each with the reason, after storing all the
        others. A store that cannot be reached raises instead: nothing is refused for that.
        """
        try:
            return self._insert(messages)
        except self.refusals:
            pass
        refused = []
        for message in messages:  # one message spoils the batch: find it, store the others
            try:
                refused += self._insert([message])
            except self.refusals as error:
                refused.append((message, f"{type(error).__name__}: {error}"))
        return refused

    @abstractmethod
    def _insert(self, messages: list[dict]) -> list[tuple[dict, str]]:
        """One write of the batch; refused messages returned, or raised as one of `refusals`."""

    @abstractmethod
    def range(
        self, *, channel_id: int, after_seq: int = 0, before_seq: int | None = None, limit: int, newest: bool = False
    ) -> list[dict]:
        """Messages with after_seq < seq < before_seq, ascending; `newest` takes the last `limit`."""

    @abstractmethod
    def max_seqs(self, channel_ids: list[int]) -> dict[int, int]:
        """The highest stored seq of each channel, 0 for one with none; one query for them all."""

    @abstractmethod
    def latest(self, channel_ids: list[int]) -> dict[int, dict]:
        """The newest stored message of each channel that has one; one query for them all."""

    def max_seq(self, *, channel_id: int) -> int:
        return self.max_seqs([channel_id])[channel_id]

    @abstractmethod
    def find(self, *, channel_id: int, message_id: str) -> dict | None:
        """The stored message with this id in this channel, if any."""

    @abstractmethod
    def find_by_client_msg_id(self, *, channel_id: int, sender_id: int, client_msg_id: str) -> dict | None:
        """The stored message this sender's client_msg_id produced, if any."""

    @abstractmethod
    def redact(self, *, channel_id: int, message_ids: list[str]) -> None:
        """Forgets the body and mentions of these messages (deleted by their sender or a
        moderator), keeping id, seq, sender and time, so history has no gap; idempotent."""

    @abstractmethod
    def search(self, *, channel_id: int, words: list[str], limit: int, before_seq: int | None = None) -> list[dict]:
        """The channel's messages with seq < before_seq whose body has every word, newest first.

        `words`: at least one, from chat.selectors.search_words (lower case, no surrounding punctuation).
        A word matches the start of a word of the body, in any case ("회비" finds "회비를",
        "plan" finds "Plans"); the MongoDB store also matches it inside a word.
        """
