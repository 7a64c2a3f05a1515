-- Cross-check of aggregator prices against provider pages (token collectors).
-- For each (provider, model, method, price_kind) priced both by an aggregator (litellm, openrouter)
-- and by a provider page (openai_pricing, together_pricing, fireworks_pricing, vertex_pricing, or
-- the curated_sheet fallback), the latest value of each side, listed when they differ by more than
-- 1%. Recorded, never resolved silently: the cost engine keeps using provider-page prices.
-- token_prices_latest is per source; when several provider pages price the same key, the most
-- recent observation wins, and a live page beats the curated sheet on the same day.
CREATE OR REPLACE VIEW token_price_discrepancies AS
WITH latest AS (
    SELECT * FROM token_prices_latest
),
aggregator AS (
    SELECT * FROM latest WHERE source IN ('litellm', 'openrouter')
),
provider_page AS (
    SELECT * FROM latest WHERE source NOT IN ('litellm', 'openrouter')
    QUALIFY row_number() OVER (
        PARTITION BY provider, model, method, price_kind
        ORDER BY observed_at DESC, (source = 'curated_sheet') ASC, source) = 1
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
