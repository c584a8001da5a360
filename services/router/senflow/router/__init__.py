"""Senflow router: resolves each uplink's device and flows, decodes it, fans out deliveries."""
