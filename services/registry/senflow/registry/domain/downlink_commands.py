"""Whether a command can reach a device the way its route sends it, checked before any
encoder runs.

Pure. Everything that can be known up front is refused with `InvalidField` naming the
field at fault; what only the encoder can tell (a SenML name it does not know, a value
out of range) fails the downlink later, with its reason.
"""

import math
from collections.abc import Mapping
from typing import Any

from senflow.codecs.encode_base import CommandKind
from senflow.codecs.encoder_catalogue import BUILT_IN_ENCODERS
from senflow.codecs.lora_downlink import LORA_MAX_PAYLOAD_BYTES
from senflow.codecs.script_encoder import SCRIPT_ACCEPTS
from senflow.common.downlinks import LORA, DownlinkCommand
from senflow.registry.domain.downlink_plan import Route
from senflow.registry.errors import InvalidField

# A command's form (its field in `DownlinkCommand`) for each kind an encoder accepts.
_FORM_OF_KIND: Mapping[CommandKind, str] = {
    "senml": "senml",
    "data": "data",
    "payload": "payload_hex",
}


def _forms(kinds: frozenset[CommandKind]) -> frozenset[str]:
    return frozenset(_FORM_OF_KIND[k] for k in kinds)


# The command forms each built-in encoder takes, as the encoder itself declares them.
BUILT_IN_ENCODER_FORMS: Mapping[str, frozenset[str]] = {
    e.id: _forms(e.accepts) for e in BUILT_IN_ENCODERS.values()
}
DIY_ENCODER_FORMS = _forms(SCRIPT_ACCEPTS)
_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1  # what the event's JSON encoder takes
_FORM_NAMES = {"senml": "a SenML command", "data": "a data object", "payload_hex": "a raw payload"}


def check_command(command: DownlinkCommand, to: Route, confirmed: bool) -> None:
    """Refuse a command that cannot reach the device the way `to` sends it."""
    if confirmed and to.network_type != LORA:
        raise InvalidField("confirmed", f"only a LoRa downlink is confirmed, not {to.network_type}")
    if why := _unstorable(command.model_dump(exclude_none=True)):
        raise InvalidField("command", why)
    form = command_form(command)
    takes = encoder_forms(to.encoder_id)
    if takes is not None and form not in takes:
        wanted = " or ".join(_FORM_NAMES[f] for f in sorted(takes))
        raise InvalidField(
            f"command.{form}",
            f"the flow's encoder {to.encoder_id} takes {wanted}, not {_FORM_NAMES[form]}",
        )
    if form == "payload_hex":
        _check_raw(command, to)
    elif to.encoder_id is None and form == "data":
        raise InvalidField("command.data", "a data object needs an encoder; the flow has none")
    elif to.encoder_id is None and to.network_type == LORA:
        raise InvalidField(
            "command.senml",
            "a LoRa device takes bytes: send payload_hex with f_port, or use a flow with an"
            " encoder",
        )


def command_form(command: DownlinkCommand) -> str:
    """Which of its forms the command is: senml, data or payload_hex."""
    return next(f for f in ("senml", "data", "payload_hex") if getattr(command, f) is not None)


def encoder_forms(encoder_id: str | None) -> frozenset[str] | None:
    """The command forms an encoder takes; None: no encoder, or one not known here."""
    if encoder_id is None:
        return None
    if encoder_id in BUILT_IN_ENCODER_FORMS:
        return BUILT_IN_ENCODER_FORMS[encoder_id]
    return DIY_ENCODER_FORMS if encoder_id.startswith("diy-") else None


def _check_raw(command: DownlinkCommand, to: Route) -> None:
    if to.network_type != LORA:
        return
    if command.f_port is None:
        raise InvalidField(
            "command.f_port", "a raw payload to a LoRa device needs its port (1-223)"
        )
    size = len(command.payload_hex or "") // 2
    if size > LORA_MAX_PAYLOAD_BYTES:
        raise InvalidField(
            "command.payload_hex",
            f"a LoRaWAN downlink carries at most {LORA_MAX_PAYLOAD_BYTES} bytes, not {size}",
        )


def _unstorable(value: Any) -> str | None:
    """Why `value` cannot be stored (PostgreSQL jsonb) and published (JSON); None: it can."""
    if isinstance(value, str):
        return "text must not contain NUL (\\u0000) characters" if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "numbers must be finite"
    if isinstance(value, int) and not _MIN_INT <= value <= _MAX_INT:
        return "integers must fit 64 bits"
    if isinstance(value, dict):
        items = [i for kv in value.items() for i in kv]
        return next((why for i in items if (why := _unstorable(i))), None)
    if isinstance(value, list | tuple):
        return next((why for i in value if (why := _unstorable(i))), None)
    return None
