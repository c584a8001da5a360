"""The `make demo` scenario: one customer, device, flow and destination, end to end."""
