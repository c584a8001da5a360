"""A SenML command resolved into named values, and mapped to a TS013 data object."""

import pytest

from senflow.codecs.command_data import command_data
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.senml_command import CommandValue, command_values
from senflow.common.senml import SenmlRecord as R

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"


def test_names_are_relative_to_the_device_whatever_the_base_name() -> None:
    values = command_values(
        [
            R(bn=URN, n="1/digitalOutput", vb=True),
            R(n="interval", u="s", v=600),
            R(bn="urn:dev:deveui:0123456789abcdef:config/", n="mode", vs="eco"),
            R(bn="", bv=10),  # base fields only: sets bases, is no value
            R(n="level", v=2.5),
            R(n="blob", vd="AQI"),
        ],
        URN,
    )
    assert values == (
        CommandValue(0, "1/digitalOutput", None, "vb", True),
        CommandValue(1, "interval", "s", "v", 600),
        CommandValue(2, "config/mode", None, "vs", "eco"),
        CommandValue(4, "level", None, "v", 12.5),
        CommandValue(5, "blob", None, "vd", "AQI"),
    )


@pytest.mark.parametrize(
    ("records", "detail"),
    [
        ([], "the command holds no record"),
        ([R(bn=URN)], "the pack holds no measurement"),
        ([R(n="a", v=1, vs="x")], "record 0, field 'vs': more than one value field"),
        ([R(n="a b", v=1)], rf"record 0, field 'n': '{URN}a b' \(bn \+ n\) is not a SenML name"),
        (
            [R(n="a", s=3)],
            r"record 0, field 'v': a command value needs v, vs, vb or vd"
            r" \(a sum is not a command\)",
        ),
        ([R(bn=URN, vb=True)], "record 0, field 'n': the record names no value"),
        (
            [R(n="a", v=1), R(bn="urn:dev:DEVEUI:FFFFFFFFFFFFFFFF:", n="a", v=1)],
            "record 1, field 'bn': 'urn:dev:DEVEUI:FFFFFFFFFFFFFFFF:a' is a value of another"
            " device than " + URN,
        ),
    ],
)
def test_a_bad_command_is_refused_naming_record_and_field(records: list[R], detail: str) -> None:
    with pytest.raises(EncodeFailed, match=f"^invalid-command: {detail}$"):
        command_values(records, URN)


def test_senml_maps_to_nested_data_by_name() -> None:
    values = command_values(
        [
            R(n="interval", u="s", v=600),
            R(n="config/mode", vs="eco"),
            R(n="config/led/on", vb=False),
            R(n="led/0", v=1),
            R(n="raw", vd="AQI"),
        ],
        URN,
    )
    assert command_data(values) == {
        "interval": 600,
        "config": {"mode": "eco", "led": {"on": False}},
        "led": {"0": 1},
        "raw": "AQI",
    }


@pytest.mark.parametrize(
    ("names", "detail"),
    [
        (["a", "a"], r"record 1, field 'n': 'a' collides with a name given before it"),
        (["a", "a/b"], r"record 1, field 'n': 'a/b' collides"),
        (["a/b", "a"], r"record 1, field 'n': 'a' collides"),
        (["a//b"], r"record 0, field 'n': 'a//b' has an empty part"),
        (["a/"], r"record 0, field 'n': 'a/' has an empty part"),
    ],
)
def test_senml_that_has_no_data_form_is_refused(names: list[str], detail: str) -> None:
    values = command_values([R(n=name, v=1) for name in names], URN)
    with pytest.raises(EncodeFailed, match=f"^invalid-command: {detail}"):
        command_data(values)
