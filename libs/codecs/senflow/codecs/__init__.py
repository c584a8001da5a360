"""Pure decoders: an uplink and its device context in, SenML records out. No I/O."""
