"""What can stop `senflow simulate` before or while it sends: expected failures, each shown
as one line and an exit code, never a traceback. The registry API's own errors
(`senflow.cli.api_client`) become these at the simulator's edge (`simulate_registry`)."""

from senflow.common.errors import SenflowError


class SimulateError(SenflowError):
    """Root of the simulator's errors; `exit_code` is what `senflow simulate` exits with."""

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
