"""What every downlink encoder receives and returns (the mirror of `base` for decoders)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from senflow.codecs.errors import EncodeFailed
from senflow.common.senml import URN_SCHEMES, SenmlRecord, device_urn

CommandKind = Literal["senml", "data", "payload"]

_LORA_URN_PREFIX = device_urn(URN_SCHEMES["KPNLORA"], "")[:-1].casefold()  # "urn:dev:deveui:"
_KIND_NAMES: dict[CommandKind, str] = {
    "senml": "a SenML command",
    "data": "a data object",
    "payload": "a raw payload",
}


@dataclass(frozen=True, slots=True)
class EncodeInput:
    """One downlink command: exactly one of `senml` (SenML records), `data` (a JSON
    object, what a TS013 script receives as `data`) or `payload` (bytes sent as they are),
    and the LoRa port asked for, if any. Building one with none or several of the three
    raises `EncodeFailed` (`invalid-command`).

    The port is checked by the encoder, which knows its default and the device's network.
    """

    senml: tuple[SenmlRecord, ...] | None = None
    data: Mapping[str, object] | None = None
    payload: bytes | None = None
    f_port: int | None = None

    def __post_init__(self) -> None:
        given = [kind for kind in _KIND_NAMES if getattr(self, kind) is not None]
        if len(given) != 1:
            shown = ", ".join(given) if given else "none"
            raise EncodeFailed(
                "invalid-command", f"a command is exactly one of senml, data or payload ({shown})"
            )
        if self.f_port is not None and type(self.f_port) is not int:
            raise EncodeFailed("invalid-command", f"f_port: {self.f_port!r} is not an integer")

    @classmethod
    def of_senml(cls, records: Sequence[SenmlRecord], f_port: int | None = None) -> "EncodeInput":
        return cls(senml=tuple(records), f_port=f_port)

    @classmethod
    def of_data(cls, data: Mapping[str, object], f_port: int | None = None) -> "EncodeInput":
        return cls(data=data, f_port=f_port)

    @classmethod
    def of_payload(cls, payload: bytes, f_port: int | None = None) -> "EncodeInput":
        return cls(payload=payload, f_port=f_port)

    @property
    def kind(self) -> CommandKind:
        return next(kind for kind in _KIND_NAMES if getattr(self, kind) is not None)

    def described(self) -> str:
        """What kind of command this is, for an error detail: "a SenML command", …"""
        return _KIND_NAMES[self.kind]


@dataclass(frozen=True)
class EncodeContext:
    """The device a command goes to, as an encoder sees it."""

    device_urn: str

    @property
    def is_lora(self) -> bool:
        """Whether the device is a LoRaWAN one (its URN is a DevEUI one), so that its
        downlink needs an FPort and fits a LoRaWAN frame."""
        return self.device_urn.casefold().startswith(_LORA_URN_PREFIX)


@dataclass(frozen=True)
class EncodeOutput:
    """The bytes to send, the LoRa FPort to send them on (None for other networks), and
    what the encoder left out or changed on the way."""

    payload: bytes
    f_port: int | None
    warnings: tuple[str, ...] = ()


EncodeFn = Callable[[EncodeInput, EncodeContext], EncodeOutput]
ANY_COMMAND: frozenset[CommandKind] = frozenset(_KIND_NAMES)


@dataclass(frozen=True)
class Encoder:
    """`accepts`: the kinds of command it takes, so that another kind can be refused
    before it is queued (the registry's 422) rather than fail the downlink later; by
    default any (it decides when it encodes)."""

    id: str
    version: int
    name: str
    encode: EncodeFn
    accepts: frozenset[CommandKind] = ANY_COMMAND
