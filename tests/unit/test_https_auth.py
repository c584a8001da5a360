"""HTTPS authentication: the header each kind sends, how headers are layered (static,
then authentication, then Senflow's own), and the sink sending it on every attempt."""

import base64
from collections.abc import AsyncIterator
from ipaddress import ip_network

import aiohttp
import pytest

from senflow.common.errors import SecretError
from senflow.common.events import HttpsAuth, HttpsConfig
from senflow.common.secrets import credential_binding, open_sealed, seal
from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.https import HttpsSink
from senflow.dispatcher.sinks.https_auth import auth_headers, layered
from tests.support.deliveries import DESTINATION_ID, SECRETS_KEY, a_delivery, a_destination
from tests.support.receiver import WebhookReceiver

SECRET = "Xk9#mP2$vL7qR4@nW8zT1&bY6^cF3!hJ"


@pytest.mark.parametrize(
    ("auth", "credential", "expected"),
    [
        (HttpsAuth(), None, {}),
        (
            HttpsAuth(type="basic", username="senflow"),
            "pä:ss",
            {"Authorization": "Basic " + base64.b64encode("senflow:pä:ss".encode()).decode()},
        ),
        (HttpsAuth(type="bearer"), "eyJhbGciOi.x.y", {"Authorization": "Bearer eyJhbGciOi.x.y"}),
        (HttpsAuth(type="api_key"), "k-123", {"X-API-Key": "k-123"}),
        (HttpsAuth(type="api_key", header="Api-Token"), "k-123", {"Api-Token": "k-123"}),
    ],
)
def test_auth_header_is_built_when_the_kind_asks_for_one(
    auth: HttpsAuth, credential: str | None, expected: dict[str, str]
) -> None:
    assert auth_headers(auth, credential) == expected


@pytest.mark.parametrize(
    ("auth", "credential"),
    [(HttpsAuth(type="bearer"), None), (HttpsAuth(type="basic"), "pw")],
)
def test_auth_is_a_misconfiguration_when_credential_or_user_name_is_missing(
    auth: HttpsAuth, credential: str | None
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        auth_headers(auth, credential)
    assert (failed.value.reason, failed.value.retriable) == ("destination-misconfigured", False)


def test_later_layers_win_whatever_the_case_of_the_header_name() -> None:
    static = {"authorization": "static", "x-api-key": "static", "X-Tenant": "acme"}
    auth = {"Authorization": "Bearer t"}
    own = {"Content-Type": "application/json", "X-API-KEY": "own"}
    assert layered(static, auth, own) == {
        "Authorization": "Bearer t",
        "X-API-KEY": "own",
        "X-Tenant": "acme",
        "Content-Type": "application/json",
    }


def test_a_sealed_secret_does_not_open_as_the_credential() -> None:
    sealed_secret = seal(SECRETS_KEY, SECRET, bound_to=DESTINATION_ID)
    with pytest.raises(SecretError):
        open_sealed(SECRETS_KEY, sealed_secret, bound_to=credential_binding(DESTINATION_ID))
    sealed_credential = seal(SECRETS_KEY, "t", bound_to=credential_binding(DESTINATION_ID))
    with pytest.raises(SecretError):
        open_sealed(SECRETS_KEY, sealed_credential, bound_to=DESTINATION_ID)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = await WebhookReceiver(SECRET).start()
    yield hook
    await hook.stop()


@pytest.fixture
async def sink() -> AsyncIterator[HttpsSink]:
    egress = EgressPolicy((ip_network("127.0.0.1/32"),))
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(egress))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield HttpsSink(session, SECRETS_KEY, egress, timeout_s=5, excerpt_bytes=100)


async def test_sink_sends_the_auth_header_on_every_attempt_after_static_headers(
    receiver: WebhookReceiver, sink: HttpsSink
) -> None:
    config = HttpsConfig(
        url=receiver.url,
        headers={"X-API-Key": "from-static", "X-Tenant": "acme"},
        auth=HttpsAuth(type="api_key"),
    )
    destination = a_destination("https", config, SECRET).model_copy(
        update={
            "sealed_credential": seal(
                SECRETS_KEY, "k-123", bound_to=credential_binding(DESTINATION_ID)
            )
        }
    )
    for attempt in (1, 2):
        await sink.deliver(a_delivery(), destination, attempt)
    assert [r.headers["X-API-Key"] for r in receiver.requests] == ["k-123", "k-123"]
    assert [r.headers["Senflow-Attempt"] for r in receiver.requests] == ["1", "2"]
    assert all(r.headers["X-Tenant"] == "acme" and r.token_valid for r in receiver.requests)
