-- GPU price observations, renamed and typed; one row per offering per provider load.
with source as (
    select * from {{ source('warehouse', 'gpu_observations') }}
),

renamed as (
    select
        -- ids
        provider || ':' || offering_key          as offering_id,
        provider,
        offering_key,
        -- what is rented
        gpu_model,
        gpu_raw_name,
        gpu_count,
        tier,
        region,
        vram_gb,
        -- prices (USD)
        usd_per_gpu_hour,
        usd_per_instance_hour,
        offer_count,
        usd_per_gpu_hour_min,
        usd_per_gpu_hour_median,
        -- times
        observed_at,
        cast(observed_at as date)                 as observed_date,
        source_fetch_id
    from source
)

select * from renamed
