with source as (
    select * from {{ source('warehouse', 'fetch_log') }}
),

renamed as (
    select
        fetch_id,
        source,
        url,
        mode,
        outcome,
        outcome in {{ sql_list(vocabulary('succeeded_outcomes')) }} as succeeded,
        status,
        bytes,
        records_parsed,
        records_added,
        error,
        fetched_at,
        observed_at
    from source
)

select * from renamed
