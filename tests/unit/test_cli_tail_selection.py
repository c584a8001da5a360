"""Which deliveries `senflow tail` shows: the filter (headers first, then the value), and
each decoded message once whatever number of destinations it went to."""

from senflow.cli.tail_selection import Deduper, MessagePicker, Selection, dedupe_key
from senflow.common import headers as h
from senflow.common.deliveries import DecoderRef, Delivery
from senflow.common.serde import dumps
from tests.support.deliveries import CUSTOMER_ID, a_delivery


def delivered(
    message_id: str = "m-1",
    destination_id: str = "to-a",
    device_id: str = "dev-1",
    flow_id: str = "flow-1",
    decoder: DecoderRef | None = None,
) -> Delivery:
    changes: dict[str, object] = {"device_id": device_id, "flow_id": flow_id}
    if decoder is not None:
        changes["decoder"] = decoder
    return a_delivery(message_id, destination_id).model_copy(update=changes)


def record_headers(d: Delivery) -> dict[str, str]:
    return {
        h.MESSAGE_ID: d.message_id,
        h.CUSTOMER_ID: d.customer_id,
        h.DEVICE_ID: d.device_id,
        h.FLOW_ID: d.flow_id,
        h.DESTINATION_ID: d.destination_id,
    }


def test_selection_matches_when_every_given_set_matches() -> None:
    d = delivered(device_id="dev-1", flow_id="flow-1")
    assert Selection.of(devices=["dev-1"]).matches(d)
    assert Selection.of(devices=["dev-2", "dev-1"], flows=["flow-1"]).matches(d)
    assert Selection.of(customers=[CUSTOMER_ID]).matches(d)
    assert not Selection.of(devices=["dev-1"], flows=["flow-2"]).matches(d)
    assert not Selection.of(customers=["someone else"]).matches(d)


def test_selection_is_empty_when_nothing_is_given() -> None:
    assert Selection.of().empty
    assert not Selection.of(flows=["f"]).empty


def test_headers_rule_a_record_out_only_when_present_and_different() -> None:
    selection = Selection.of(devices=["dev-1"])
    assert not selection.may_match({h.DEVICE_ID: "dev-2"})
    assert selection.may_match({h.DEVICE_ID: "dev-1"})
    assert selection.may_match({})  # no router headers: the value decides


def test_one_uplink_to_two_destinations_is_shown_once() -> None:
    picker = MessagePicker(Selection.of(devices=["dev-1"]))
    first, second = delivered(destination_id="to-a"), delivered(destination_id="to-b")
    assert picker.pick(record_headers(first), dumps(first)) == first
    assert picker.pick(record_headers(second), dumps(second)) is None


def test_the_same_uplink_in_two_flows_or_through_two_decoders_is_shown_per_decoding() -> None:
    picker = MessagePicker(Selection.of(devices=["dev-1"]))
    decodings = [
        delivered(flow_id="flow-1"),
        delivered(flow_id="flow-2"),
        delivered(flow_id="flow-1", decoder=DecoderRef(id="cayenne-lpp", version=1)),
    ]
    assert [picker.pick(record_headers(d), dumps(d)) for d in decodings] == decodings


def test_a_replay_or_a_reprocessed_uplink_is_hidden_when_already_shown() -> None:
    picker = MessagePicker(Selection.of(flows=["flow-1"]))
    original = delivered()
    assert picker.pick(record_headers(original), dumps(original)) is not None
    replay_headers = {**record_headers(original), h.REPLAY_OF: "3-17"}
    assert picker.pick(replay_headers, dumps(original)) is None


def test_other_devices_are_skipped_without_parsing_their_value() -> None:
    picker = MessagePicker(Selection.of(devices=["dev-1"]))
    other = delivered(device_id="dev-2")
    assert picker.pick(record_headers(other), b"not even JSON") is None
    assert picker.invalid == 0


def test_a_record_that_is_no_delivery_is_counted_and_skipped() -> None:
    picker = MessagePicker(Selection.of(devices=["dev-1"]))
    assert picker.pick({}, b'{"what": "ever"}') is None
    assert picker.pick({}, None) is None
    assert picker.invalid == 2
    d = delivered()
    assert picker.pick({}, dumps(d)) == d  # and it goes on


def test_deduper_forgets_the_oldest_key_when_its_window_is_full() -> None:
    deduper = Deduper(window=2)
    a, b, c = (dedupe_key(delivered(message_id=m)) for m in ("a", "b", "c"))
    assert deduper.first_time(a) and deduper.first_time(b)
    assert not deduper.first_time(a)  # seen again: now the newest
    assert deduper.first_time(c)  # b drops out
    assert deduper.first_time(b)
    assert not deduper.first_time(c)


def test_dedupe_key_names_message_flow_and_decoder_not_destination() -> None:
    assert dedupe_key(delivered(destination_id="to-a")) == dedupe_key(
        delivered(destination_id="to-b")
    )
    assert dedupe_key(delivered()) == ("m-1", "flow-1", "lora-raw@2")
