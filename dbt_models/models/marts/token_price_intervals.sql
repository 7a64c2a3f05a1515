-- SCD2 token price history: one row per price line per unchanged price (valid_to NULL while current).
-- Vanishing is judged per collector (`source`): a line missing from the collector's later loads ends.
{{ price_intervals(ref('stg_token_observations'), 'usd', 'source',
                   ['provider', 'model', 'method', 'price_kind']) }}
