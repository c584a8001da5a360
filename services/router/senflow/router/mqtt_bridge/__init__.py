"""The MQTT bridge: uplinks MQTT devices publish to the broker, onto Kafka (see `bridge`)."""
