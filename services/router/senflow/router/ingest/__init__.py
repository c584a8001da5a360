"""HTTP ingest for Internet and M2M devices: authenticated SenML packs onto Kafka."""
