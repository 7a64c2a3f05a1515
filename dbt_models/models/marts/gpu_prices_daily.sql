-- Per day, canonical GPU, provider and tier: the day's GPU prices. One home: the warehouse macro
-- gpu_prices_daily_as_of (warehouse/semantic/80_report.sql) holds the rule (one feed per provider
-- a day, that feed's last load of the day, min/median/max over listed offerings and the cheapest
-- not sold out), which the daily report reads too; this mart only materialises it. No second
-- formula here.
-- Incremental: a build recomputes only the days that received observations since the last one
-- (by source_fetch_id; `last_fetch_id` is the newest fetch of a day in any feed).
-- A warehouse built before the rule moved here gains the new columns (sync_all_columns) and its
-- older days keep the former rule until `pricewatch dbt build --full-refresh`.
-- depends_on: {{ ref('stg_gpu_observations') }}
{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert',
          on_schema_change='sync_all_columns') }}
{% if is_incremental() %}
with changed_days as (
    select distinct observed_date from {{ ref('stg_gpu_observations') }}
    where source_fetch_id > (select coalesce(max(last_fetch_id), -1) from {{ this }})
)
select * from gpu_prices_daily_as_of(
    timestamp '9999-12-31',
    since := (select coalesce(cast(min(observed_date) as timestamp), timestamp '9999-12-31') from changed_days))
where day in (select observed_date from changed_days)
{% else %}
select * from gpu_prices_daily_as_of(timestamp '9999-12-31')
{% endif %}
