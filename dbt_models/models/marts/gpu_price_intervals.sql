-- SCD2 GPU price history: one row per offering per unchanged price (valid_to NULL while current).
-- An offering vanishes when a later load of its feed (one collector; for a catalogue, one
-- catalogue folder) no longer lists it: another feed's load of the same provider says nothing.
-- That is gpu_prices_latest's rule (is_current), so the groups are the view's feeds: feed_id.
-- Incremental: each build reads only the observations loaded since the last one (see the macro).
{{ config(materialized='incremental', unique_key='interval_id', incremental_strategy='delete+insert',
          on_schema_change='fail',
          pre_hook="{{ price_intervals_reset_late(ref('stg_gpu_observations'), 'feed_id') }}") }}
{{ price_intervals(ref('stg_gpu_observations'), 'usd_per_gpu_hour', 'feed_id',
                   ['provider', 'source', 'offering_key', 'gpu_model', 'tier', 'gpu_count', 'region']) }}
