-- token_price_discrepancies. For each (provider, model, method, price_kind): every
-- aggregator's price in that aggregator's LAST load (a line it stopped publishing is gone, not
-- "still at its old price") against the believed provider-side price (a provider's own page, else
-- the curated sheet: best source_rank, then newest), listed when they differ by more than 1%.
-- Recorded, never resolved silently: aggregator prices are never the price of record.
CREATE OR REPLACE VIEW token_price_discrepancies AS
WITH current_prices AS (
    SELECT * FROM token_prices_as_of(TIMESTAMP '9999-12-31')
),
aggregator AS (
    SELECT * FROM current_prices WHERE source_rank = 3          -- aggregator feeds (litellm, openrouter)
),
provider_page AS (
    SELECT * FROM current_prices WHERE source_rank < 3          -- provider pages, curated sheet
    QUALIFY row_number() OVER (
        PARTITION BY provider, model, method, price_kind ORDER BY source_rank, observed_at DESC, source) = 1
)
SELECT
    a.provider,
    a.model,
    a.method,
    a.price_kind,
    a.usd                  AS aggregator_usd,
    a.source               AS aggregator_source,
    a.observed_at          AS aggregator_observed_at,
    p.usd                  AS provider_usd,
    p.source               AS provider_source,
    p.observed_at          AS provider_observed_at,
    CASE WHEN p.usd = 0 THEN NULL
         ELSE round(100.0 * (a.usd - p.usd) / p.usd, 2) END AS pct_diff
FROM aggregator a
JOIN provider_page p USING (provider, model, method, price_kind)
WHERE (p.usd = 0 AND a.usd <> 0)
   OR (p.usd <> 0 AND abs(a.usd - p.usd) / abs(p.usd) > 0.01);
