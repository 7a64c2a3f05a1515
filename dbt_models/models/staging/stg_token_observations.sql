-- Token price observations; offering_id identifies one price line of one collector.
with source as (
    select * from {{ source('warehouse', 'token_observations') }}
),

renamed as (
    select
        source || ':' || provider || '|' || model || '|' || method || '|' || price_kind as offering_id,
        source,
        provider,
        model,
        method,
        price_kind,
        usd,
        source_url,
        observed_at,
        cast(observed_at as date) as observed_date,
        source_fetch_id
    from source
)

select * from renamed
