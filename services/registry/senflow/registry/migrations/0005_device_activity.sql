-- Per-device activity, counted by the registry's activity recorder from the raw uplink
-- topics. Not entity state: changing it bumps no version and publishes no change event.
CREATE TABLE device_activity (
    device_id    uuid PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL,
    uplinks      bigint NOT NULL CHECK (uplinks >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Where the recorder resumes reading: the next offset per topic partition, written in the
-- same transaction as the counts of the records before it, so each record counts once.
CREATE TABLE device_activity_offsets (
    topic       text NOT NULL,
    partition   integer NOT NULL CHECK (partition >= 0),
    next_offset bigint NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
