-- Core history tables. All timestamps are UTC, stored as TIMESTAMP without time zone.

CREATE SEQUENCE IF NOT EXISTS fetch_id_seq START 1;

-- Every fetch attempt (live or replayed), its outcome and any parse error.
CREATE TABLE fetch_log (
    fetch_id        BIGINT PRIMARY KEY DEFAULT nextval('fetch_id_seq'),
    source          VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,   -- when the payload was fetched (replay: the file's timestamp)
    observed_at     TIMESTAMP NOT NULL,   -- the batch time the observations carry
    mode            VARCHAR NOT NULL,     -- live | replay
    status          INTEGER,              -- HTTP status; NULL when no response was had
    bytes           BIGINT,
    sha256          VARCHAR,
    archive_path    VARCHAR,
    outcome         VARCHAR NOT NULL,     -- ok | empty | parse_error | http_error | network_error
    error           VARCHAR,
    records_parsed  INTEGER NOT NULL DEFAULT 0,
    records_added   INTEGER NOT NULL DEFAULT 0,
    warnings        VARCHAR[]
);

-- Append-only GPU price observations. One row per offering per fetch.
CREATE TABLE gpu_observations (
    observed_at              TIMESTAMP NOT NULL,
    provider                 VARCHAR NOT NULL,
    offering_key             VARCHAR NOT NULL,
    gpu_model                VARCHAR,          -- canonical name; NULL when the raw name is unknown
    gpu_raw_name             VARCHAR NOT NULL,
    gpu_count                INTEGER NOT NULL,
    tier                     VARCHAR NOT NULL,
    region                   VARCHAR,
    usd_per_gpu_hour         DOUBLE NOT NULL,
    usd_per_instance_hour    DOUBLE NOT NULL,
    vram_gb                  DOUBLE,
    offer_count              INTEGER,
    usd_per_gpu_hour_min     DOUBLE,
    usd_per_gpu_hour_median  DOUBLE,
    source_fetch_id          BIGINT NOT NULL,
    PRIMARY KEY (provider, offering_key, observed_at)
);

-- Every rentable marketplace offer (Vast.ai), kept beside the per-model aggregates.
CREATE TABLE market_offers (
    observed_at            TIMESTAMP NOT NULL,
    provider               VARCHAR NOT NULL,
    offer_id               VARCHAR NOT NULL,
    machine_id             VARCHAR,
    gpu_model              VARCHAR,
    gpu_raw_name           VARCHAR NOT NULL,
    gpu_count              INTEGER NOT NULL,
    tier                   VARCHAR NOT NULL,
    usd_per_gpu_hour       DOUBLE NOT NULL,
    usd_per_instance_hour  DOUBLE NOT NULL,
    vram_gb                DOUBLE,
    reliability            DOUBLE,
    verified               BOOLEAN,
    location               VARCHAR,
    source_fetch_id        BIGINT NOT NULL
);

-- Append-only token price observations.
CREATE TABLE token_observations (
    observed_at      TIMESTAMP NOT NULL,
    source           VARCHAR NOT NULL,   -- collector: openai_pricing, litellm, curated_sheet, ...
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    method           VARCHAR NOT NULL,
    price_kind       VARCHAR NOT NULL,
    usd              DOUBLE NOT NULL,
    source_url       VARCHAR,
    source_fetch_id  BIGINT,             -- NULL for rows of the curated price sheet
    PRIMARY KEY (source, provider, model, method, price_kind, observed_at)
);

CREATE SEQUENCE IF NOT EXISTS lifecycle_event_id_seq START 1;

-- Model lifecycle events. The same event seen on many days is one row (last_seen_at moves);
-- a changed date is a new row whose supersedes_event_id points at the old one.
CREATE TABLE lifecycle_events (
    event_id             BIGINT PRIMARY KEY DEFAULT nextval('lifecycle_event_id_seq'),
    provider             VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    event                VARCHAR NOT NULL,
    effective_date       DATE,
    announced_date       DATE,
    replacement          VARCHAR,
    scope                VARCHAR NOT NULL DEFAULT '',
    source               VARCHAR NOT NULL,
    source_url           VARCHAR,
    first_seen_at        TIMESTAMP NOT NULL,
    last_seen_at         TIMESTAMP NOT NULL,
    supersedes_event_id  BIGINT,
    source_fetch_id      BIGINT
);

-- Daily repricing of the scenario catalogue (cost_engine).
CREATE TABLE scenario_costs (
    as_of      DATE NOT NULL,
    scenario   VARCHAR NOT NULL,
    route      VARCHAR NOT NULL,
    layer      VARCHAR NOT NULL,
    usd_low    DOUBLE,
    usd_mid    DOUBLE,
    usd_high   DOUBLE,
    available  BOOLEAN NOT NULL,
    reason     VARCHAR,
    inputs     JSON,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of, scenario, route, layer)
);
