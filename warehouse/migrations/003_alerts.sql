-- Drift alerts (drift/). One row per condition; the same condition alerts once and resolves once.
-- first_seen_at / last_seen_at are observation times, so a replayed history dates its alerts on
-- the replayed days.
CREATE TABLE alerts (
    alert_id       VARCHAR PRIMARY KEY,      -- stable hash of (rule, key)
    rule           VARCHAR NOT NULL,
    key            VARCHAR NOT NULL,         -- what the alert is about, e.g. "runpod|H100 SXM 80GB|secure"
    severity       VARCHAR NOT NULL,         -- info | warning | critical
    first_seen_at  TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP NOT NULL,
    state          VARCHAR NOT NULL,         -- open | resolved
    resolved_at    TIMESTAMP,
    message        VARCHAR NOT NULL,
    evidence       JSON,
    created_at     TIMESTAMP NOT NULL        -- wall-clock time the row was written
);

-- Delivery attempts per alert and channel; an alert not yet delivered is retried next run.
CREATE TABLE alert_deliveries (
    alert_id      VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,          -- console | jsonl | an apprise URL (secrets masked)
    event         VARCHAR NOT NULL,          -- opened | resolved
    attempted_at  TIMESTAMP NOT NULL,
    delivered     BOOLEAN NOT NULL,
    error         VARCHAR
);
