"""Why the MQTT bridge dead-letters a message, stops, or cannot publish a downlink.

A message that cannot become an uplink is an `UplinkRejected` like the router's: both
land on the uplink dead-letter topic with the reason in a header.
"""

from senflow.common.errors import SenflowError
from senflow.router.errors import InvalidUplink, UplinkRejected

__all__ = [
    "BridgeBug",
    "BrokerUnavailable",
    "InvalidMqttTopic",
    "InvalidUplink",
    "KafkaRefused",
    "PayloadTooLarge",
    "PublishRefused",
    "UplinkRejected",
]


class InvalidMqttTopic(UplinkRejected):
    """The topic is not `<prefix>/<client id>/up` with a valid client id."""

    reason = "invalid-mqtt-topic"


class PayloadTooLarge(UplinkRejected):
    """The payload is larger than an uplink may be (`MAX_DIRECT_PAYLOAD_BYTES`)."""

    reason = "payload-too-large"


class BridgeBug(UplinkRejected):
    """Mapping the message failed unexpectedly; it is kept with the error as its detail."""

    reason = "internal-error"


class KafkaRefused(SenflowError):
    """Kafka did not take a record; the bridge stops without acknowledging the message."""

    retriable = True  # a restarted bridge gets the message again from the broker


class BrokerUnavailable(SenflowError):
    """No connection to the MQTT broker, or no PUBACK in time; a downlink waits for it."""

    retriable = True


class PublishRefused(SenflowError):
    """The broker answered a downlink's publish with a failure reason code (e.g. its ACL)."""

    retriable = False  # the same publish gets the same answer
