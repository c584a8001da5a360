"""Rows of a bulk device import, from CSV, as the devices they describe. Pure.

CSV columns (header row required; unknown columns are an error): `name`,
`specification_id`, `barcode`, `description`, `tags` (`key=value;key=value`), and per
network type: `dev_eui`, `join_eui`, `app_key` (KPNLORA); `imei`, `iccid`, `m2m_secret`
(M2M); `dvn_uuid`, `internet_secret` (INTERNET); `mqtt_client_id`, `mqtt_username`,
`mqtt_password` (MQTT). Empty cells are absent values.
"""

import csv
import io
from dataclasses import dataclass
from typing import Any

from senflow.common.events import NetworkType

NETWORK_COLUMNS: dict[NetworkType, dict[str, str]] = {
    "KPNLORA": {"dev_eui": "dev_eui", "join_eui": "join_eui", "app_key": "app_key"},
    "M2M": {"imei": "imei", "iccid": "iccid", "m2m_secret": "shared_secret"},
    "INTERNET": {"dvn_uuid": "dvn_uuid", "internet_secret": "shared_secret"},
    "MQTT": {
        "mqtt_client_id": "client_id",
        "mqtt_username": "username",
        "mqtt_password": "password",
    },
}
DEVICE_COLUMNS = ("name", "specification_id", "barcode", "description", "tags")
KNOWN_COLUMNS = frozenset(DEVICE_COLUMNS).union(*(c.keys() for c in NETWORK_COLUMNS.values()))


@dataclass(frozen=True)
class RowError:
    field: str
    reason: str


def parse_csv(text: str) -> tuple[list[dict[str, Any] | RowError], RowError | None]:
    """Each data row as a device body (the JSON import's shape), or the row's error;
    a header error (second item) fails the whole file."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if unknown := [c for c in header if c not in KNOWN_COLUMNS]:
        return [], RowError("header", f"unknown columns: {', '.join(unknown)}")
    if "name" not in header or "specification_id" not in header:
        return [], RowError("header", "needs at least the columns name and specification_id")
    return [_row(r) for r in reader], None


def _row(cells: dict[str, str | None]) -> dict[str, Any] | RowError:
    values = {k: v.strip() for k, v in cells.items() if k is not None and v and v.strip()}
    if None in cells:
        return RowError("row", "has more cells than the header has columns")
    for required in ("name", "specification_id"):
        if required not in values:
            return RowError(required, "is required")
    body: dict[str, Any] = {k: values[k] for k in DEVICE_COLUMNS if k in values and k != "tags"}
    if "tags" in values:
        pairs = [p.split("=", 1) for p in values["tags"].split(";") if p]
        if any(len(p) != 2 for p in pairs):
            return RowError("tags", "must be key=value pairs separated by ;")
        body["tags"] = {k.strip(): v.strip() for k, v in pairs}
    network_info = {
        network_type: {
            field: values[column] for column, field in columns.items() if column in values
        }
        for network_type, columns in NETWORK_COLUMNS.items()
    }
    body["network_info"] = {nt: fields for nt, fields in network_info.items() if fields}
    return body
