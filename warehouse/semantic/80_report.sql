-- Daily series: the GPU price of each day, and the believed token prices of each day in one
-- query. Read by the daily report (reports/queries.py) and, for the GPU series, materialised by
-- the dbt mart marts.gpu_prices_daily. Documented in docs/data_dictionary.md ("Daily series").

-- gpu_prices_daily_as_of(cutoff, since := NULL): per day, canonical GPU model, provider and tier,
-- the prices of that day, from observations in [since, cutoff) (since NULL: the whole history).
-- THE daily GPU price, the same snapshot rule as gpu_offerings_as_of on each day:
--   * a provider is read from ONE feed a day (a feed is one collector; for a multi-cloud
--     catalogue, one catalogue folder): among the feeds that loaded it that day (all fresh), the
--     provider's own collector first (source_rank), then its own catalogue folder before a
--     marketplace reselling it (catalog_provider), then the latest load;
--   * of that feed, its last load of the day: an offering it stopped listing during the day is gone;
--   * offerings whose GPU could not be named (gpu_model NULL) are left out.
-- Columns: usd_per_gpu_hour_min / _median / _max over every listed offering (list prices, sold
-- out or not); usd_per_gpu_hour_min_available, the cheapest offering not marked sold out
-- (available = false; NULL = the source does not say, counted as available), NULL when every
-- offering was sold out: "the cheapest usable offer" of the day; offering_count and
-- available_offering_count (distinct offerings); market_offer_count (sum of the marketplace's
-- offers behind aggregated rows); source, catalog and observed_at of the load read;
-- last_fetch_id, the newest fetch of that day in any feed (dbt's incremental bookmark).
-- Which tiers count as "on demand" (no commitment, not interruptible) is the consumer's choice of
-- tier: the report's cheapest line uses the flexible tiers (reports/model.py is_flexible).
CREATE OR REPLACE MACRO gpu_prices_daily_as_of(cutoff, since := NULL) AS TABLE
WITH observed AS (
    SELECT *, CAST(observed_at AS DATE) AS day, coalesce(catalog, '') AS _feed
    FROM gpu_price_history
    WHERE observed_at < cutoff AND observed_at >= coalesce(since, TIMESTAMP '-infinity')
), listed AS (
    SELECT * FROM observed
    QUALIFY observed_at = max(observed_at) OVER (PARTITION BY day, source, _feed)
), best AS (
    SELECT day, provider, source, _feed FROM listed
    QUALIFY row_number() OVER (
        PARTITION BY day, provider
        ORDER BY source_rank, catalog IS NOT NULL AND catalog_provider(catalog) <> provider,
                 observed_at DESC, source, _feed) = 1
), day_fetch AS (
    SELECT day, max(source_fetch_id) AS last_fetch_id FROM observed GROUP BY day
)
SELECT l.day, l.gpu_model, l.provider, l.tier,
       min(l.usd_per_gpu_hour)                                                      AS usd_per_gpu_hour_min,
       median(l.usd_per_gpu_hour)                                                   AS usd_per_gpu_hour_median,
       max(l.usd_per_gpu_hour)                                                      AS usd_per_gpu_hour_max,
       min(l.usd_per_gpu_hour) FILTER (WHERE l.available IS DISTINCT FROM false)    AS usd_per_gpu_hour_min_available,
       count(DISTINCT l.offering_key)                                               AS offering_count,
       count(DISTINCT l.offering_key) FILTER (WHERE l.available IS DISTINCT FROM false) AS available_offering_count,
       sum(l.offer_count)                                                           AS market_offer_count,
       any_value(l.source)                                                          AS source,
       any_value(l.catalog)                                                         AS catalog,
       max(l.observed_at)                                                           AS observed_at,
       any_value(f.last_fetch_id)                                                   AS last_fetch_id
FROM listed l
JOIN best b ON b.day = l.day AND b.provider = l.provider AND b.source = l.source AND b._feed = l._feed
JOIN day_fetch f ON f.day = l.day
WHERE l.gpu_model IS NOT NULL
GROUP BY l.day, l.gpu_model, l.provider, l.tier;

-- token_prices_believed_daily(first_day, last_day): for every day D from first_day to last_day,
-- exactly the rows of token_prices_believed_as_of(day_end(D)) (warehouse/semantic/20_as_of.sql),
-- with D as `day`, in one query instead of one per day: the same prices per day (each fetched
-- source's last load before the end of D; for the dated curated sheet, the newest row per line
-- before the end of D) and the same ranking (source_rank, then the newest, then the source name).
-- tests/reports/test_series.py checks the equality day by day on a multi-day history.
CREATE OR REPLACE MACRO token_prices_believed_daily(first_day, last_day) AS TABLE
WITH days AS (
    SELECT CAST(d AS DATE) AS day, d + INTERVAL 1 DAY AS cutoff
    FROM range(CAST(CAST(first_day AS DATE) AS TIMESTAMP),
               CAST(CAST(last_day AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
), loads AS (
    SELECT DISTINCT source, observed_at AS load_at FROM token_observations
    WHERE observed_at < CAST(CAST(last_day AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY AND source <> 'curated_sheet'
), last_loads AS (
    SELECT d.day, s.source, l.load_at
    FROM days d CROSS JOIN (SELECT DISTINCT source FROM loads) s
    ASOF JOIN loads l ON s.source = l.source AND d.cutoff > l.load_at
), fetched AS (
    SELECT ll.day, t.* FROM last_loads ll
    JOIN token_price_history t ON t.source = ll.source AND t.observed_at = ll.load_at
), dated AS (
    SELECT d.day, t.* FROM days d
    JOIN token_price_history t ON t.source = 'curated_sheet' AND t.observed_at < d.cutoff
    QUALIFY row_number() OVER (PARTITION BY d.day, t.provider, t.model, t.method, t.price_kind
                               ORDER BY t.observed_at DESC) = 1
)
SELECT *, source_rank(source) AS source_rank FROM (SELECT * FROM fetched UNION ALL SELECT * FROM dated)
QUALIFY row_number() OVER (
    PARTITION BY day, provider, model, method, price_kind
    ORDER BY source_rank(source), observed_at DESC, source) = 1;
