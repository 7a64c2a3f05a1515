-- SCD2 GPU price history: one row per offering per unchanged price (valid_to NULL while current).
-- Incremental: each build reads only the observations loaded since the last one (see the macro).
{{ config(materialized='incremental', unique_key='interval_id', incremental_strategy='delete+insert',
          on_schema_change='fail',
          pre_hook="{{ price_intervals_reset_late(ref('stg_gpu_observations'), 'provider') }}") }}
{{ price_intervals(ref('stg_gpu_observations'), 'usd_per_gpu_hour', 'provider',
                   ['offering_key', 'gpu_model', 'tier', 'gpu_count', 'region']) }}
