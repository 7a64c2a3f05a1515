-- GPU price observations, renamed and typed; one row per offering per provider load. Read from the
-- warehouse view gpu_price_history (warehouse/semantic/10_history.sql), which says once which
-- collector read a row (`source`: a provider's own collector is named like the provider).
with source as (
    select * from {{ source('warehouse', 'gpu_price_history') }}
),

renamed as (
    select
        -- ids
        provider || ':' || offering_key          as offering_id,
        provider,
        offering_key,
        -- provenance: the collector apart from the provider; the catalogue folder for catalogue rows
        source,
        catalog,
        -- the feed (gpu_prices_latest's grouping): the collector and, for a catalogue, its folder
        source || ':' || coalesce(catalog, '')    as feed_id,
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
        -- availability and instance shape, where the source says
        available,
        stock,
        vcpus,
        ram_gb,
        disk_gb,
        -- times
        observed_at,
        cast(observed_at as date)                 as observed_date,
        source_fetch_id
    from source
)

select * from renamed
