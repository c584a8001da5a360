"""What can stop `senflow simulate` before or while it sends: expected failures, each shown
as one line and an exit code, never a traceback."""


class SimulateError(Exception):
    """Root of the simulator's errors."""

    retriable = False
    exit_code = 3


class InvalidPlan(SimulateError):
    """The options ask for more than the simulator's bounds, or contradict each other."""

    exit_code = 2


class TargetUnreachable(SimulateError):
    """Kafka, the ingest, the MQTT broker or the registry API did not answer."""

    retriable = True


class RegistryRefused(SimulateError):
    """The registry API answered a request with an error (the message says which)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotPublished(SimulateError):
    """The registry's change events for the new devices did not reach Kafka in time."""

    retriable = True
