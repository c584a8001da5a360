"""The MQTT bridge: uplinks MQTT devices publish to the broker, onto Kafka (see `bridge`),
and their downlinks from Kafka to the broker (see `downlinks`)."""
