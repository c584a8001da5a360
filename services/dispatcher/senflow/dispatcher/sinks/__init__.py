"""Outputs of the dispatcher, one per destination type, behind the `Sink` protocol."""
