-- SCD2 token price history: one row per price line per unchanged price (valid_to NULL while current).
-- Vanishing is judged per collector (`source`), as token_prices_as_of does: a line missing from
-- the collector's later loads ends. Rows of a dated source (registry DATED_SOURCES: the curated
-- sheet, whose rows store their own as_of date) are not loads: a line with an older date is not
-- missing from a later load; it ends at a new price only.
-- Incremental: each build reads only the observations loaded since the last one (see the macro).
{{ config(materialized='incremental', unique_key='interval_id', incremental_strategy='delete+insert',
          on_schema_change='fail',
          pre_hook="{{ price_intervals_reset_late(ref('stg_token_observations'), 'source') }}") }}
{{ price_intervals(ref('stg_token_observations'), 'usd', 'source',
                   ['provider', 'model', 'method', 'price_kind'],
                   load_filter="source not in " ~ sql_list(vocabulary('dated_sources'))) }}
