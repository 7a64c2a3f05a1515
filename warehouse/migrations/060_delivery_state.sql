-- drift/notify.py: exactly-once delivery per alert and channel. `alert_deliveries` becomes ONE row
-- per (alert_id, event, channel_id), updated in place (it was appended to per attempt and per run:
-- 1,912 rows after 2 runs). The attempt is recorded (state 'sending', attempts + 1) BEFORE the
-- channel is called, so an interrupted run leaves evidence instead of a silent re-send.
--   state: pending | sending | delivered | failed | unconfirmed | gave_up
--   idempotency_key: left(sha256(alert_id|event|channel_id), 32), sent with each notification
--   channel: display label with every secret masked; error: last error, secrets masked.
-- Rows from before: one per identity, delivered if any attempt was; errors and apprise labels are
-- not carried over (they could hold a URL's secrets: the next attempt writes the masked label);
-- rows queued before channel ids existed (migration 011) are given up.
CREATE TABLE alert_deliveries_060 (
    alert_id         VARCHAR NOT NULL,
    event            VARCHAR NOT NULL,
    channel_id       VARCHAR NOT NULL,
    channel          VARCHAR NOT NULL,
    idempotency_key  VARCHAR NOT NULL,
    state            VARCHAR NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    queued_at        TIMESTAMP NOT NULL,
    attempted_at     TIMESTAMP,
    finished_at      TIMESTAMP,
    delivered        BOOLEAN NOT NULL DEFAULT false,
    error            VARCHAR,
    PRIMARY KEY (alert_id, event, channel_id)
);

INSERT INTO alert_deliveries_060
SELECT alert_id, event, ident,
       CASE WHEN ident IN ('console', 'jsonl') THEN ident ELSE 'apprise' END,
       left(sha256(alert_id || '|' || event || '|' || ident), 32),
       CASE WHEN bool_or(delivered) THEN 'delivered'
            WHEN bool_and(channel_id IS NULL) AND ident NOT IN ('console', 'jsonl') THEN 'gave_up'
            WHEN count(*) FILTER (WHERE error IS DISTINCT FROM 'queued') > 0 THEN 'failed'
            ELSE 'pending' END,
       count(*) FILTER (WHERE error IS DISTINCT FROM 'queued'),
       min(attempted_at),
       max(attempted_at) FILTER (WHERE error IS DISTINCT FROM 'queued'),
       CASE WHEN bool_or(delivered) THEN max(attempted_at) FILTER (WHERE delivered) END,
       bool_or(delivered),
       CASE WHEN bool_and(channel_id IS NULL) AND ident NOT IN ('console', 'jsonl') AND NOT bool_or(delivered)
            THEN 'queued before channel ids (migration 011); not retried' END
FROM (SELECT *, CASE WHEN channel_id IS NOT NULL THEN channel_id
                     WHEN channel IN ('console', 'jsonl') THEN channel
                     ELSE 'legacy:' || md5(channel) END AS ident
      FROM alert_deliveries)
GROUP BY alert_id, event, ident;

DROP TABLE alert_deliveries;
ALTER TABLE alert_deliveries_060 RENAME TO alert_deliveries;
