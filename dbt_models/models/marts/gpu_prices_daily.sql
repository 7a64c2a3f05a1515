-- Per day, canonical GPU, provider and tier: cheapest and median USD per GPU-hour and the number
-- of offerings. Each offering counts once a day, at its last observation of that day.
-- Incremental: a build recomputes only the days that received observations since the last one
-- (by source_fetch_id; `last_fetch_id` is the newest fetch a day's row was built from).
{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
{% if is_incremental() %}
with changed_days as (
    select distinct observed_date from {{ ref('stg_gpu_observations') }}
    where source_fetch_id > (select coalesce(max(last_fetch_id), -1) from {{ this }})
),
{% else %}
with
{% endif %}
last_of_day as (
    select *
    from {{ ref('stg_gpu_observations') }}
    where gpu_model is not null
    {% if is_incremental() %}
      and observed_at >= (select cast(min(observed_date) as timestamp) from changed_days)
      and observed_date in (select observed_date from changed_days)
    {% endif %}
    qualify row_number() over (
        partition by offering_id, observed_date order by observed_at desc) = 1
)

select
    observed_date                      as day,
    gpu_model,
    provider,
    tier,
    min(usd_per_gpu_hour)              as usd_per_gpu_hour_min,
    median(usd_per_gpu_hour)           as usd_per_gpu_hour_median,
    max(usd_per_gpu_hour)              as usd_per_gpu_hour_max,
    count(distinct offering_key)       as offering_count,
    sum(offer_count)                   as market_offer_count,
    max(source_fetch_id)               as last_fetch_id
from last_of_day
group by all
