with source as (
    select * from {{ source('warehouse', 'lifecycle_events') }}
),

renamed as (
    select
        event_id,
        provider,
        model,
        event,
        scope,
        effective_date,
        announced_date,
        replacement,
        source,
        source_url,
        first_seen_at,
        last_seen_at,
        supersedes_event_id,
        -- an event is current when no later row supersedes it
        event_id not in (
            select supersedes_event_id from source where supersedes_event_id is not null
        ) as is_current
    from source
)

select * from renamed
