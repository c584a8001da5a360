"""Planning a downlink before anything runs: the device's identity it goes to, the flow
whose encoder encodes it, the time to live, and the commands refused up front (422
naming the field). Pure: no database."""

import pytest

from senflow.common.downlinks import DownlinkCommand
from senflow.common.events import NetworkInfoSnapshot
from senflow.registry.domain.downlink_commands import check_command
from senflow.registry.domain.downlink_plan import (
    FlowEncoders,
    Route,
    TtlPolicy,
    choose_flow,
    choose_identity,
    route,
)
from senflow.registry.errors import InvalidField

LORA = NetworkInfoSnapshot(network_type="KPNLORA", identifier="0123456789ABCDEF")
INTERNET = NetworkInfoSnapshot(network_type="INTERNET", identifier="6f1f7d0c-2b3a-4c5d")
CAYENNE = FlowEncoders("flow-cayenne", ("cayenne-lpp-encoder", "lora-raw-encoder"), ("dest-1",))
RAW = FlowEncoders("flow-raw", ("lora-raw-encoder",), ("dest-2",))
PLAIN = FlowEncoders("flow-plain", ())
TO_LORA = Route("KPNLORA", "0123456789ABCDEF", None, None)
TO_CAYENNE = Route("KPNLORA", "0123456789ABCDEF", "f", "cayenne-lpp-encoder")
RAW_COMMAND = DownlinkCommand(payload_hex="0164", f_port=10)
SENML_COMMAND = DownlinkCommand.model_validate({"senml": [{"n": "1/digitalOutput", "vb": True}]})
DATA_COMMAND = DownlinkCommand(data={"interval": 60})


def field_of(err: pytest.ExceptionInfo[InvalidField]) -> str:
    return err.value.field


def test_the_only_identity_is_chosen_when_none_is_named() -> None:
    assert choose_identity([LORA], None) == LORA


def test_the_named_identity_is_chosen_when_the_device_has_several() -> None:
    assert choose_identity([INTERNET, LORA], "KPNLORA") == LORA


@pytest.mark.parametrize(
    ("infos", "asked", "field"),
    [
        ((), None, "network_info"),
        ((INTERNET, LORA), None, "network_type"),
        ((LORA,), "MQTT", "network_type"),
    ],
)
def test_an_identity_is_refused_when_none_or_several_fit(
    infos: tuple[NetworkInfoSnapshot, ...], asked: str | None, field: str
) -> None:
    with pytest.raises(InvalidField) as err:
        choose_identity(infos, asked)
    assert field_of(err) == field


def test_no_encoder_is_used_when_the_device_is_in_no_flow() -> None:
    assert choose_flow([], None) == (None, None)


def test_the_first_encoder_of_the_flow_is_used_when_the_flows_agree() -> None:
    other_cayenne = FlowEncoders("flow-2", ("cayenne-lpp-encoder",))
    assert choose_flow([CAYENNE, other_cayenne], None) == ("flow-cayenne", "cayenne-lpp-encoder")


def test_a_flow_without_encoder_means_sent_as_is() -> None:
    assert choose_flow([PLAIN], None) == ("flow-plain", None)


def test_the_flow_is_required_when_the_flows_have_different_encoders() -> None:
    with pytest.raises(InvalidField) as err:
        choose_flow([CAYENNE, RAW], None)
    assert field_of(err) == "flow_id"
    assert "cayenne-lpp-encoder" in err.value.reason and "lora-raw-encoder" in err.value.reason


def test_the_named_flow_decides_when_the_flows_have_different_encoders() -> None:
    assert choose_flow([CAYENNE, RAW, PLAIN], "flow-raw") == ("flow-raw", "lora-raw-encoder")
    assert choose_flow([CAYENNE, RAW, PLAIN], "flow-plain") == ("flow-plain", None)


def test_a_flow_is_refused_when_the_device_is_not_in_it() -> None:
    with pytest.raises(InvalidField) as err:
        choose_flow([CAYENNE], "flow-raw")
    assert field_of(err) == "flow_id"


def test_a_destinations_request_uses_the_flows_that_deliver_to_it() -> None:
    assert choose_flow([CAYENNE, RAW], None, "dest-2") == ("flow-raw", "lora-raw-encoder")
    with pytest.raises(InvalidField):
        choose_flow([CAYENNE, RAW], None, "dest-unknown")  # none does: all count


def test_a_route_names_the_identity_flow_and_encoder() -> None:
    assert route([LORA], [RAW]) == Route("KPNLORA", LORA.identifier, "flow-raw", "lora-raw-encoder")


@pytest.mark.parametrize(
    ("command", "to", "confirmed", "field"),
    [
        (
            DownlinkCommand(payload_hex="01"),
            TO_LORA,
            False,
            "command.f_port",
        ),
        (
            DownlinkCommand(payload_hex="00" * 243, f_port=1),
            TO_LORA,
            False,
            "command.payload_hex",
        ),
        (SENML_COMMAND, TO_LORA, False, "command.senml"),
        (DATA_COMMAND, Route("INTERNET", "x", None, None), False, "command.data"),
        (RAW_COMMAND, Route("INTERNET", "x", None, None), True, "confirmed"),
        (
            RAW_COMMAND,
            TO_CAYENNE,
            False,
            "command.payload_hex",
        ),
        (DATA_COMMAND, Route("KPNLORA", "x", "f", "thingsml-encoder"), False, "command.data"),
        (RAW_COMMAND, Route("KPNLORA", "x", "f", "diy-0a1b2c3d4e5f"), False, "command.payload_hex"),
        (
            DownlinkCommand.model_validate({"senml": [{"n": "a\x00b", "v": 1}]}),
            Route("MQTT", "x", None, None),
            False,
            "command",
        ),
        (
            DownlinkCommand.model_validate({"senml": [{"n": "a", "v": float("inf")}]}),
            Route("MQTT", "x", None, None),
            False,
            "command",
        ),
        (
            DownlinkCommand(data={"big": 2**64}),
            Route("KPNLORA", "x", "f", "diy-0a1b2c3d4e5f"),
            False,
            "command",
        ),
        (
            DownlinkCommand(data={"key\x00": 1}),
            Route("KPNLORA", "x", "f", "diy-0a1b2c3d4e5f"),
            False,
            "command",
        ),
    ],
)
def test_a_command_is_refused_when_it_cannot_reach_the_device_that_way(
    command: DownlinkCommand, to: Route, confirmed: bool, field: str
) -> None:
    with pytest.raises(InvalidField) as err:
        check_command(command, to, confirmed)
    assert field_of(err) == field


@pytest.mark.parametrize(
    ("command", "to", "confirmed"),
    [
        (RAW_COMMAND, TO_LORA, True),
        (RAW_COMMAND, Route("KPNLORA", "x", "f", "lora-raw-encoder"), False),
        (SENML_COMMAND, TO_CAYENNE, True),
        (SENML_COMMAND, Route("INTERNET", "x", None, None), False),
        (SENML_COMMAND, Route("MQTT", "x", None, None), False),
        (DownlinkCommand(payload_hex="01"), Route("M2M", "x", None, None), False),
        (DATA_COMMAND, Route("KPNLORA", "x", "f", "diy-0a1b2c3d4e5f"), False),
        (SENML_COMMAND, Route("KPNLORA", "x", "f", "diy-0a1b2c3d4e5f"), False),
    ],
)
def test_a_command_is_accepted_when_its_route_can_send_it(
    command: DownlinkCommand, to: Route, confirmed: bool
) -> None:
    check_command(command, to, confirmed)


def test_the_default_time_to_live_applies_when_none_is_asked() -> None:
    assert TtlPolicy(3600, 7200).ttl_s(None) == 3600
    assert TtlPolicy(3600, 7200).ttl_s(7200) == 7200


@pytest.mark.parametrize("asked", [0, 7201])
def test_a_time_to_live_is_refused_when_outside_the_bounds(asked: int) -> None:
    with pytest.raises(InvalidField) as err:
        TtlPolicy(3600, 7200).ttl_s(asked)
    assert field_of(err) == "ttl_s"


def test_a_requested_time_to_live_is_defaulted_or_cut_to_the_most_allowed() -> None:
    policy = TtlPolicy(3600, 7200)
    assert [policy.clamped_s(asked) for asked in (None, 60, 7200, 99_999)] == [3600, 60, 7200, 7200]
