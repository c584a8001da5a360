"""What the HTTPS sink works out once per destination version: the opened secrets, the
static and authentication headers, the timeout."""

import pytest

from senflow.common.events import DestinationSnapshot, HttpsAuth, HttpsConfig, TestEndpointConfig
from senflow.common.secrets import credential_binding, seal
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks import https_target
from senflow.dispatcher.sinks.https_target import HttpsTargets
from tests.support.deliveries import DESTINATION_ID, SECRETS_KEY, a_destination

CONFIG = HttpsConfig(
    url="https://hooks.example/in", headers={"X-Tenant": "acme"}, auth=HttpsAuth(type="bearer")
)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bindings of every sealed secret opened."""
    calls: list[str] = []
    real = https_target.open_sealed

    def counting(key: bytes, sealed: str, bound_to: str) -> str:
        calls.append(bound_to)
        return real(key, sealed, bound_to=bound_to)

    monkeypatch.setattr(https_target, "open_sealed", counting)
    return calls


def with_credential(secret: str, credential: str) -> DestinationSnapshot:
    return a_destination("https", CONFIG, secret).model_copy(
        update={
            "sealed_credential": seal(
                SECRETS_KEY, credential, bound_to=credential_binding(DESTINATION_ID)
            )
        }
    )


def test_secrets_are_opened_once_per_destination_version(opened: list[str]) -> None:
    targets = HttpsTargets(SECRETS_KEY, timeout_s=5)
    destination = with_credential("s1", "token-1")
    for _ in range(3):
        target = targets.of(destination)
    assert (target.secret, target.headers) == (
        "s1",
        {"X-Tenant": "acme", "Authorization": "Bearer token-1"},
    )
    assert (target.host, target.port, target.timeout.total) == ("hooks.example", 443, 5)
    assert len(opened) == 2  # the secret and the credential, once each

    changed = with_credential("s2", "token-2")  # a new version of the same destination
    target = targets.of(changed)
    assert (target.secret, target.headers["Authorization"]) == ("s2", "Bearer token-2")
    assert len(opened) == 4


def test_a_misconfigured_destination_fails_every_time() -> None:
    targets = HttpsTargets(SECRETS_KEY, timeout_s=5)
    for destination in (
        a_destination("https", CONFIG),  # no secret
        a_destination("https", CONFIG, "s1"),  # bearer without a credential
        a_destination("test", TestEndpointConfig(), "s1"),
    ):
        for _ in range(2):
            with pytest.raises(DeliveryFailed) as failed:
                targets.of(destination)
            assert (failed.value.reason, failed.value.retriable) == (
                "destination-misconfigured",
                False,
            )
