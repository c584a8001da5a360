"""From one raw uplink to its deliveries: resolve device, flows, decoders. Pure."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.catalogue import BUILT_IN
from senflow.common.deliveries import DecoderRef, Delivery, delivery_id_of
from senflow.common.events import DeviceSnapshot, NetworkType
from senflow.common.senml import SenmlRecord, network_urn
from senflow.common.uplinks import DeviceUplink, LoraUplink
from senflow.router.errors import DecodeFailed, DeviceDeactivated, NoFlow, UnknownDevice
from senflow.router.view import RegistryView


@dataclass(frozen=True)
class FlowFailure:
    """One decoder of one flow could not decode the uplink; the other flows still deliver."""

    flow_id: str
    decoder_id: str
    error: DecodeFailed


@dataclass
class Routed:
    device: DeviceSnapshot
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[FlowFailure] = field(default_factory=list)


def route_lora(
    uplink: LoraUplink,
    message_id: str,
    view: RegistryView,
    decoders: Callable[[str], Decoder | None] = BUILT_IN.get,
) -> Routed:
    """`route` for an uplink from the LoRaWAN network server (device by DevEUI)."""
    return route(
        "KPNLORA", uplink.dev_eui.upper(), DecodeInput.of_lora(uplink), message_id, view, decoders
    )


def route_device(
    uplink: DeviceUplink,
    message_id: str,
    view: RegistryView,
    decoders: Callable[[str], Decoder | None] = BUILT_IN.get,
) -> Routed:
    """`route` for an uplink a device sent itself (Internet, M2M, MQTT)."""
    return route(
        uplink.network_type,
        uplink.identifier,
        DecodeInput.of_device(uplink),
        message_id,
        view,
        decoders,
    )


def route(
    network_type: NetworkType,
    identifier: str,
    uplink: DecodeInput,
    message_id: str,
    view: RegistryView,
    decoders: Callable[[str], Decoder | None] = BUILT_IN.get,
) -> Routed:
    """Every delivery this uplink makes: one per destination of each of the device's flows,
    per decoder of that flow, and each (flow, decoder) that failed. Raises an
    `UplinkRejected` when the uplink has nowhere to go at all."""
    device = view.device_by_network(network_type, identifier)
    if device is None:
        raise UnknownDevice(f"no {network_type} device has identifier {identifier}")
    if device.status != "active":
        raise DeviceDeactivated(f"device {device.id} is deactivated")
    flows = view.flows_of(device.id)
    if not flows:
        raise NoFlow(f"device {device.id} is in no enabled flow")
    ctx = DecodeContext(device_urn=network_urn(network_type, identifier))
    decoded: dict[str, tuple[SenmlRecord, ...] | DecodeFailed] = {}
    routed = Routed(device)
    for flow in flows:
        for decoder_id in flow.decoder_ids:
            if decoder_id not in decoded:
                decoded[decoder_id] = _decode(decoders(decoder_id), decoder_id, uplink, ctx)
            result = decoded[decoder_id]
            if isinstance(result, DecodeFailed):
                routed.failures.append(FlowFailure(flow.id, decoder_id, result))
                continue
            if not result:  # e.g. "+ LoRa geolocation" for an uplink without a location
                continue
            decoder = decoders(decoder_id)
            assert decoder is not None  # it decoded
            ref = DecoderRef(id=decoder_id, version=decoder.version)
            routed.deliveries.extend(
                Delivery(
                    message_id=message_id,
                    delivery_id=delivery_id_of(message_id, flow.id, destination_id, ref),
                    customer_id=device.customer_id,
                    device_id=device.id,
                    flow_id=flow.id,
                    destination_id=destination_id,
                    decoder=ref,
                    senml=result,
                    received_at=uplink.received_at.astimezone(UTC),
                )
                for destination_id in flow.destination_ids
            )
    return routed


def _decode(
    decoder: Decoder | None, decoder_id: str, uplink: DecodeInput, ctx: DecodeContext
) -> tuple[SenmlRecord, ...] | DecodeFailed:
    if decoder is None:
        return DecodeFailed(f"decoder {decoder_id} is not available in this router")
    try:
        return decoder.decode(uplink, ctx)
    except Exception as err:  # noqa: BLE001 - a decoder's failure fails this decoding only
        return DecodeFailed(f"{decoder.id} v{decoder.version}: {type(err).__name__}: {err}")
