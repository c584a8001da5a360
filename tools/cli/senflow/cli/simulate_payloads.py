"""What the simulated devices send: readings their type's decoder accepts. Pure.

Values follow the sequence number, so a receiver can tell the uplinks apart and a run is
reproducible: temperature 20.0-24.9 Cel, humidity 40-59 %RH.
- LoRa: a raw uplink (`LoraUplink`, the network server's contract) whose payload is
  Cayenne LPP (channel 1 temperature, channel 2 humidity), which the `cayenne-lpp`
  decoder reads and `lora-raw` passes on as hex; `f_cnt_up` = the sequence number.
- Internet, M2M, MQTT: a SenML pack named by the device's own URN (`bn`), with the time
  (`bt`), the two readings and the sequence number (`seq`), for the `senml` decoder.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from senflow.common.serde import dumps
from senflow.common.uplinks import LoraRadio, LoraUplink

LORA_F_PORT = 1
CAYENNE_TEMPERATURE = 0x67  # int16, 0.1 Cel
CAYENNE_HUMIDITY = 0x68  # uint8, 0.5 %RH


@dataclass(frozen=True)
class Reading:
    temperature_cel: float
    humidity_rh: float


def reading(seq: int) -> Reading:
    return Reading(20.0 + (seq % 50) / 10, 40.0 + seq % 20)


def cayenne_lpp(r: Reading) -> bytes:
    temperature = round(r.temperature_cel * 10).to_bytes(2, "big", signed=True)
    humidity = round(r.humidity_rh * 2).to_bytes(1, "big")
    return bytes([1, CAYENNE_TEMPERATURE]) + temperature + bytes([2, CAYENNE_HUMIDITY]) + humidity


def lora_uplink(dev_eui: str, seq: int, received_at: datetime) -> bytes:
    """The JSON value of a raw LoRa uplink record (validated by the contract)."""
    uplink = LoraUplink(
        dev_eui=dev_eui,
        f_port=LORA_F_PORT,
        f_cnt_up=seq,
        payload_hex=cayenne_lpp(reading(seq)).hex().upper(),
        received_at=received_at,
        radio=LoraRadio(rssi=-97, snr=7.5, spreading_factor=7),
    )
    return dumps(uplink)


def senml_pack(urn: str, seq: int, at: datetime) -> bytes:
    """Compact SenML JSON; every record lies under the device's own URN."""
    r = reading(seq)
    records = [
        {
            "bn": urn,
            "bt": round(at.timestamp(), 3),
            "n": "temperature",
            "u": "Cel",
            "v": r.temperature_cel,
        },
        {"n": "humidity", "u": "%RH", "v": r.humidity_rh},
        {"n": "seq", "v": seq},
    ]
    return json.dumps(records, separators=(",", ":")).encode()
