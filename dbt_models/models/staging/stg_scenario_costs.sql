with source as (
    select * from {{ source('warehouse', 'scenario_costs') }}
),

renamed as (
    select
        as_of,
        scenario,
        route,
        layer,
        usd_low,
        usd_mid,
        usd_high,
        available,
        reason,
        computed_at
    from source
)

select * from renamed
