-- Shared "as of" semantics, defined once here and used by the cost engine, the report, the
-- cross-check view and drift (docs/data_dictionary.md, "As-of helpers").
-- source_rank(src) is generated from scrapers.registry.source_rank (warehouse/semantic.py).

-- GPU offerings listed in each provider's last load before `cutoff` (an offering its provider
-- stopped listing is gone, not "still at its old price").
-- `bound`: each provider's last load before `cutoff` is at or after its newest row before `cutoff`
-- in gpu_observations_latest (-infinity when it has none there), so no row older than the least
-- of those is read: for a recent cutoff, min/max statistics skip all but the last row groups.
CREATE OR REPLACE MACRO gpu_offerings_as_of(cutoff) AS TABLE
WITH bound AS (
    SELECT coalesce(min(coalesce(newest, TIMESTAMP '-infinity')), TIMESTAMP '-infinity') AS since FROM (
        SELECT max(observed_at) FILTER (WHERE observed_at < cutoff) AS newest
        FROM gpu_observations_latest GROUP BY provider)
), loads AS (
    SELECT provider, max(observed_at) AS last_load FROM gpu_observations
    WHERE observed_at < cutoff AND observed_at >= (SELECT since FROM bound) GROUP BY provider
)
SELECT h.* FROM gpu_price_history h JOIN loads l ON h.provider = l.provider AND h.observed_at = l.last_load
WHERE h.observed_at >= (SELECT since FROM bound);

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
