-- HTTPS authentication's credential (sealed with the platform key, bound to
-- "<id>:credential") and a destination's optional format script.
ALTER TABLE destinations
    ADD COLUMN sealed_credential text,
    ADD COLUMN format_script text;
