-- Downlinks: commands to devices and their status (senflow.common.downlinks). The registry
-- is their only writer: the API creates and cancels them, workers' reports move them on,
-- the expiry sweep ends those not sent in time. Every change is a change event.
CREATE TABLE downlinks (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL REFERENCES customers(id),
    device_id         uuid NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    network_type      text NOT NULL CHECK (network_type IN ('KPNLORA', 'M2M', 'INTERNET', 'MQTT')),
    identifier        text NOT NULL,
    -- Which flow's encoder, as it was when the downlink was made: no foreign key, a flow
    -- deleted later leaves its downlinks as they were.
    flow_id           uuid,
    encoder_id        text,
    command           jsonb NOT NULL,
    confirmed         boolean NOT NULL DEFAULT false,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN (
                          'queued', 'executing', 'sent', 'acknowledged', 'failed', 'expired',
                          'cancelled')),
    reason            text,
    source            text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'destination')),
    destination_id    uuid,
    payload_hex       text,
    f_port            integer CHECK (f_port BETWEEN 1 AND 223),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    executing_at      timestamptz,
    sent_at           timestamptz,
    finished_at       timestamptz,  -- acknowledged, failed, expired or cancelled
    CHECK ((source = 'destination') = (destination_id IS NOT NULL))
);

-- A device's downlinks, newest first (the API's list).
CREATE INDEX downlinks_device_created ON downlinks (device_id, created_at, id);
-- The expiry sweep: only downlinks still waiting to be sent.
CREATE INDEX downlinks_due ON downlinks (expires_at) WHERE status IN ('queued', 'executing');
