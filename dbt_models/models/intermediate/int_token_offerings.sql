-- One row per token price line (collector, provider, model, method, price kind). `is_current`:
-- the line is in its collector's last load (a dated sheet: every line's newest row), read from the
-- warehouse view token_prices_listed (warehouse/semantic/85_listings.sql, token_prices_as_of's
-- rule), not derived again here.
with obs as (
    select * from {{ ref('stg_token_observations') }}
),

listed as (
    select source || ':' || provider || '|' || model || '|' || method || '|' || price_kind as offering_id
    from {{ source('warehouse', 'token_prices_listed') }}
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
    offering_id in (select offering_id from listed) as is_current
from obs
group by offering_id, source, provider, model, method, price_kind
