-- drift/: an alert is either an `event` (a price change, a reminder: it happened once; an older
-- event of the same rule and key is resolved silently when a newer one arrives) or a `condition`
-- (a stale source, a vanished offering, a suspect price: open while it holds, resolved when it
-- ends, and both transitions are delivered). `trigger_ref` is the observation time or event date
-- that, with rule and key, makes the alert_id; `resolution` says why it was resolved.
ALTER TABLE alerts ADD COLUMN kind VARCHAR DEFAULT 'event';
ALTER TABLE alerts ADD COLUMN trigger_ref VARCHAR;
ALTER TABLE alerts ADD COLUMN resolution VARCHAR;
