"""A stand-in for aiokafka's `BatchBuilder`, for unit tests of code that hands records to a
producer in batches (`create_batch` / `send_batch`) without a broker."""

from dataclasses import dataclass, field


@dataclass
class FakeBatch:
    """Takes records until `room` are in it (None: no limit)."""

    room: int | None = None
    records: list[tuple[bytes, bytes]] = field(default_factory=list)

    def append(self, *, timestamp: None, key: bytes, value: bytes) -> object | None:
        if len(self.records) == self.room:  # as aiokafka's: an empty batch takes any record
            return None
        self.records.append((key, value))
        return object()

    def record_count(self) -> int:
        return len(self.records)
