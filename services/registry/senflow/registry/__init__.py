"""Senflow registry: the management API and the only writer of the platform's entities."""
