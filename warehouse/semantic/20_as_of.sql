-- Shared "as of" semantics, defined once here and used by the cost engine, the report, the
-- cross-check view and drift (docs/data_dictionary.md, "As-of helpers").
-- source_rank(src) is generated from scrapers.registry.source_rank (warehouse/semantic.py).

-- GPU offerings listed in each feed's last load before `cutoff` (an offering its feed stopped
-- listing is gone, not "still at its old price"). A feed is one collector, and for a multi-cloud
-- catalogue one catalogue folder. A provider seen by several feeds is read from ONE feed, by the
-- one source-ranking rule under the one freshness policy (warehouse/policy.yaml):
--   1. a feed whose last load is within the provider's maximum price age on `reference_day`
--      (default: the day before `cutoff`, i.e. the priced day) before one that is older;
--   2. among fresh feeds: the provider's own collector first (source_rank), then its own
--      catalogue folder before a marketplace reselling it (catalog_provider), then the newest load;
--   3. when no feed is fresh: the newest load (then the same ranking).
-- So the direct feed is preferred while it is within its maximum age, otherwise the freshest one.
-- The maximum age is the provider's source kind's (gpu_price_kind, max_price_age_days: generated
-- from the policy file by warehouse/semantic.py); the cost engine passes the ages in effect
-- (settings, --max-price-age) as `gpu_marketplace_max_age` / `gpu_provider_max_age`.
CREATE OR REPLACE MACRO gpu_offerings_as_of(cutoff, reference_day := NULL, gpu_marketplace_max_age := NULL,
                                            gpu_provider_max_age := NULL) AS TABLE
WITH loads AS (
    SELECT coalesce(source, provider) AS source, coalesce(catalog, '') AS feed, max(observed_at) AS last_load
    FROM gpu_observations WHERE observed_at < cutoff GROUP BY ALL
), listed AS (
    SELECT h.*, coalesce(h.catalog, '') AS _feed FROM gpu_price_history h JOIN loads l
      ON h.source = l.source AND coalesce(h.catalog, '') = l.feed AND h.observed_at = l.last_load
), feeds AS (
    SELECT DISTINCT provider, source, _feed, source_rank,
           catalog IS NOT NULL AND catalog_provider(catalog) <> provider AS resold,
           observed_at AS last_load,
           date_diff('day', CAST(observed_at AS DATE),
                     coalesce(CAST(reference_day AS DATE),
                              CAST(CAST(cutoff AS TIMESTAMP) - INTERVAL 1 MICROSECOND AS DATE)))
             <= coalesce(CASE gpu_price_kind(provider) WHEN 'gpu_marketplace' THEN gpu_marketplace_max_age
                                                       ELSE gpu_provider_max_age END,
                         max_price_age_days(gpu_price_kind(provider))) AS fresh
    FROM listed
), best AS (
    SELECT provider, source, _feed FROM feeds
    QUALIFY row_number() OVER (
        PARTITION BY provider
        ORDER BY fresh DESC,
                 CASE WHEN fresh THEN source_rank END, CASE WHEN fresh THEN resold END,
                 last_load DESC, source_rank, resold, source, _feed) = 1
)
SELECT listed.* EXCLUDE (_feed) FROM listed JOIN best USING (provider, source, _feed);

-- What is offered now: each provider from its best feed, freshness judged on today's date (UTC).
CREATE OR REPLACE VIEW gpu_offerings_current AS
SELECT * FROM gpu_offerings_as_of(TIMESTAMP '9999-12-31',
                                  reference_day := CAST(current_timestamp AT TIME ZONE 'UTC' AS DATE));

-- Token prices in each source's last load before `cutoff`; for the dated curated sheet (whose
-- rows carry their own as-of date) the newest row per price line before `cutoff`.
CREATE OR REPLACE MACRO token_prices_as_of(cutoff) AS TABLE
WITH loads AS (
    SELECT source, max(observed_at) AS last_load FROM token_observations
    WHERE observed_at < cutoff AND source <> 'curated_sheet' GROUP BY source
), fetched AS (
    SELECT t.* FROM token_price_history t JOIN loads l ON t.source = l.source AND t.observed_at = l.last_load
), dated AS (
    SELECT * FROM token_price_history WHERE source = 'curated_sheet' AND observed_at < cutoff
    QUALIFY row_number() OVER (PARTITION BY provider, model, method, price_kind ORDER BY observed_at DESC) = 1
)
SELECT *, source_rank(source) AS source_rank FROM (SELECT * FROM fetched UNION ALL SELECT * FROM dated);

-- The believed price per line before `cutoff`: the best-ranked source, then the newest.
CREATE OR REPLACE MACRO token_prices_believed_as_of(cutoff) AS TABLE
SELECT * FROM token_prices_as_of(cutoff)
QUALIFY row_number() OVER (
    PARTITION BY provider, model, method, price_kind ORDER BY source_rank, observed_at DESC, source) = 1;

-- Lifecycle events known before `cutoff`: one row per (provider, model, event, scope), not
-- superseded by a changed date seen before `cutoff`, from the best-ranked source.
CREATE OR REPLACE MACRO lifecycle_events_as_of(cutoff) AS TABLE
SELECT e.* FROM model_lifecycle_events e
WHERE e.first_seen_at < cutoff
  AND NOT EXISTS (SELECT 1 FROM lifecycle_events n
                  WHERE n.supersedes_event_id = e.event_id AND n.first_seen_at < cutoff)
QUALIFY row_number() OVER (
    PARTITION BY e.provider, e.model, e.event, e.scope
    ORDER BY source_rank(e.source), e.last_seen_at DESC, e.event_id DESC) = 1;

CREATE OR REPLACE VIEW token_prices_current AS
SELECT * FROM token_prices_believed_as_of(TIMESTAMP '9999-12-31');

CREATE OR REPLACE VIEW model_lifecycle_events_current AS
SELECT * FROM lifecycle_events_as_of(TIMESTAMP '9999-12-31');
