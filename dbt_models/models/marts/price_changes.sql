-- Every price change (GPU offerings and token price lines): old and new price, absolute and
-- percent change, at the observation time of the new price. A view over the interval marts (a
-- window per offering over their rows), so a build has nothing to recompute here.
{{ config(materialized='view') }}
with gpu as (
    select
        'gpu'             as asset,
        offering_id,
        provider,
        offering_key      as item,
        gpu_model,
        tier,
        'usd_per_gpu_hour' as unit,
        price,
        valid_from,
        lag(price) over (partition by offering_id order by valid_from) as old_price
    from {{ ref('gpu_price_intervals') }}
),

token as (
    select
        'token'           as asset,
        offering_id,
        provider,
        model || '|' || method || '|' || price_kind as item,
        null              as gpu_model,
        null              as tier,
        price_kind        as unit,
        price,
        valid_from,
        lag(price) over (partition by offering_id order by valid_from) as old_price
    from {{ ref('token_price_intervals') }}
),

both_ as (
    select * from gpu
    union all
    select * from token
)

select
    md5(offering_id || '|' || cast(valid_from as varchar)) as change_id,
    asset,
    offering_id,
    provider,
    item,
    gpu_model,
    tier,
    unit,
    valid_from                                   as changed_at,
    old_price,
    price                                        as new_price,
    price - old_price                            as abs_change,
    round(100.0 * (price - old_price) / nullif(old_price, 0), 4) as pct_change
from both_
where old_price is not null
