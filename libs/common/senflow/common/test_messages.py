"""What a test-endpoint destination received: one record per delivery, shown by the API."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

TEST_MESSAGE_SCHEMA_VERSION = 1


class TestMessage(Contract):
    """On `senflow.destinations.test-messages.v1`, key = destination id.

    `headers` and `body` are exactly what an HTTPS receiver of the same delivery would get
    (the body is the SenML pack as compact JSON text).
    """

    __test__ = False  # not a pytest class, whatever its name says

    schema_version: int = TEST_MESSAGE_SCHEMA_VERSION
    destination_id: str
    customer_id: str
    message_id: str
    delivery_id: str
    received_at: Annotated[AwareDatetime, Field(description="When the test endpoint took it")]
    headers: dict[str, str]
    body: str
