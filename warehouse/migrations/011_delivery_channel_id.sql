-- drift/: a delivery channel is identified by a stable id, not by its display label. For an
-- apprise URL the id is "apprise:" + sha256(url)[:16]: two URLs whose masked forms look alike stay
-- apart, and a change in how apprise masks (or defaults) a URL does not orphan queued rows.
-- `channel` stays the display label (console, jsonl, the masked URL). Rows written before this
-- migration keep channel_id NULL and are matched by their label.
ALTER TABLE alert_deliveries ADD COLUMN channel_id VARCHAR;
UPDATE alert_deliveries SET channel_id = channel WHERE channel IN ('console', 'jsonl');
