"""The HTTPS sink's signing, retry classification, egress policy and backoff bounds."""

import hashlib
import hmac
import socket
from ipaddress import ip_network

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from senflow.common.message_token import message_token
from senflow.dispatcher.egress import EgressBlocked, EgressPolicy, GuardedResolver
from senflow.dispatcher.errors import EgressRefused
from senflow.dispatcher.sinks.https import is_retriable
from senflow.dispatcher.sinks.payload import signature
from senflow.dispatcher.sinks.retrying import RetryingSink


def test_message_token_is_sha256_of_body_then_secret() -> None:
    body = b'[{"bn":"urn:dev:DEVEUI:0123456789ABCDEF:","n":"payload","vs":"01"}]'
    assert message_token(body, "s3cret") == hashlib.sha256(body + b"s3cret").hexdigest()


def test_signature_is_hmac_of_timestamp_and_body() -> None:
    body = b"[]"
    expected = hmac.new(b"k", b"1700000000.[]", hashlib.sha256).hexdigest()
    assert signature(body, "k", 1700000000) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 425, 429])
def test_status_is_retried_when_it_means_later(status: int) -> None:
    assert is_retriable(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 301, 302, 422])
def test_status_goes_to_dead_letters_when_asking_again_cannot_help(status: int) -> None:
    assert not is_retriable(status)


@pytest.mark.parametrize(
    ("address", "permitted"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fd00::1", False),
    ],
)
def test_egress_refuses_internal_addresses_by_default(address: str, permitted: bool) -> None:
    assert EgressPolicy(()).permits(address) is permitted


def test_egress_permits_internal_address_when_allow_listed() -> None:
    policy = EgressPolicy((ip_network("127.0.0.1/32"),))
    assert policy.permits("127.0.0.1")
    assert not policy.permits("127.0.0.2")


def test_backoff_grows_within_bounds_and_honours_retry_after() -> None:
    sink = RetryingSink(inner=None, max_attempts=5, backoff_initial_s=0.5, backoff_max_s=4.0)  # type: ignore[arg-type]
    for attempt in range(1, 10):
        assert 0 <= sink.delay_s(attempt, None) <= min(4.0, 0.5 * 2 ** (attempt - 1))
    assert sink.delay_s(1, 2.5) == 2.5
    assert sink.delay_s(1, 60.0) == 60.0  # Retry-After is not cut to the backoff maximum
    assert sink.delay_s(1, 900.0) == 300.0  # but to DISPATCHER_MAX_RETRY_AFTER_S


class _Answers(AbstractResolver):
    def __init__(self, *addresses: str) -> None:
        self._addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=a, port=port, family=family, proto=0, flags=0)
            for a in self._addresses
        ]

    async def close(self) -> None:
        pass


async def test_resolver_refuses_a_name_when_any_answer_is_internal() -> None:
    resolver = GuardedResolver(EgressPolicy(()), _Answers("93.184.216.34", "169.254.169.254"))
    with pytest.raises(EgressBlocked, match="non-public") as refused:
        await resolver.resolve("rebinding.example", 443)
    assert "169.254" not in str(refused.value)  # customers read it: no internal addresses


async def test_resolver_passes_public_answers_through() -> None:
    resolver = GuardedResolver(EgressPolicy(()), _Answers("93.184.216.34"))
    [answer] = await resolver.resolve("example.com", 443)
    assert answer["host"] == "93.184.216.34"


async def test_check_refuses_an_ip_literal_the_resolver_never_sees() -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy(()).check("127.0.0.2", 80)


async def test_an_ip_literals_verdict_is_the_same_every_time() -> None:
    policy = EgressPolicy((ip_network("127.0.0.1/32"),))
    for _ in range(3):  # the verdict is kept after the first time
        assert await policy.resolve("127.0.0.1", 80) == ["127.0.0.1"]
        with pytest.raises(EgressRefused):
            await policy.check("10.0.0.1", 80)
