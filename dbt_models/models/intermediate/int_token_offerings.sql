-- One row per token price line (collector, provider, model, method, price kind).
with obs as (
    select * from {{ ref('stg_token_observations') }}
),

-- The latest load of each collector. Curated-sheet rows (source_fetch_id NULL) carry their own
-- as_of date, not a load time: such a line is current whatever its date.
source_latest as (
    select source, max(observed_at) filter (where source_fetch_id is not null) as source_latest_at
    from obs group by source
)

select
    offering_id,
    source,
    provider,
    model,
    method,
    price_kind,
    min(observed_at)  as first_seen_at,
    max(observed_at)  as last_seen_at,
    count(*)          as n_observations,
    bool_and(source_fetch_id is null)
        or max(observed_at) filter (where source_fetch_id is not null) = any_value(source_latest_at) as is_current
from obs
join source_latest using (source)
group by offering_id, source, provider, model, method, price_kind
