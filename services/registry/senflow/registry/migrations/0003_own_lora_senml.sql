-- A LoRa device of your own may send a SenML pack (JSON or CBOR) as its payload.
UPDATE device_specifications
SET decoder_ids = array_append(decoder_ids, 'senml')
WHERE id = 'own-lora' AND NOT ('senml' = ANY (decoder_ids));
