"""Schemathesis fuzzes the live registry from its OpenAPI: no 5xx, no off-schema response.

Every operation runs as the admin and as a customer's read+write API key, with a bounded,
reproducible budget (fixed seed, no example database). The document is built from the app, as
in tests/unit/test_openapi_complete.py, so collection needs no service, and the live registry
must serve that same document. (`schemathesis.pytest.from_fixture`, which would load it from
the service, sets `Function._nodeid`, gone in pytest 9.2.) Status codes are not checked: the
API answers 401/403/404/409 as problem+json, which the document does not list per operation.
"""

import json
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error, response_schema_conformance

from senflow.registry.entrypoints.api.app import create_app
from tests.support.platform import Platform

pytestmark = [pytest.mark.e2e]

# Per operation and identity, besides the document's own examples: ~48 operations x 2.
MAX_EXAMPLES = 10
SEED = 20240601


async def _ready() -> bool:
    return True


def _openapi() -> dict[str, Any]:
    app = create_app(use_cases=None, admin_token="x" * 24, ready=_ready)  # type: ignore[arg-type]
    document: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    return document


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": 10,
            # Generation time, not the registry: a busy 2-core machine must not fail the run.
            "suppress-health-check": ["too_slow"],
            # The token is sent by the test, so Authorization is not a parameter to generate
            # (or to leave out: auth failures are covered by test_registry_api.py).
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "with-security-parameters": False,
            },
            # The coverage phase enumerates boundary values of every parameter: too many
            # requests for this budget. The examples and fuzzing phases run.
            "phases": {"coverage": {"enabled": False}},
        }
    ),
)


@pytest.fixture(scope="module")
def registry(platform: Platform) -> Platform:
    live = httpx.get(f"{platform.api_url}/openapi.json", timeout=10)
    assert live.json() == OPENAPI, "the live registry serves another OpenAPI document"
    return platform


@pytest.fixture(scope="module")
def customer_key(registry: Platform) -> str:
    headers = {"Authorization": f"Bearer {registry.admin_token}"}
    with httpx.Client(base_url=registry.api_url, headers=headers, timeout=10) as client:
        customer = client.post("/customers", json={"name": "fuzz"})
        assert customer.status_code == 201, customer.text
        body = {"customer_id": customer.json()["id"], "scopes": ["read", "write"]}
        key = client.post("/api-keys", json=body)
        assert key.status_code == 201, key.text
        return str(key.json()["key"])


@pytest.fixture(scope="module", params=["admin", "customer"])
def token(request: pytest.FixtureRequest, registry: Platform) -> str:
    if request.param == "admin":
        return registry.admin_token
    return str(request.getfixturevalue("customer_key"))


@schema.parametrize()
def test_registry_answers_without_5xx_and_within_its_schema(
    case: Case[Any], registry: Platform, token: str
) -> None:
    case.call_and_validate(
        base_url=registry.api_url,
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
