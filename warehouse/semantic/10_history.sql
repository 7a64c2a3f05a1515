-- The public SQL interface. Documented in docs/data_dictionary.md.

-- The public columns of a GPU observation table (the history, or the latest observation of
-- every offering): one list for gpu_price_history and gpu_prices_latest.
CREATE OR REPLACE MACRO gpu_price_rows(observation_table) AS TABLE
SELECT observed_at, provider, gpu_model, gpu_raw_name, gpu_count, tier, region,
       usd_per_gpu_hour, usd_per_instance_hour, source_fetch_id,
       offering_key, gpu_model IS NOT NULL AS gpu_known, vram_gb,
       offer_count, usd_per_gpu_hour_min, usd_per_gpu_hour_median,
       -- provenance: the collector (a provider's own, or a catalogue) apart from the provider
       coalesce(source, provider) AS source, catalog, source_rank(coalesce(source, provider)) AS source_rank,
       -- availability and instance shape, where the source says (NULL = not said)
       available, stock, available_in, vcpus, ram_gb, disk_gb
FROM query_table(observation_table);

CREATE OR REPLACE VIEW gpu_price_history AS
SELECT * FROM gpu_price_rows('gpu_observations');

-- Latest observation per offering. is_current: the offering was in its feed's latest load (a
-- feed is one collector, and for a multi-cloud catalogue one catalogue folder: a catalogue that
-- stops listing an offering makes it not current, whatever other feeds say about the provider).
-- Reads gpu_observations_latest (maintained at load time, one row per offering). A feed's latest
-- load is at or after the newest of its rows there, so the history scan for the feeds shown starts
-- at the oldest of those per-feed maxima (min/max statistics skip every older row group).
CREATE OR REPLACE VIEW gpu_prices_latest AS
WITH newest AS (
    SELECT coalesce(source, provider) AS source, coalesce(catalog, '') AS feed, max(observed_at) AS newest
    FROM gpu_observations_latest GROUP BY ALL
), latest_load AS (
    SELECT coalesce(source, provider) AS source, coalesce(catalog, '') AS feed, max(observed_at) AS feed_latest
    FROM gpu_observations WHERE observed_at >= (SELECT min(newest) FROM newest) GROUP BY ALL
)
SELECT h.*, h.observed_at = l.feed_latest AS is_current
FROM gpu_price_rows('gpu_observations_latest') h
JOIN latest_load l ON h.source = l.source AND coalesce(h.catalog, '') = l.feed;

CREATE OR REPLACE VIEW token_price_history AS
SELECT observed_at, provider, model, method, price_kind, usd, source, source_url, source_fetch_id
FROM token_observations;

CREATE OR REPLACE VIEW token_prices_latest AS
SELECT * FROM token_price_history
QUALIFY row_number() OVER (
    PARTITION BY source, provider, model, method, price_kind ORDER BY observed_at DESC) = 1;

CREATE OR REPLACE VIEW model_lifecycle_events AS
SELECT event_id, provider, model, event, effective_date, announced_date, replacement, scope,
       source_url, first_seen_at, last_seen_at, supersedes_event_id, source
FROM lifecycle_events;
