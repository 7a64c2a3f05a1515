-- The canonical GPU offering: one row per offering_id with its latest attributes and the span
-- of loads it was seen in. is_current: it was in its feed's latest load (a feed is one collector,
-- and for a multi-cloud catalogue one catalogue folder), as in the gpu_prices_latest view.
with obs as (
    select *, coalesce(catalog, '') as feed from {{ ref('stg_gpu_observations') }}
),

feed_latest as (
    select source, feed, max(observed_at) as feed_latest_at
    from obs
    group by source, feed
),

per_offering as (
    select
        offering_id,
        provider,
        offering_key,
        arg_max(source, observed_at)        as source,
        arg_max(feed, observed_at)          as feed,
        arg_max(gpu_model, observed_at)     as gpu_model,
        arg_max(gpu_raw_name, observed_at)  as gpu_raw_name,
        arg_max(gpu_count, observed_at)     as gpu_count,
        arg_max(tier, observed_at)          as tier,
        arg_max(region, observed_at)        as region,
        arg_max(vram_gb, observed_at)       as vram_gb,
        min(observed_at)                    as first_seen_at,
        max(observed_at)                    as last_seen_at,
        count(*)                            as n_observations
    from obs
    group by offering_id, provider, offering_key
)

select
    o.*,
    o.last_seen_at = f.feed_latest_at as is_current
from per_offering o
join feed_latest f using (source, feed)
