"""Request and response bodies of the management API, one module per resource. Secrets
are write-only: they appear in request bodies and never in a response."""

from senflow.registry.entrypoints.api.schemas.catalogue import (
    CodecIn,
    CodecOut,
    CodecPatch,
    ScriptContract,
    SpecificationOut,
)
from senflow.registry.entrypoints.api.schemas.common import Body, Out, PageOut
from senflow.registry.entrypoints.api.schemas.customers import (
    ApiKeyIn,
    ApiKeyOut,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    NewApiKeyOut,
    SubscriptionIn,
    SubscriptionOut,
)
from senflow.registry.entrypoints.api.schemas.destinations import (
    DestinationIn,
    DestinationOut,
    DestinationPatch,
)
from senflow.registry.entrypoints.api.schemas.devices import (
    DeviceIn,
    DeviceOut,
    DevicePatch,
    ImportIn,
    ImportOut,
    InternetNetworkInfoIn,
    LoraNetworkInfoIn,
    M2mNetworkInfoIn,
    MqttNetworkInfoIn,
    NetworkInfoIn,
    NetworkInfoOut,
    RowResultOut,
)
from senflow.registry.entrypoints.api.schemas.flows import (
    FlowIn,
    FlowOut,
    FlowPatch,
    MembersIn,
)
from senflow.registry.entrypoints.api.schemas.projects import (
    ProjectIn,
    ProjectOut,
    ProjectPatch,
)

__all__ = [
    "Body",
    "Out",
    "PageOut",
    "CustomerIn",
    "CustomerPatch",
    "CustomerOut",
    "ApiKeyIn",
    "ApiKeyOut",
    "NewApiKeyOut",
    "SubscriptionIn",
    "SubscriptionOut",
    "ProjectIn",
    "ProjectPatch",
    "ProjectOut",
    "LoraNetworkInfoIn",
    "M2mNetworkInfoIn",
    "InternetNetworkInfoIn",
    "MqttNetworkInfoIn",
    "NetworkInfoIn",
    "DeviceIn",
    "DevicePatch",
    "NetworkInfoOut",
    "DeviceOut",
    "ImportIn",
    "RowResultOut",
    "ImportOut",
    "DestinationIn",
    "DestinationPatch",
    "DestinationOut",
    "FlowIn",
    "FlowPatch",
    "MembersIn",
    "FlowOut",
    "SpecificationOut",
    "CodecIn",
    "CodecPatch",
    "CodecOut",
    "ScriptContract",
]
