"""The registry's use cases, one module per area. Each mutation is one transaction that
also writes its change event to the outbox."""
