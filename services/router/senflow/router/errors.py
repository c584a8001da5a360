"""Why the router refuses an uplink. Each becomes a dead letter with `reason` in a header."""

from senflow.common.errors import SenflowError


class UplinkRejected(SenflowError):
    """The uplink cannot be routed; it goes to the dead-letter topic with this reason."""

    reason = "rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidUplink(UplinkRejected):
    """The record does not match the uplink contract."""

    reason = "invalid-uplink"


class UnknownDevice(UplinkRejected):
    """No registered device has this network identifier."""

    reason = "unknown-device"


class DeviceDeactivated(UplinkRejected):
    """The device is registered but deactivated."""

    reason = "device-deactivated"


class NoFlow(UplinkRejected):
    """The device is in no enabled flow, so the uplink has nowhere to go."""

    reason = "no-flow"


class DecodeFailed(UplinkRejected):
    """A decoder could not turn the payload into SenML."""

    reason = "decode-failed"
