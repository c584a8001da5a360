"""Where a new downlink goes: which identity of the device, which flow's encoder (if
any) encodes it, and for how long it may wait. Pure; a choice that cannot be made is an
`InvalidField` naming the field at fault. The command itself: `downlink_commands`."""

from collections.abc import Sequence
from dataclasses import dataclass

from senflow.common.downlinks import MAX_DOWNLINK_TTL_S
from senflow.common.events import NetworkInfoSnapshot
from senflow.registry.errors import InvalidField


@dataclass(frozen=True)
class TtlPolicy:
    """Time to live of a downlink, in seconds: the default, and the most one may ask."""

    default_s: int = 24 * 3600
    max_s: int = MAX_DOWNLINK_TTL_S

    def ttl_s(self, asked: int | None) -> int:
        if asked is None:
            return self.default_s
        if not 1 <= asked <= self.max_s:
            raise InvalidField("ttl_s", f"must be 1 to {self.max_s} seconds, not {asked}")
        return asked

    def clamped_s(self, asked: int | None) -> int:
        """As `ttl_s`, but a time to live above the most allowed is cut to it (for requests
        that cannot be answered with an error: a destination's answer)."""
        return min(asked or self.default_s, self.max_s)


@dataclass(frozen=True)
class FlowEncoders:
    """A flow the device is in: its encoders (the first is used) and destinations."""

    id: str
    encoder_ids: tuple[str, ...]
    destination_ids: tuple[str, ...] = ()

    @property
    def encoder_id(self) -> str | None:
        return self.encoder_ids[0] if self.encoder_ids else None


@dataclass(frozen=True)
class Route:
    """Where a downlink goes and how it is encoded (`encoder_id` None: sent as is)."""

    network_type: str
    identifier: str
    flow_id: str | None
    encoder_id: str | None


def choose_identity(
    network_info: Sequence[NetworkInfoSnapshot], network_type: str | None
) -> NetworkInfoSnapshot:
    """The device's identity the downlink goes to: the one asked for, or its only one."""
    if network_type is not None:
        for info in network_info:
            if info.network_type == network_type:
                return info
        raise InvalidField("network_type", f"the device has no {network_type} network info")
    if not network_info:
        raise InvalidField(
            "network_info",
            "the device has no network info: set its identity (network-info) before"
            " sending it downlinks",
        )
    if len(network_info) > 1:
        types = ", ".join(i.network_type for i in network_info)
        raise InvalidField("network_type", f"the device is on several networks ({types}): name one")
    return network_info[0]


def choose_flow(
    flows: Sequence[FlowEncoders], flow_id: str | None, destination_id: str | None = None
) -> tuple[str | None, str | None]:
    """The flow whose first encoder encodes the downlink, and that encoder: the flow
    asked for, else the device's flows if they agree on the encoder (the oldest flow is
    recorded). A destination's request prefers the flows that deliver to it. No flow:
    no encoder, the command is sent as is."""
    if flow_id is not None:
        for flow in flows:
            if flow.id == flow_id:
                return flow.id, flow.encoder_id
        raise InvalidField("flow_id", f"the device is not in flow {flow_id}")
    if destination_id is not None:
        flows = [f for f in flows if destination_id in f.destination_ids] or list(flows)
    if not flows:
        return None, None
    if len({f.encoder_id for f in flows}) > 1:
        used = ", ".join(f"{f.id}: {f.encoder_id or 'none'}" for f in flows)
        raise InvalidField(
            "flow_id",
            f"the device is in flows with different encoders ({used}): name the flow whose"
            " encoder to use",
        )
    return flows[0].id, flows[0].encoder_id


def route(
    network_info: Sequence[NetworkInfoSnapshot],
    flows: Sequence[FlowEncoders],
    *,
    network_type: str | None = None,
    flow_id: str | None = None,
    destination_id: str | None = None,
) -> Route:
    identity = choose_identity(network_info, network_type)
    chosen_flow, encoder_id = choose_flow(flows, flow_id, destination_id)
    return Route(identity.network_type, identity.identifier, chosen_flow, encoder_id)
