"""Delivery failures. `retriable` decides between another attempt and the dead-letter lane."""

from senflow.common.errors import SenflowError


class DeliveryFailed(SenflowError):
    """One attempt failed; `reason` is a short code, `detail` says what happened."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        retriable: bool,
        status_code: int | None = None,
        excerpt: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retriable = retriable
        self.status_code = status_code
        self.excerpt = excerpt
        self.retry_after_s = retry_after_s
        self.attempts = 1


class EgressRefused(DeliveryFailed):
    """The destination resolves to an address the platform may not call."""

    def __init__(self, detail: str) -> None:
        super().__init__("egress-refused", detail, retriable=False)


class DestinationAutoDisabled(DeliveryFailed):
    """The destination kept failing: the platform parks its deliveries until a probe works."""

    def __init__(self, destination_id: str, probe_interval_s: float) -> None:
        super().__init__(
            "destination-auto-disabled",
            f"destination {destination_id} kept failing and is disabled by the platform;"
            f" it is probed every {probe_interval_s:g}s: replay this delivery once it works",
            retriable=False,
        )
