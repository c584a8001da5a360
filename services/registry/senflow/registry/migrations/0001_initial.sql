-- The management model of the walking skeleton, and the transactional outbox.

CREATE TABLE customers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    prefix      text NOT NULL UNIQUE,
    hash        bytea NOT NULL,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);

-- Global catalogue, read-only for customers.
CREATE TABLE decoders (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    symbol   text NOT NULL,
    version  integer NOT NULL DEFAULT 1
);

CREATE TABLE device_specifications (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    network_types  text[] NOT NULL,
    decoder_ids    text[] NOT NULL
);

INSERT INTO decoders (id, name, symbol, version) VALUES
    ('lora-raw', '= Raw LoRa payload', '=', 1);
INSERT INTO device_specifications (id, name, network_types, decoder_ids) VALUES
    ('own-lora', 'Own LoRa device', ARRAY['KPNLORA'], ARRAY['lora-raw']);

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
    id               uuid PRIMARY KEY,
    customer_id      uuid NOT NULL REFERENCES customers(id),
    name             text NOT NULL,
    specification_id text NOT NULL REFERENCES device_specifications(id),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_customer ON devices (customer_id);

CREATE TABLE network_info (
    device_id     uuid NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    network_type  text NOT NULL,
    identifier    text NOT NULL,
    attributes    jsonb NOT NULL DEFAULT '{}',
    sealed_secret text,
    PRIMARY KEY (device_id, network_type),
    -- Network identifiers are unique platform-wide per network type.
    CONSTRAINT network_identifier_unique UNIQUE (network_type, identifier)
);

CREATE TABLE destinations (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES customers(id),
    name          text NOT NULL,
    type          text NOT NULL,
    config        jsonb NOT NULL,
    sealed_secret text NOT NULL,
    enabled       boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE flows (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id),
    project_id  uuid NOT NULL REFERENCES projects(id),
    name        text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    decoder_ids text[] NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE flow_devices (
    flow_id   uuid NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    device_id uuid NOT NULL REFERENCES devices(id),
    PRIMARY KEY (flow_id, device_id)
);

CREATE TABLE flow_destinations (
    flow_id        uuid NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    destination_id uuid NOT NULL REFERENCES destinations(id),
    PRIMARY KEY (flow_id, destination_id)
);

-- Transactional outbox: written in the same transaction as the change it describes,
-- deleted by the relay once Kafka has acknowledged it. The relay publishes whatever is
-- present in id order, so a transaction that commits late is published late, never skipped.
-- Per entity, the entity's row lock orders its transactions, so its rows are in id order.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    key         text NOT NULL,
    value       bytea,            -- NULL = tombstone
    headers     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('senflow_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
