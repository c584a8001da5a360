"""The registry's OpenAPI document is complete: every schema field is described, every
operation is summarised and tagged, request bodies carry examples, and no response can
carry a secret. Built from the app alone: no database, no Kafka."""

from collections.abc import Iterator
from typing import Any, get_args

import pytest

from senflow.common.events import NetworkType
from senflow.registry.domain.network_info import normalise
from senflow.registry.entrypoints.api import schemas
from senflow.registry.entrypoints.api.app import create_app

REF_PREFIX = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
SECRET_NAMES = frozenset(
    {
        "secret",
        "sealed_secret",
        "app_key",
        "password",
        "shared_secret",
        "hash",
        "credential",
        "sealed_credential",
    }
)


async def _ready() -> bool:
    return True


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(use_cases=None, admin_token="x" * 24, ready=_ready)  # type: ignore[arg-type]
    return app.openapi()


def _components(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _refs(node: Any) -> Iterator[str]:
    """Every schema name `node` refers to, anywhere inside it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref.removeprefix(REF_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _request_body_refs(spec: dict[str, Any]) -> set[str]:
    """The schema names operations take as their request body (top level)."""
    names: set[str] = set()
    for _, op in _operations(spec):
        for media in op.get("requestBody", {}).get("content", {}).values():
            ref = media.get("schema", {}).get("$ref")
            if isinstance(ref, str):
                names.add(ref.removeprefix(REF_PREFIX))
    return names


def _schema_of(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """A named schema from the document; a request model the document refers to but does
    not define (see `test_every_schema_reference_resolves`) is taken from its model."""
    components = _components(spec)
    if name in components:
        found: dict[str, Any] = components[name]
        return found
    model = getattr(schemas, name)
    generated: dict[str, Any] = model.model_json_schema(ref_template=REF_PREFIX + "{model}")
    return generated


def _is_fastapi_schema(name: str) -> bool:
    return name in FASTAPI_SCHEMAS or name.startswith("Body_")


def test_every_schema_property_has_a_description(spec: dict[str, Any]) -> None:
    undocumented = [
        f"{name}.{prop}"
        for name, schema in sorted(_components(spec).items())
        if not _is_fastapi_schema(name)
        for prop, definition in schema.get("properties", {}).items()
        # A $ref (bare or wrapped in allOf/anyOf) documents the referenced schema, not
        # this property: only a description next to it, at property level, counts.
        if not str(definition.get("description", "")).strip()
    ]
    assert not undocumented, "properties without a description:\n  " + "\n  ".join(undocumented)


def test_every_operation_has_a_summary_and_a_tag(spec: dict[str, Any]) -> None:
    unsummarised = [
        name
        for name, op in _operations(spec)
        if not (str(op.get("summary", "")).strip() or str(op.get("description", "")).strip())
    ]
    untagged = [name for name, op in _operations(spec) if not op.get("tags")]
    assert not unsummarised, f"operations without summary or description: {unsummarised}"
    assert not untagged, f"operations without a tag: {untagged}"


def test_every_request_body_has_an_example(spec: dict[str, Any]) -> None:
    request_models = {
        name for name in _components(spec) if name.endswith(("In", "Patch"))
    } | _request_body_refs(spec)
    assert {"ImportIn", "MembersIn", "DeviceIn", "DestinationPatch"} <= request_models
    without = []
    for name in sorted(request_models):
        schema = _schema_of(spec, name)
        on_model = bool(schema.get("examples") or schema.get("example"))
        on_property = any(
            p.get("examples") or p.get("example") for p in schema.get("properties", {}).values()
        )
        if not (on_model or on_property):
            without.append(name)
    assert not without, f"request bodies without an example: {without}"


NETWORK_MODELS: dict[type[schemas.Body], NetworkType] = {
    schemas.LoraNetworkInfoIn: "KPNLORA",
    schemas.M2mNetworkInfoIn: "M2M",
    schemas.InternetNetworkInfoIn: "INTERNET",
    schemas.MqttNetworkInfoIn: "MQTT",
}


def _network_bodies(body: schemas.Body) -> Iterator[tuple[NetworkType, dict[str, Any]]]:
    """The per-network-type fields inside a parsed request body."""
    if type(body) in NETWORK_MODELS:
        yield NETWORK_MODELS[type(body)], body.model_dump(exclude_none=True)
    elif isinstance(body, schemas.NetworkInfoIn):
        for network_type in get_args(NetworkType):  # its fields are named after them
            if (info := getattr(body, network_type)) is not None:
                yield from _network_bodies(info)
    elif isinstance(body, schemas.DeviceIn):
        yield from _network_bodies(body.network_info)
    elif isinstance(body, schemas.ImportIn):
        for device in body.devices:
            yield from _network_bodies(device)


def test_every_request_model_example_is_a_valid_request() -> None:
    models = [
        m
        for m in vars(schemas).values()
        if isinstance(m, type) and issubclass(m, schemas.Body) and m is not schemas.Body
    ]
    without = []
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if not isinstance(examples, list) or not examples:
            without.append(model.__name__)
            continue
        for example in examples:
            parsed = model.model_validate(example)  # raises if the example is no valid body
            for network_type, fields in _network_bodies(parsed):
                normalise(network_type, fields)  # raises unless the domain rules accept it
    assert not without, f"request models without a model-level example: {without}"


def test_no_response_schema_has_a_secret_property(spec: dict[str, Any]) -> None:
    components = _components(spec)
    pending = [name for _, op in _operations(spec) for name in _refs(op.get("responses", {}))]
    seen: set[str] = set()
    leaks: list[str] = []
    while pending:
        name = pending.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        schema = components[name]
        leaks += [f"{name}.{p}" for p in schema.get("properties", {}) if p in SECRET_NAMES]
        pending += _refs(schema)
    assert {"DeviceOut", "DestinationOut", "NetworkInfoOut", "HttpsConfig"} <= seen
    assert not leaks, f"secrets in responses: {leaks}"


def test_every_schema_reference_resolves(spec: dict[str, Any]) -> None:
    dangling = sorted(set(_refs(spec)) - set(_components(spec)))
    assert not dangling, f"$refs to schemas the document does not define: {dangling}"
