-- The complete management model: network subscriptions, the global catalogue (device
-- specifications, decoders and encoders), DIY codecs, every network type, every
-- destination type, flow encoders, device metadata.

CREATE TABLE network_subscriptions (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    network_type  text NOT NULL CHECK (network_type IN ('KPNLORA', 'M2M', 'INTERNET', 'MQTT')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    max_devices   integer CHECK (max_devices IS NULL OR max_devices >= 0),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, network_type)
);

-- Every customer made before subscriptions existed may use every network type.
INSERT INTO network_subscriptions (id, customer_id, network_type)
SELECT gen_random_uuid(), c.id, t.network_type
FROM customers c CROSS JOIN (VALUES ('KPNLORA'), ('M2M'), ('INTERNET'), ('MQTT')) AS t(network_type);

-- Codecs: global (customer_id NULL, built in) or a customer's own DIY script. A DIY codec
-- keeps its id across versions; `version` counts script changes.
ALTER TABLE decoders RENAME TO codecs;
ALTER TABLE codecs
    ADD COLUMN uuid          uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN kind          text NOT NULL DEFAULT 'decoder' CHECK (kind IN ('decoder', 'encoder')),
    ADD COLUMN customer_id   uuid REFERENCES customers(id) ON DELETE CASCADE,
    ADD COLUMN description   text NOT NULL DEFAULT '',
    ADD COLUMN contract      text CHECK (contract IN ('kpn', 'ts013')),
    ADD COLUMN script        text,
    ADD COLUMN superseded_by text REFERENCES codecs(id),
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT codec_script_only_diy CHECK ((customer_id IS NULL) = (script IS NULL));

INSERT INTO codecs (id, name, symbol, kind, description) VALUES
    ('lora-raw-extended', '= Raw LoRa payload extended', '=', 'decoder',
     'Payload, port and radio metadata (RSSI, SNR, spreading factor, gateways).'),
    ('lora-geolocation', '+ LoRa geolocation', '+', 'decoder',
     'The network''s location estimate: locOrigin, latitude, longitude, radius.'),
    ('senml', '› SenML pass-through', '›', 'decoder',
     'Validates and normalises a SenML pack the device sent.'),
    ('thingsml', '› ThingsML', '›', 'decoder',
     'ThingsML: SenML with measurement indexes, JSON or CBOR.'),
    ('cayenne-lpp', '› Cayenne LPP', '›', 'decoder', 'Cayenne Low Power Payload channels.'),
    ('elsys', '› Elsys sensors', '›', 'decoder', 'Elsys ERS/ELT payload format.'),
    ('lora-raw-encoder', '= Raw LoRa payload (downlink)', '=', 'encoder',
     'A hex payload and port, sent as they are.'),
    ('cayenne-lpp-encoder', '› Cayenne LPP actuators', '›', 'encoder',
     'Cayenne LPP digital and analog outputs.'),
    ('thingsml-encoder', '› ThingsML command', '›', 'encoder', 'A SenML command as ThingsML CBOR.');
UPDATE codecs SET description = 'The payload as received: records payload (hex) and port.'
WHERE id = 'lora-raw';

ALTER TABLE device_specifications
    ADD COLUMN uuid        uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN encoder_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN description text NOT NULL DEFAULT '';

UPDATE device_specifications
SET decoder_ids = ARRAY['lora-raw', 'lora-raw-extended', 'lora-geolocation', 'thingsml', 'cayenne-lpp'],
    encoder_ids = ARRAY['lora-raw-encoder', 'thingsml-encoder'],
    description = 'A LoRaWAN device of your own; any payload format.'
WHERE id = 'own-lora';

INSERT INTO device_specifications (id, name, network_types, decoder_ids, encoder_ids, description) VALUES
    ('generic-internet', 'Generic Internet device', ARRAY['INTERNET'], ARRAY['senml', 'thingsml'],
     ARRAY['thingsml-encoder'], 'Posts SenML over HTTPS with a shared secret.'),
    ('generic-m2m', 'Generic M2M device', ARRAY['M2M'], ARRAY['senml', 'thingsml'],
     ARRAY['thingsml-encoder'], 'A cellular device identified by IMEI.'),
    ('generic-mqtt', 'Generic MQTT device', ARRAY['MQTT'], ARRAY['senml', 'thingsml'],
     ARRAY['thingsml-encoder'], 'Publishes SenML to an MQTT broker.'),
    ('cayenne-lpp-lora', 'Cayenne LPP LoRa device', ARRAY['KPNLORA'],
     ARRAY['cayenne-lpp', 'lora-raw', 'lora-raw-extended', 'lora-geolocation'],
     ARRAY['cayenne-lpp-encoder', 'lora-raw-encoder'], 'Sends Cayenne LPP over LoRaWAN.'),
    ('elsys-ers', 'Elsys ERS', ARRAY['KPNLORA'],
     ARRAY['elsys', 'lora-raw', 'lora-raw-extended', 'lora-geolocation'],
     ARRAY['lora-raw-encoder'], 'Elsys ERS room sensor (temperature, humidity, light, motion).');

ALTER TABLE devices
    ADD COLUMN barcode     text,
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN tags        jsonb NOT NULL DEFAULT '{}';
CREATE INDEX devices_customer_created ON devices (customer_id, created_at, id);
CREATE INDEX devices_customer_name ON devices (customer_id, name, id);

ALTER TABLE network_info
    ADD CONSTRAINT network_info_type CHECK (network_type IN ('KPNLORA', 'M2M', 'INTERNET', 'MQTT'));

ALTER TABLE destinations
    ALTER COLUMN sealed_secret DROP NOT NULL,
    ADD CONSTRAINT destination_type CHECK (type IN ('https', 'kafka', 'mqtt', 'test'));

ALTER TABLE flows ADD COLUMN encoder_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE flows ADD COLUMN description text NOT NULL DEFAULT '';

CREATE INDEX projects_customer_created ON projects (customer_id, created_at, id);
CREATE INDEX flows_customer_created ON flows (customer_id, created_at, id);
CREATE INDEX destinations_customer_created ON destinations (customer_id, created_at, id);
CREATE INDEX flow_devices_device ON flow_devices (device_id);
CREATE INDEX flow_destinations_destination ON flow_destinations (destination_id);
