"""Reading devices' activity (last seen, uplinks counted), which the activity recorder
writes; it is not entity state: no version, no change event."""

from senflow.registry.adapters import device_activity as store
from senflow.registry.domain.device_activity import NO_ACTIVITY, Activity
from senflow.registry.domain.principal import Principal
from senflow.registry.use_cases.base import UseCases


class DeviceActivities(UseCases):
    async def of(self, p: Principal, device_ids: list[str]) -> dict[str, Activity]:
        """The activity of each of the caller's `device_ids`, in one query; another
        customer's device (or an unknown id) reads as no activity, like a silent device.

        No scope of its own: it goes with a device the caller just read or changed (a
        write-only key is answered with the device it changed, activity included)."""
        cid = p.require_customer()
        if not device_ids:
            return {}
        async with self._read() as conn:
            found = await store.activity_of(conn, device_ids, cid)
        return {i: found.get(i, NO_ACTIVITY) for i in device_ids}
