"""Bulk device import: many devices in one request, with a result per row.

Per-row mode commits every valid row and reports the others; all-or-nothing mode commits
only when every row is valid. Rows run in one transaction, each under a savepoint.
"""

from dataclasses import dataclass, field
from typing import Any

from senflow.registry.domain.device_rows import RowError
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import InvalidField, RegistryError
from senflow.registry.use_cases.base import UseCases
from senflow.registry.use_cases.devices import NewDevice, register_in


@dataclass(frozen=True)
class RowResult:
    row: int
    status: int
    device_id: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


class _Rollback(Exception):
    """Undo an all-or-nothing import that had a failing row."""


class BulkImport(UseCases):
    async def run(
        self, p: Principal, rows: list[dict[str, Any] | RowError], all_or_nothing: bool
    ) -> tuple[list[RowResult], bool]:
        """The result of every row, and whether the import was committed."""
        p.require("write")
        cid = p.require_customer()
        results: list[RowResult] = []
        try:
            async with self._transaction() as conn:
                for number, row in enumerate(rows, start=1):
                    if isinstance(row, RowError):
                        results.append(_failed(number, 422, row.field, row.reason))
                        continue
                    try:
                        async with conn.transaction():  # a savepoint per row
                            created = await register_in(conn, self._key, cid, _device(row))
                        results.append(RowResult(number, 201, created.snapshot.id))  # type: ignore[attr-defined]
                    except InvalidField as err:
                        results.append(_failed(number, err.status, err.field, err.reason))
                    except RegistryError as err:
                        results.append(_failed(number, err.status, "row", str(err)))
                if all_or_nothing and any(r.status != 201 for r in results):
                    raise _Rollback
        except _Rollback:
            return [_rolled_back(r) for r in results], False
        return results, True


def _device(row: dict[str, Any]) -> NewDevice:
    return NewDevice(
        name=row["name"],
        specification_id=row["specification_id"],
        barcode=row.get("barcode"),
        description=row.get("description", ""),
        tags=row.get("tags", {}),
        network_info=row.get("network_info", {}),
    )


def _failed(row: int, status: int, field_name: str, reason: str) -> RowResult:
    return RowResult(row, status, errors=[{"field": field_name, "reason": reason}])


def _rolled_back(result: RowResult) -> RowResult:
    if result.status != 201:
        return result
    return RowResult(result.row, 424, errors=[{"field": "row", "reason": "valid, not imported"}])
