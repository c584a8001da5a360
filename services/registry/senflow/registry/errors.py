"""Registry errors; the API maps each to an RFC 9457 problem with its status code."""

from senflow.common.errors import SenflowError


class RegistryError(SenflowError):
    """Base of the registry's errors."""

    status = 400
    title = "Bad request"


class NotFound(RegistryError):
    """The entity does not exist, or belongs to another customer (indistinguishable)."""

    status = 404
    title = "Not found"


class Conflict(RegistryError):
    """The change conflicts with existing state (a taken identifier, an entity in use)."""

    status = 409
    title = "Conflict"


class StaleVersion(RegistryError):
    """If-Match named a version that is no longer current."""

    status = 412
    title = "Precondition failed"


class InvalidField(RegistryError):
    """A field's value breaks a rule; `field` names it."""

    status = 422
    title = "Invalid field"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Unauthorized(RegistryError):
    """Missing, unknown, expired or revoked credentials."""

    status = 401
    title = "Unauthorized"


class Forbidden(RegistryError):
    """Valid credentials without the scope the operation needs."""

    status = 403
    title = "Forbidden"


class TooMany(RegistryError):
    """The request would act on more items than one request may: narrow it."""

    status = 400
    title = "Too many items"


class Unavailable(RegistryError):
    """A service the request needs (Kafka) cannot be reached now; try again shortly."""

    status = 503
    title = "Service unavailable"
    retriable = True


class UplinkTopicMissing(RegistryError):
    """A raw uplink topic does not exist (yet): the activity recorder tries again later."""

    status = 503
    title = "Service unavailable"
    retriable = True
