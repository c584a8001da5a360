"""The router's downlink execution, pure: a queued downlink and its encoder in, the report
to publish (executing with the bytes, or failed with the reason) out; an executing LoRa
downlink in, the network server's record out."""

from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import orjson
import pytest

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.events import CodecSnapshot
from senflow.router.downlink_encoders import EncoderResolver
from senflow.router.downlink_execution import execute, lora_downlink, step_for

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DEV_EUI = "0123456789ABCDEF"
DVN_UUID = "5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b"
CUSTOMER = "c-1"
CAYENNE = {"senml": [{"n": "1/digitalOutput", "vb": True}, {"n": "2/analogOutput", "v": 21.5}]}
CAYENNE_HEX = "010101" + "02030866"  # channel 1 on; channel 2 at 21.50 (2150 = 0x0866)
SETPOINT = {"senml": [{"bn": f"urn:dev:DVNUUID:{DVN_UUID}:", "n": "setpoint", "u": "Cel", "v": 21}]}
THROWS = "function encodeDownlink(input) { throw new Error('valve jammed'); }"
LOOPS = "function encodeDownlink(input) { while (true) {} }"
INTERVAL = "function encodeDownlink(input) { return {bytes: [1, input.data.interval], fPort: 9}; }"


def snapshot(
    command: dict[str, Any],
    encoder_id: str | None = None,
    network_type: str = "KPNLORA",
    identifier: str = DEV_EUI,
    **extra: Any,
) -> DownlinkSnapshot:
    return DownlinkSnapshot.model_validate(
        {
            "id": "dl-1",
            "customer_id": CUSTOMER,
            "device_id": "dev-1",
            "network_type": network_type,
            "identifier": identifier,
            "encoder_id": encoder_id,
            "command": command,
            "status": "queued",
            "created_at": NOW - timedelta(seconds=1),
            "expires_at": NOW + timedelta(minutes=10),
            "status_changed_at": NOW - timedelta(seconds=1),
            **extra,
        }
    )


def diy(script: str, codec_id: str = "diy-1", version: int = 1, **extra: Any) -> CodecSnapshot:
    return CodecSnapshot.model_validate(
        {
            "id": codec_id,
            "customer_id": CUSTOMER,
            "kind": "encoder",
            "name": "mine",
            "contract": "ts013",
            "script": script,
            "version": version,
            **extra,
        }
    )


def resolver(*codecs: CodecSnapshot) -> EncoderResolver:
    known = {c.id: c for c in codecs}
    return EncoderResolver(known.get)


def reason_of(downlink: DownlinkSnapshot, encoders: EncoderResolver | None = None) -> str:
    executed = execute(downlink, encoders or resolver(), NOW)
    assert executed.failed
    assert executed.report.payload_hex is None and executed.report.f_port is None
    assert executed.report.reason is not None
    return executed.report.reason


def executing(downlink: DownlinkSnapshot, encoders: EncoderResolver | None = None) -> Any:
    """The downlink as the registry publishes it once it applied the router's report."""
    report = execute(downlink, encoders or resolver(), NOW).report
    assert report.status == "executing", report.reason
    return downlink.model_copy(
        update={"status": "executing", "payload_hex": report.payload_hex, "f_port": report.f_port}
    )


def test_a_lora_downlink_is_reported_executing_with_its_bytes_and_port_and_nothing_more() -> None:
    downlink = snapshot(CAYENNE, "cayenne-lpp-encoder", confirmed=True)
    executed = execute(downlink, resolver(), NOW)
    report = executed.report
    assert (report.downlink_id, report.status, report.reporter) == ("dl-1", "executing", "router")
    assert (report.payload_hex, report.f_port, report.reason) == (CAYENNE_HEX, 1, None)
    assert report.reported_at == NOW


def test_an_executing_lora_downlink_becomes_the_network_servers_record() -> None:
    downlink = snapshot(CAYENNE, "cayenne-lpp-encoder", confirmed=True)
    lora = lora_downlink(executing(downlink))
    assert lora is not None
    assert lora.model_dump() == {
        "correlation_id": "dl-1",
        "dev_eui": DEV_EUI,
        "f_port": 1,  # the Cayenne encoder's default
        "payload_hex": CAYENNE_HEX,
        "confirmed": True,
        "expires_at": downlink.expires_at,
    }


def test_an_executing_lora_downlink_without_bytes_makes_no_record() -> None:
    assert lora_downlink(snapshot(CAYENNE, status="executing")) is None
    no_port = snapshot(CAYENNE, status="executing", payload_hex="01")
    assert lora_downlink(no_port) is None


def test_a_lora_downlink_goes_on_the_port_the_command_asks_for() -> None:
    downlink = snapshot({**CAYENNE, "f_port": 12}, "cayenne-lpp-encoder")
    assert execute(downlink, resolver(), NOW).report.f_port == 12
    lora = lora_downlink(executing(downlink))
    assert lora is not None and lora.f_port == 12


def test_a_raw_lora_payload_without_an_encoder_is_sent_as_it_is() -> None:
    lora = lora_downlink(executing(snapshot({"payload_hex": "0a0B", "f_port": 10})))
    assert lora is not None
    assert (lora.payload_hex, lora.f_port) == ("0A0B", 10)
    assert lora.confirmed is False


def test_a_raw_lora_payload_without_a_port_fails_naming_it() -> None:
    reason = reason_of(snapshot({"payload_hex": "01"}))
    assert (
        reason == "invalid-command: as-is: f_port: a LoRa downlink needs a port (1–223), none given"
    )


def test_a_senml_command_to_a_lora_device_without_an_encoder_fails() -> None:
    reason = reason_of(snapshot(CAYENNE))
    assert reason.startswith("unsupported-command: as-is: the downlink has no encoder")
    assert "takes a raw payload, not a SenML command" in reason


@pytest.mark.parametrize("network_type", ["INTERNET", "M2M", "MQTT"])
def test_a_senml_command_without_an_encoder_stays_senml_for_other_networks(
    network_type: str,
) -> None:
    identifier = DVN_UUID if network_type == "INTERNET" else "device-7"
    downlink = snapshot(SETPOINT, network_type=network_type, identifier=identifier)
    executed = execute(downlink, resolver(), NOW)
    assert not executed.failed
    assert executed.report.f_port is None
    sent = bytes.fromhex(executed.report.payload_hex or "")
    assert orjson.loads(sent) == SETPOINT["senml"]
    assert sent == orjson.dumps(SETPOINT["senml"])  # compact


def test_a_raw_payload_to_an_internet_device_is_its_bytes_without_a_port() -> None:
    downlink = snapshot({"payload_hex": "cafe", "f_port": 3}, network_type="M2M", identifier="1")
    executed = execute(downlink, resolver(), NOW)
    assert (executed.report.status, executed.report.payload_hex) == ("executing", "CAFE")
    assert executed.report.f_port is None
    assert executed.warnings == ("port 3 (f_port) ignored: urn:dev:IMEI:1: is not on LoRa",)


def test_a_data_object_without_an_encoder_fails() -> None:
    downlink = snapshot({"data": {"interval": 60}}, network_type="MQTT", identifier="c1")
    assert reason_of(downlink).startswith("unsupported-command: as-is:")


def test_an_mqtt_device_gets_thingsml_bytes_from_its_encoder() -> None:
    downlink = snapshot(
        {"senml": [{"n": "setpoint", "v": 21}]}, "thingsml-encoder", "MQTT", "client-1"
    )
    executed = execute(downlink, resolver(), NOW)
    assert executed.report.status == "executing" and executed.report.f_port is None
    assert cbor2.loads(bytes.fromhex(executed.report.payload_hex or "")) == [{0: "setpoint", 2: 21}]


def test_the_encoders_refusal_fails_the_downlink_with_its_reason() -> None:
    downlink = snapshot({"senml": [{"n": "3/temperature", "v": 1}]}, "cayenne-lpp-encoder")
    reason = reason_of(downlink)
    assert reason.startswith("unsupported-command: cayenne-lpp-encoder: record 0, field 'n'")


def test_an_unknown_encoder_fails_the_downlink() -> None:
    reason = reason_of(snapshot(CAYENNE, "diy-gone"))
    assert reason == (
        "unknown-encoder: no encoder diy-gone of customer c-1: not built in, and no DIY"
        " encoder of theirs by that id"
    )


@pytest.mark.parametrize(
    "codec",
    [
        diy(INTERVAL, customer_id="someone-else"),
        diy(INTERVAL, kind="decoder"),
    ],
    ids=["another customer's", "a decoder"],
)
def test_a_codec_that_is_not_the_customers_encoder_is_never_run(codec: CodecSnapshot) -> None:
    reason = reason_of(snapshot({"data": {"interval": 5}}, "diy-1"), resolver(codec))
    assert reason.startswith("unknown-encoder: no encoder diy-1 of customer c-1")


def test_a_diy_encoder_encodes_with_its_own_port() -> None:
    downlink = snapshot({"data": {"interval": 5}}, "diy-1")
    report = execute(downlink, resolver(diy(INTERVAL)), NOW).report
    assert (report.payload_hex, report.f_port) == ("0105", 9)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (THROWS, "script-error: diy-1: Error: valve jammed"),
        (LOOPS, "script-timeout: diy-1: exceeded 50 ms CPU"),
        ("function encodeDownlink(input) {", "script-error: diy-1: SyntaxError"),
    ],
    ids=["throws", "loops", "does not build"],
)
def test_a_failing_diy_encoder_fails_that_downlink_and_the_next_still_runs(
    script: str, expected: str
) -> None:
    encoders = resolver(diy(script, "diy-1"), diy(INTERVAL, "diy-2"))
    assert reason_of(snapshot({"data": {"interval": 5}}, "diy-1"), encoders).startswith(expected)
    assert reason_of(snapshot({"data": {"interval": 5}}, "diy-1"), encoders).startswith(expected)
    executed = execute(snapshot({"data": {"interval": 7}}, "diy-2"), encoders, NOW)
    assert executed.report.payload_hex == "0107"


def test_a_new_version_of_a_diy_encoder_is_used_once_the_view_has_it() -> None:
    codecs = {"diy-1": diy(THROWS)}
    encoders = EncoderResolver(codecs.get)
    downlink = snapshot({"data": {"interval": 5}}, "diy-1")
    assert execute(downlink, encoders, NOW).failed
    codecs["diy-1"] = diy(INTERVAL, version=2)
    assert execute(downlink, encoders, NOW).report.payload_hex == "0105"


def test_a_lora_encoding_without_a_port_fails_the_downlink() -> None:
    def portless(_command: EncodeInput, _ctx: EncodeContext) -> EncodeOutput:
        return EncodeOutput(b"\x01", None)

    def lookup(_encoder_id: str | None, _customer_id: str) -> Encoder:
        return Encoder("portless", 1, "p", portless)

    executed = execute(snapshot(CAYENNE, "portless"), lookup, NOW)
    assert executed.failed
    assert executed.report.reason == (
        "invalid-command: portless chose no LoRa port and the command names none (f_port 1-223)"
    )


def test_a_device_on_an_unknown_network_fails_the_downlink() -> None:
    reason = reason_of(snapshot({"payload_hex": "01"}, network_type="NBIOT"))
    assert reason == "unsupported-network: no downlinks to NBIOT devices"


def test_a_long_reason_is_cut_to_the_reports_bound() -> None:
    script = "function encodeDownlink(input) { throw new Error('x'.repeat(5000)); }"
    reason = reason_of(snapshot({"data": {"x": 1}}, "diy-1"), resolver(diy(script)))
    assert len(reason) <= 1000


@pytest.mark.parametrize("status", ["sent", "acknowledged", "failed", "expired", "cancelled"])
def test_only_a_queued_downlink_is_encoded_and_only_an_executing_lora_one_handed_over(
    status: str,
) -> None:
    assert step_for(snapshot(CAYENNE, status=status), NOW) == "ignore"
    assert step_for(None, NOW) == "ignore"
    assert step_for(snapshot(CAYENNE), NOW) == "encode"
    assert step_for(snapshot(CAYENNE, status="executing"), NOW) == "hand-over"
    mqtt = snapshot(SETPOINT, status="executing", network_type="MQTT", identifier="c1")
    assert step_for(mqtt, NOW) == "ignore"  # the MQTT bridge's


@pytest.mark.parametrize("status", ["queued", "executing"])
def test_a_downlink_past_its_time_to_live_is_left_to_the_registry(status: str) -> None:
    assert step_for(snapshot(CAYENNE, status=status, expires_at=NOW), NOW) == "expired"
    late = NOW - timedelta(seconds=1)
    assert step_for(snapshot(CAYENNE, status=status, expires_at=late), NOW) == "expired"
