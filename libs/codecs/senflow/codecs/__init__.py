"""Pure codecs. Decoders: an uplink and its device context in, SenML records out.
Encoders (`encode_base`): a downlink command and its device in, payload bytes out. No I/O."""
