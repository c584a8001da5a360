"""What reached the receiver, per device: each delivery matched to the uplink it came from
by its `Senflow-Message-Id` (the simulator chose each LoRa uplink's id upstream)."""

from collections import Counter
from dataclasses import dataclass, field

from rich.table import Table

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_summary import Outcome, percentile
from senflow.demo.receiver import Received


@dataclass(frozen=True)
class SentUplink:
    device: SimDevice
    seq: int
    sent_at: float  # epoch seconds


@dataclass
class SentLog:
    """Uplinks sent per device, and those Kafka acknowledged by message id (fed as the
    simulator's `OnAnswer`)."""

    sent: Counter[str] = field(default_factory=Counter)
    acked: dict[str, SentUplink] = field(default_factory=dict)

    def record(self, device: SimDevice, seq: int, sent_at: float, outcome: Outcome) -> None:
        self.sent[device.identifier] += 1
        if outcome.accepted and outcome.message_id:
            self.acked[outcome.message_id] = SentUplink(device, seq, sent_at)

    def delivered(self, received: list[Received]) -> int:
        """How many of the acknowledged uplinks reached the receiver (duplicates once)."""
        return len(set(self.acked) & {r.message_id for r in received})


@dataclass
class DeviceDeliveries:
    device: SimDevice
    acked: int = 0
    delivered: int = 0  # distinct uplinks, whatever duplicates at-least-once brought
    tokens_valid: int = 0
    requests: int = 0
    latencies_ms: list[float] = field(default_factory=list)


def per_device(
    devices: list[SimDevice], log: SentLog, received: list[Received]
) -> list[DeviceDeliveries]:
    rows = {d.identifier: DeviceDeliveries(d) for d in devices}
    for acked in log.acked.values():
        rows[acked.device.identifier].acked += 1
    seen: set[str] = set()
    for request in received:
        uplink = log.acked.get(request.message_id)
        if uplink is None:
            continue  # not this run's (nothing else should deliver here)
        row = rows[uplink.device.identifier]
        row.requests += 1
        row.tokens_valid += request.token_valid
        if request.message_id not in seen:
            seen.add(request.message_id)
            row.delivered += 1
            row.latencies_ms.append((request.arrived_at - uplink.sent_at) * 1000)
    return list(rows.values())


def deliveries_table(rows: list[DeviceDeliveries], sent: Counter[str]) -> Table:
    """Per device: uplinks sent, acknowledged by Kafka, delivered, tokens verified, and
    the latency from publishing to the receiver."""
    table = Table(title="What the receiver got", title_justify="left")
    table.add_column("device (DevEUI)")
    for name in ("sent", "acked", "delivered", "tokens ok"):
        table.add_column(name, justify="right")
    table.add_column("latency ms\nmin/p50/max", justify="right")
    for row in rows:
        complete = row.delivered == row.acked == sent.get(row.device.identifier, 0)
        style = "green" if complete and row.tokens_valid == row.requests else "red"
        table.add_row(
            row.device.identifier,
            str(sent.get(row.device.identifier, 0)),
            str(row.acked),
            f"[{style}]{row.delivered}[/]",
            f"[{style}]{row.tokens_valid}/{row.requests}[/]",
            _latencies(sorted(row.latencies_ms)),
        )
    everything = sorted(ms for row in rows for ms in row.latencies_ms)
    table.add_section()
    table.add_row(
        "all",
        str(sum(sent.values())),
        str(sum(r.acked for r in rows)),
        str(sum(r.delivered for r in rows)),
        f"{sum(r.tokens_valid for r in rows)}/{sum(r.requests for r in rows)}",
        _latencies(everything),
        style="bold",
    )
    return table


def _latencies(ordered: list[float]) -> str:
    if not ordered:
        return "-"
    p50 = percentile(ordered, 50)
    return f"{ordered[0]:.0f} / {p50:.0f} / {ordered[-1]:.0f}"
