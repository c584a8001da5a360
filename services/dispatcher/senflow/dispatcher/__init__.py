"""Senflow dispatcher: delivers SenML packs to customers' destinations, at least once."""
