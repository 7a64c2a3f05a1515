-- Per day, canonical GPU, provider and tier: cheapest and median USD per GPU-hour and the number
-- of offerings. Each offering counts once a day, at its last observation of that day.
with last_of_day as (
    select *
    from {{ ref('stg_gpu_observations') }}
    where gpu_model is not null
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
    sum(offer_count)                   as market_offer_count
from last_of_day
group by all
