-- Change events Kafka refused for good (e.g. larger than the broker takes): the relay moves
-- such a row here, with Kafka's error, in the transaction that deletes it from the outbox,
-- and goes on with the next. Kept until an operator republishes or deletes it (README,
-- "Change events are never lost"); the relay never publishes from this table.
CREATE TABLE outbox_parked (
    id          bigint PRIMARY KEY,   -- its id in the outbox
    topic       text NOT NULL,
    key         text NOT NULL,
    value       bytea,                -- NULL = tombstone
    headers     jsonb NOT NULL,
    created_at  timestamptz NOT NULL, -- when the change was made
    parked_at   timestamptz NOT NULL DEFAULT now(),
    error       text NOT NULL
);
