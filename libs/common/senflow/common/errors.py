"""The root of every Senflow error, and the `retriable` flag callers test."""


class SenflowError(Exception):
    """Base of all Senflow errors; `retriable` says whether trying again may succeed."""

    retriable: bool = False


class ContractError(SenflowError):
    """A record does not match its wire contract (bad JSON, wrong fields, wrong types)."""


class SecretError(SenflowError):
    """A sealed secret cannot be opened: wrong platform key or tampered ciphertext."""
