"""HTTP ingest for Internet and M2M devices: authenticated SenML packs onto Kafka, and the
devices' pending downlinks back in the answers (see `downlinks`)."""
