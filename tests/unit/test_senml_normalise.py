"""SenML resolution (RFC 8428 §4.6) into the canonical form: packs in, exact SenML out."""

import pytest

from senflow.codecs.senml_normalise import normalise

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
NOW = 1585650750.5
OW = "urn:dev:ow:10e2073a01080063"

# RFC 8428 §5.1.3, as sent and as the platform emits it.
RFC_5_1_3 = [
    {"bn": OW, "bt": 1.320067464e09, "bu": "%RH", "v": 20},
    {"u": "lon", "v": 24.30621},
    {"u": "lat", "v": 60.07965},
    {"t": 60, "v": 20.3},
    {"u": "lon", "t": 60, "v": 24.30622},
    {"u": "lat", "t": 60, "v": 60.07965},
    {"t": 120, "v": 20.7},
    {"u": "lon", "t": 120, "v": 24.30623},
    {"u": "lat", "t": 120, "v": 60.07966},
    {"u": "%EL", "t": 150, "v": 98},
    {"t": 180, "v": 21.2},
    {"u": "lon", "t": 180, "v": 24.30628},
    {"u": "lat", "t": 180, "v": 60.07967},
]
RFC_5_1_3_CANONICAL = [
    {"bn": OW, "bt": 1320067464.0, "u": "%RH", "v": 20},
    {"u": "lon", "v": 24.30621},
    {"u": "lat", "v": 60.07965},
    {"u": "%RH", "t": 60, "v": 20.3},
    {"u": "lon", "t": 60, "v": 24.30622},
    {"u": "lat", "t": 60, "v": 60.07965},
    {"u": "%RH", "t": 120, "v": 20.7},
    {"u": "lon", "t": 120, "v": 24.30623},
    {"u": "lat", "t": 120, "v": 60.07966},
    {"u": "%EL", "t": 150, "v": 98},
    {"u": "%RH", "t": 180, "v": 21.2},
    {"u": "lon", "t": 180, "v": 24.30628},
    {"u": "lat", "t": 180, "v": 60.07967},
]
DOMAIN_EXAMPLE = [
    {"bn": URN, "bt": 1585650750.5, "n": "temperature", "u": "Cel", "v": 20.5},
    {"n": "batteryVoltage", "u": "V", "v": 3.6, "t": 10},
    {"n": "active", "vb": True},
]

VALID = {
    "rfc-5.1.1-single-datapoint-gets-device-bn-and-receive-time": (
        [{"n": OW, "u": "Cel", "v": 23.1}],
        [{"bn": URN, "bt": NOW, "n": OW, "u": "Cel", "v": 23.1}],
    ),
    "rfc-5.1.2-multiple-datapoints-now": (
        [
            {"bn": OW + ":", "n": "voltage", "u": "V", "v": 120.1},
            {"n": "current", "u": "A", "v": 1.2},
        ],
        [
            {"bn": OW + ":", "bt": NOW, "n": "voltage", "u": "V", "v": 120.1},
            {"n": "current", "u": "A", "v": 1.2},
        ],
    ),
    "rfc-5.1.2-multiple-datapoints-bt-bu-bver": (
        [
            {"bn": "urn:dev:ow:10e2073a0108006:", "bt": 1.276020076001e09, "bu": "A", "bver": 5}
            | {"n": "voltage", "u": "V", "v": 120.1},
            {"n": "current", "t": -5, "v": 1.2},
            {"n": "current", "t": -4, "v": 1.3},
            {"n": "current", "t": -3, "v": 1.4},
            {"n": "current", "t": -2, "v": 1.5},
            {"n": "current", "t": -1, "v": 1.6},
            {"n": "current", "v": 1.7},
        ],
        [
            {"bn": "urn:dev:ow:10e2073a0108006:", "bt": 1276020076.001}
            | {"n": "voltage", "u": "V", "v": 120.1},
            {"n": "current", "u": "A", "t": -5, "v": 1.2},
            {"n": "current", "u": "A", "t": -4, "v": 1.3},
            {"n": "current", "u": "A", "t": -3, "v": 1.4},
            {"n": "current", "u": "A", "t": -2, "v": 1.5},
            {"n": "current", "u": "A", "t": -1, "v": 1.6},
            {"n": "current", "u": "A", "v": 1.7},
        ],
    ),
    "rfc-5.1.3-multiple-measurements-relative-times": (RFC_5_1_3, RFC_5_1_3_CANONICAL),
    "rfc-5.1.5-data-types": (
        [
            {"bn": OW + ":", "n": "temp", "u": "Cel", "v": 23.1},
            {"n": "label", "vs": "Machine Room"},
            {"n": "open", "vb": False},
            {"n": "nfv-reader", "vd": "aGkgCg"},
        ],
        [
            {"bn": OW + ":", "bt": NOW, "n": "temp", "u": "Cel", "v": 23.1},
            {"n": "label", "vs": "Machine Room"},
            {"n": "open", "vb": False},
            {"n": "nfv-reader", "vd": "aGkgCg"},
        ],
    ),
    "rfc-5.1.6-base-name-changes-mid-pack": (
        [
            {"bn": "2001:db8::2/", "bt": 1.320078429e09, "n": "temperature", "u": "Cel", "v": 25.2},
            {"n": "humidity", "u": "%RH", "v": 30},
            {"bn": "2001:db8::1/", "n": "temperature", "u": "Cel", "v": 12.3},
            {"n": "humidity", "u": "%RH", "v": 67},
        ],
        [
            {"bn": "2001:db8::2/", "bt": 1320078429.0, "n": "temperature", "u": "Cel", "v": 25.2},
            {"n": "humidity", "u": "%RH", "v": 30},
            {"bn": "2001:db8::1/", "n": "temperature", "u": "Cel", "v": 12.3},
            {"n": "humidity", "u": "%RH", "v": 67},
        ],
    ),
    "rfc-5.1.7-record-of-base-fields-only-is-folded": (
        [
            {"bn": OW + ":"},
            {"n": "temp", "u": "Cel", "v": 23.1},
            {"n": "heat", "u": "/", "v": 1},
        ],
        [
            {"bn": OW + ":", "bt": NOW, "n": "temp", "u": "Cel", "v": 23.1},
            {"n": "heat", "u": "/", "v": 1},
        ],
    ),
    "domain-4-example-is-already-canonical": (DOMAIN_EXAMPLE, DOMAIN_EXAMPLE),
    "times-relative-to-now-without-bt": (
        [{"n": "a", "v": 1, "t": -10}, {"n": "b", "v": 2}, {"n": "c", "v": 3, "t": -10}],
        [
            {"bn": URN, "bt": NOW - 10, "n": "a", "v": 1},
            {"n": "b", "v": 2, "t": 10},
            {"n": "c", "v": 3},
        ],
    ),
    "relative-bt-plus-t-is-relative-to-now": (
        [{"bt": -60, "n": "a", "v": 1}, {"n": "b", "v": 2, "t": 30}],
        [{"bn": URN, "bt": NOW - 60, "n": "a", "v": 1}, {"n": "b", "v": 2, "t": 30}],
    ),
    "base-value-and-base-sum-are-added": (
        [
            {"bv": 100, "bs": 10, "n": "a", "v": 1.5, "s": 2},
            {"n": "b", "v": -1},
            {"n": "c", "s": 1},
            {"n": "d", "vs": "bv applies to v only"},
        ],
        [
            {"bn": URN, "bt": NOW, "n": "a", "v": 101.5, "s": 12},
            {"n": "b", "v": 99, "s": 10},
            {"n": "c", "s": 11},
            {"n": "d", "vs": "bv applies to v only", "s": 10},
        ],
    ),
    "device-bn-later-in-pack-gets-its-own-bn": (
        [
            {"n": "a", "v": 1},
            {"bn": "other:", "n": "b", "v": 2},
            {"n": "c", "v": 3},
            {"bn": URN, "n": "d", "v": 4},
        ],
        [
            {"bn": URN, "bt": NOW, "n": "a", "v": 1},
            {"bn": "other:", "n": "b", "v": 2},
            {"n": "c", "v": 3},
            {"bn": URN, "n": "d", "v": 4},
        ],
    ),
    "unknown-fields-are-ignored-and-ut-kept": (
        [{"n": "a", "v": 1, "ut": 300, "ct": "60", "x-vendor": {"deep": 1}}],
        [{"bn": URN, "bt": NOW, "n": "a", "v": 1, "ut": 300}],
    ),
}


@pytest.mark.parametrize(("records", "expected"), VALID.values(), ids=VALID.keys())
def test_normalise_emits_canonical_pack_when_pack_is_valid(
    records: list[dict[str, object]], expected: list[dict[str, object]]
) -> None:
    resolved = normalise(records, default_base_name=URN, received_at=NOW)
    assert [r.model_dump(exclude_none=True) for r in resolved] == expected


INVALID = {
    "two-values": ([{"n": "a", "v": 1, "vs": "x"}], r"record 0, field 'vs': more than one"),
    "no-value": ([{"n": "a", "v": 1}, {"n": "b", "u": "V"}], r"record 1, field 'v': no value"),
    "name-starts-with-dash": ([{"bn": "", "n": "-a", "v": 1}], r"record 0, field 'n'"),
    "name-with-space": ([{"n": "temp erature", "v": 1}], r"record 0, field 'n'"),
    "empty-name": ([{"bn": "", "v": 1}], r"record 0, field 'n'"),
    "v-is-string": ([{"n": "a", "v": "1"}], r"record 0, field 'v': wrong type"),
    "v-is-bool": ([{"n": "a", "v": True}], r"record 0, field 'v': wrong type"),
    "v-is-nan": ([{"n": "a", "v": float("nan")}], r"record 0, field 'v': wrong type"),
    "vb-is-number": ([{"n": "a", "vb": 1}], r"record 0, field 'vb': wrong type"),
    "vs-is-number": ([{"n": "a", "vs": 3}], r"record 0, field 'vs': wrong type"),
    "n-is-number": ([{"n": 5, "v": 1}], r"record 0, field 'n': wrong type"),
    "bt-is-string": ([{"bt": "now", "n": "a", "v": 1}], r"record 0, field 'bt': wrong type"),
    "t-is-null": ([{"n": "a", "v": 1, "t": None}], r"record 0, field 't': wrong type"),
    "vd-with-padding": ([{"n": "a", "vd": "aGk="}], r"record 0, field 'vd': wrong type"),
    "vd-impossible-length": ([{"n": "a", "vd": "aGkgC"}], r"record 0, field 'vd': wrong type"),
    "vd-standard-alphabet": ([{"n": "a", "vd": "a+/b"}], r"record 0, field 'vd': wrong type"),
    "bver-too-new": ([{"bver": 11, "n": "a", "v": 1}], r"record 0, field 'bver'"),
    "bver-not-integer": ([{"bver": 10.0, "n": "a", "v": 1}], r"record 0, field 'bver'"),
    "must-understand-field": ([{"n": "a", "v": 1, "x_": 1}], r"record 0, field 'x_'"),
    "label-not-string": ([{0: "a", "v": 1}], r"record 0, field 0"),
    "record-not-object": ([{"n": "a", "v": 1}, ["n", "b"]], r"record 1: not an object"),
    "pack-not-array": ({"n": "a", "v": 1}, r"array of records"),
    "empty-pack": ([], r"no measurement"),
    "only-base-fields": ([{"bn": "x:", "bt": 1.6e9}], r"no measurement"),
}


@pytest.mark.parametrize(("records", "reason"), INVALID.values(), ids=INVALID.keys())
def test_normalise_raises_value_error_when_pack_is_invalid(records: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalise(records, default_base_name=URN, received_at=NOW)  # type: ignore[arg-type]
