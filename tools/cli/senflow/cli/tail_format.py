"""How `senflow tail` prints a decoded message: a readable line, or a JSON object.

The readable line is for eyes: the uplink's receive time (UTC), device, flow, decoder and
the SenML records resolved against their base fields and written compactly,
`temperature=21.5 Cel, humidity=40 %RH`. Names drop the pack's base name (the device URN,
already on the line); a record with a base name of its own keeps it. The line is built as
rich `Text`, never as markup, so a string value that looks like `[red]` prints as itself.

The JSON object (`--json`) is for scripts, one per line, with the records as the
destinations get them.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from senflow.common.deliveries import Delivery
from senflow.common.senml import SenmlRecord


def line(delivery: Delivery, replay_of: str | None = None) -> Text:
    text = Text.assemble(
        (utc_time(delivery.received_at), "dim"),
        "  device ",
        (delivery.device_id, "cyan"),
        "  flow ",
        (delivery.flow_id, "magenta"),
        "  ",
        (f"{delivery.decoder.id}@{delivery.decoder.version}", "dim"),
        "  ",
        (compact_pack(delivery.senml) or "(no values)", "bold"),
    )
    if replay_of:
        text.append(f"  (replay of dead letter {replay_of})", "yellow")
    return text


def json_line(delivery: Delivery, replay_of: str | None = None) -> str:
    """Compact JSON, one line; the same keys on every line (`replay_of` null when not)."""
    record: dict[str, Any] = {
        "received_at": delivery.received_at.isoformat(),
        "message_id": delivery.message_id,
        "customer_id": delivery.customer_id,
        "device_id": delivery.device_id,
        "flow_id": delivery.flow_id,
        "decoder": f"{delivery.decoder.id}@{delivery.decoder.version}",
        "senml": [r.model_dump(mode="json", exclude_none=True) for r in delivery.senml],
        "replay_of": replay_of,
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def utc_time(moment: datetime) -> str:
    """`2026-11-25T10:32:30.500Z`: milliseconds, always UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def compact_pack(pack: Sequence[SenmlRecord]) -> str:
    """The records that carry a value, as `name=value unit`, joined by commas.

    Base fields hold from the record that sets them until another sets them again
    (RFC 8428 §4.6): `bv` adds to `v`, `bu` is the unit of records without `u`, and a
    record whose time (`bt` + `t`) differs from the first one's shows the offset, `@+60s`.
    """
    pack_base = pack[0].bn if pack else None
    base_name, base_unit, base_value, base_time = pack_base, None, None, 0.0
    first_time: float | None = None
    shown = []
    for record in pack:
        base_name = record.bn if record.bn is not None else base_name
        base_unit = record.bu if record.bu is not None else base_unit
        base_value = record.bv if record.bv is not None else base_value
        base_time = record.bt if record.bt is not None else base_time
        value = _value(record, base_value)
        if value is None:
            continue
        time = base_time + (record.t or 0.0)
        first_time = time if first_time is None else first_time
        name = record.n or ""
        if base_name and base_name != pack_base:
            name = base_name + name
        item = f"{name or 'value'}={value}"
        unit = record.u if record.u is not None else base_unit
        if unit:
            item += f" {unit}"
        if time != first_time:
            item += f" @{time - first_time:+g}s"
        shown.append(item)
    return ", ".join(shown)


def _value(record: SenmlRecord, base_value: float | None) -> str | None:
    if record.v is not None:
        return _number(record.v + base_value if base_value is not None else record.v)
    if record.vs is not None:
        return json.dumps(record.vs, ensure_ascii=False)
    if record.vb is not None:
        return "true" if record.vb else "false"
    if record.vd is not None:
        return f"data:{record.vd}"
    if record.s is not None:
        return f"sum:{_number(record.s)}"
    return None


def _number(value: float) -> str:
    # repr keeps every digit a float has (21.5, 0.1, 1795645163.21) without exponent noise
    # for the usual magnitudes; an int stays an int.
    return str(value) if isinstance(value, int) else repr(value)
