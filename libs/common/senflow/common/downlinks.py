"""Downlinks: commands to devices, their statuses, and the records that carry them.

The registry owns a downlink (PostgreSQL) and publishes every change of it as a
`ChangeEvent[DownlinkSnapshot]` on `senflow.downlinks.v1` (through its outbox, so no status
change is lost). Workers never write the database: they report what happened on
`senflow.downlinks.reports.v1`, and the registry applies a report only when the status
machine below allows it, so a repeated or late report changes nothing.

    queued    → executing | sent | failed | expired | cancelled
    executing → sent | failed | expired
    sent      → acknowledged | failed            (the LoRa network server's results only)

- queued: accepted by the API, not encoded yet.
- executing: encoded (the router's report, accepted only while the downlink is queued),
  and handed to the network's path from this very status: the router then publishes a
  LoRa downlink for the network server; an Internet/M2M one waits for the device's next
  uplink; the MQTT bridge publishes an MQTT one. So a downlink cancelled before it was
  executing never reaches a network.
- sent: the network says it went out (the LoRa network server's `sent`; the ingest answered
  the device's uplink with it; the MQTT broker acknowledged the publish). Final for anything
  but a confirmed LoRa downlink.
- acknowledged: the device confirmed it (LoRa confirmed downlinks).
- failed: the encoder refused it, the network could not deliver it, or its device's
  identity changed or went, or the device was deactivated, before it was sent (`reason`
  says which).
- expired: not sent within its time to live.
- cancelled: withdrawn through the API while still queued.
"""

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from senflow.common.contract import Contract
from senflow.common.events import NetworkType
from senflow.common.senml import SenmlRecord

LORA: NetworkType = "KPNLORA"  # the network whose downlinks go through a network server
MAX_DOWNLINK_TTL_S = 7 * 24 * 3600  # the longest a downlink may wait to be sent
MAX_REASON = 1000  # characters of a failure reason, in reports and snapshots
# A command travels in every change event of its downlink (the outbox, Kafka, each
# worker's memory): bounded like a destination's answer, 16 KiB as compact JSON. A data
# object's nesting is bounded too: JSON parsers and encoders refuse deep nesting (pydantic
# at about 200 levels, orjson at 255), which would leave the downlink unreadable.
MAX_COMMAND_JSON_BYTES = 16 * 1024
MAX_DATA_DEPTH = 32

DownlinkStatus = Literal[
    "queued", "executing", "sent", "acknowledged", "failed", "expired", "cancelled"
]
FINAL_STATUSES: frozenset[str] = frozenset({"acknowledged", "failed", "expired", "cancelled"})

_NEXT: dict[str, frozenset[str]] = {
    "queued": frozenset({"executing", "failed", "expired", "cancelled"}),
    "executing": frozenset({"sent", "failed", "expired"}),
    "sent": frozenset({"acknowledged", "failed"}),
}


def can_move(current: str, to: str) -> bool:
    """Whether a downlink in `current` may move to `to` (never backwards, never twice)."""
    return to in _NEXT.get(current, frozenset())


LORA_F_PORT = Annotated[int, Field(ge=1, le=223, description="LoRaWAN application port")]
HEX = r"^([0-9A-Fa-f]{2})*$"
MAX_DOWNLINK_BYTES = 4096


class DownlinkCommand(Contract):
    """What to send: exactly one of a SenML command, a JSON object for a DIY encoder, or a
    raw payload (hex; LoRa devices also need `f_port`)."""

    senml: Annotated[
        tuple[SenmlRecord, ...] | None,
        Field(min_length=1, max_length=100, description="A SenML command, e.g. a setpoint"),
    ] = None
    data: Annotated[
        dict[str, Any] | None,
        Field(description="For a DIY TS013 encoder: its `encodeDownlink` input's `data`"),
    ] = None
    payload_hex: Annotated[
        str | None,
        Field(
            pattern=HEX,
            min_length=2,
            max_length=2 * MAX_DOWNLINK_BYTES,
            description="Bytes sent as they are",
        ),
    ] = None
    f_port: LORA_F_PORT | None = None

    @field_validator("data")
    @classmethod
    def _shallow(cls, data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is not None and nesting_depth(data, MAX_DATA_DEPTH) > MAX_DATA_DEPTH:
            raise ValueError(f"nested more than {MAX_DATA_DEPTH} levels deep")
        return data

    @model_validator(mode="after")
    def _exactly_one_form(self) -> "DownlinkCommand":
        given = [name for name in ("senml", "data", "payload_hex") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of senml, data or payload_hex")
        size = len(self.model_dump_json(exclude_none=True))
        if size > MAX_COMMAND_JSON_BYTES:
            raise ValueError(
                f"the command is {size} bytes as JSON; at most {MAX_COMMAND_JSON_BYTES}"
            )
        return self


def nesting_depth(value: Any, stop_above: int) -> int:
    """How deeply `value`'s objects and arrays nest (a scalar: 0, `{}`: 1), counted up to
    `stop_above` + 1 at most. Without recursion, so no depth can exhaust the stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list | tuple):
            continue
        deepest = max(deepest, depth)
        if deepest > stop_above:
            return deepest
        stack.extend((child, depth + 1) for child in item)
    return deepest


DownlinkSource = Literal["api", "destination"]


class DownlinkSnapshot(Contract):
    """A downlink as the registry publishes it (entity type `downlink`, key = its id)."""

    id: str
    customer_id: str
    device_id: str
    network_type: str
    identifier: Annotated[str, Field(description="DevEUI, DvnUUID, IMEI or MQTT client id")]
    flow_id: Annotated[str | None, Field(description="The flow whose encoder is used")] = None
    encoder_id: Annotated[str | None, Field(description="None: the command is sent as is")] = None
    command: DownlinkCommand
    confirmed: Annotated[bool, Field(description="LoRa: ask the device to acknowledge")] = False
    status: DownlinkStatus
    reason: Annotated[str | None, Field(description="Why it failed or expired")] = None
    source: DownlinkSource = "api"
    destination_id: Annotated[
        str | None, Field(description="The destination whose answer created it")
    ] = None
    payload_hex: Annotated[
        str | None, Field(description="The encoded bytes, once encoded", pattern=HEX)
    ] = None
    f_port: LORA_F_PORT | None = None
    created_at: AwareDatetime
    expires_at: AwareDatetime
    status_changed_at: AwareDatetime


class DownlinkReport(Contract):
    """A worker's word on a downlink, on `senflow.downlinks.reports.v1` (key: downlink id).

    `executing` carries the encoded bytes. The registry applies reports in the order it
    reads them and drops those the status machine does not allow; once a downlink is
    `sent`, only the LoRa network server's results move it on.
    """

    downlink_id: str
    status: Literal["executing", "sent", "acknowledged", "failed"]
    reason: Annotated[str | None, Field(max_length=MAX_REASON)] = None
    payload_hex: Annotated[str | None, Field(pattern=HEX)] = None
    f_port: LORA_F_PORT | None = None
    reported_at: AwareDatetime
    reporter: Annotated[str, Field(description="router, ingest, mqtt-bridge, lora-ns")]


class LoraDownlink(Contract):
    """For the LoRaWAN network server, on `senflow.downlinks.lora.v1` (key: DevEUI),
    published by the router once the registry has the downlink `executing`.

    The network server answers with `LoraDownlinkResult`s carrying the same
    `correlation_id`; it should drop a second record with a correlation id it has seen
    (Senflow delivers at least once).
    """

    correlation_id: Annotated[str, Field(description="The downlink's id")]
    dev_eui: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{16}$")]
    f_port: LORA_F_PORT
    payload_hex: Annotated[str, Field(pattern=HEX)]
    confirmed: bool
    expires_at: AwareDatetime


class LoraDownlinkResult(Contract):
    """From the LoRaWAN network server, on `senflow.downlinks.lora.results.v1` (key:
    DevEUI): `sent` when transmitted, then for a confirmed downlink `acknowledged` (the
    device's ack) or `failed` (no ack, or the network refused it; `reason` says why)."""

    correlation_id: str
    result: Literal["sent", "acknowledged", "failed"]
    reason: Annotated[str | None, Field(max_length=MAX_REASON)] = None
    at: AwareDatetime


class DownlinkRequest(Contract):
    """A downlink a destination asked for in its answer to a delivery, on
    `senflow.downlinks.requests.v1` (key: device id), published by the dispatcher once the
    answer's token proved it came from the destination's owner. The registry creates the
    downlink (id = `request_id`, so a redelivered request creates nothing new)."""

    request_id: Annotated[str, Field(description="UUIDv5 of the delivery id: one per answer")]
    customer_id: str
    device_id: str
    destination_id: str
    delivery_id: str
    command: DownlinkCommand
    confirmed: bool = False
    ttl_s: Annotated[int | None, Field(ge=1, le=MAX_DOWNLINK_TTL_S)] = None
    requested_at: AwareDatetime
