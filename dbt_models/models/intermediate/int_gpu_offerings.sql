-- The canonical GPU offering: one row per offering_id with its latest attributes and the span of
-- loads it was seen in. The latest observation and `is_current` (it was in its feed's latest
-- load: a feed is one collector, and for a multi-cloud catalogue one catalogue folder) are read
-- from the warehouse view gpu_prices_latest (warehouse/semantic/10_history.sql), the one home of
-- "offering current or vanished"; only the span comes from the history.
with latest as (
    select * from {{ source('warehouse', 'gpu_prices_latest') }}
),

spans as (
    select
        offering_id,
        min(observed_at) as first_seen_at,
        count(*)         as n_observations
    from {{ ref('stg_gpu_observations') }}
    group by offering_id
)

select
    l.provider || ':' || l.offering_key as offering_id,
    l.provider,
    l.offering_key,
    l.source,
    coalesce(l.catalog, '')             as feed,
    l.gpu_model,
    l.gpu_raw_name,
    l.gpu_count,
    l.tier,
    l.region,
    l.vram_gb,
    s.first_seen_at,
    l.observed_at                       as last_seen_at,
    s.n_observations,
    l.is_current
from latest l
join spans s on s.offering_id = l.provider || ':' || l.offering_key
