"""From one raw uplink to its deliveries: resolve device, flows, decoders. Pure."""

from datetime import UTC

from senflow.common.deliveries import DecoderRef, Delivery
from senflow.common.senml import SenmlRecord, device_urn
from senflow.common.uplinks import LoraUplink
from senflow.router.decoders.base import DecodeContext, Decoder
from senflow.router.decoders.catalogue import BUILT_IN
from senflow.router.errors import DecodeFailed, DeviceDeactivated, NoFlow, UnknownDevice
from senflow.router.view import RegistryView


def route_lora(uplink: LoraUplink, message_id: str, view: RegistryView) -> list[Delivery]:
    """Every delivery this uplink makes: one per destination of each of the device's flows,
    per decoder of that flow. Raises an `UplinkRejected` saying why there is none."""
    dev_eui = uplink.dev_eui.upper()
    device = view.device_by_network("KPNLORA", dev_eui)
    if device is None:
        raise UnknownDevice(f"no device has DevEUI {dev_eui}")
    if device.status != "active":
        raise DeviceDeactivated(f"device {device.id} is deactivated")
    flows = view.flows_of(device.id)
    if not flows:
        raise NoFlow(f"device {device.id} is in no enabled flow")
    ctx = DecodeContext(device_urn=device_urn("DEVEUI", dev_eui))
    decoded: dict[str, tuple[SenmlRecord, ...]] = {}
    deliveries: list[Delivery] = []
    for flow in flows:
        for decoder_id in flow.decoder_ids:
            decoder = BUILT_IN.get(decoder_id)
            if decoder is None:
                raise DecodeFailed(f"flow {flow.id} names unknown decoder {decoder_id}")
            if decoder_id not in decoded:
                decoded[decoder_id] = _decode(decoder, uplink, ctx)
            deliveries.extend(
                Delivery(
                    message_id=message_id,
                    customer_id=device.customer_id,
                    device_id=device.id,
                    flow_id=flow.id,
                    destination_id=destination_id,
                    decoder=DecoderRef(id=decoder.id, version=decoder.version),
                    senml=decoded[decoder_id],
                    received_at=uplink.received_at.astimezone(UTC),
                )
                for destination_id in flow.destination_ids
            )
    return deliveries


def _decode(decoder: Decoder, uplink: LoraUplink, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    try:
        return decoder.decode(uplink, ctx)
    except Exception as err:  # noqa: BLE001 - a decoder's failure fails this uplink only
        raise DecodeFailed(f"{decoder.id} v{decoder.version}: {type(err).__name__}: {err}") from err
