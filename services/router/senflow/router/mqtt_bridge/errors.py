"""Why the MQTT bridge dead-letters a message, or stops."""

from senflow.common.errors import SenflowError


class MessageRejected(SenflowError):
    """The message cannot become an uplink; it is dead-lettered with this reason."""

    reason = "rejected"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidMqttTopic(MessageRejected):
    """The topic is not `<prefix>/<client id>/up` with a valid client id."""

    reason = "invalid-mqtt-topic"


class PayloadTooLarge(MessageRejected):
    """The payload is larger than an uplink may be (`MAX_DIRECT_PAYLOAD_BYTES`)."""

    reason = "payload-too-large"


class InvalidUplink(MessageRejected):
    """The message's properties do not fit the uplink contract (e.g. a huge content type)."""

    reason = "invalid-uplink"


class KafkaRefused(SenflowError):
    """Kafka did not take a record; the bridge stops without acknowledging the message."""

    retriable = True  # a restarted bridge gets the message again from the broker


class BridgeBug(MessageRejected):
    """Mapping the message failed unexpectedly; it is kept with the error as its detail."""

    reason = "internal-error"
