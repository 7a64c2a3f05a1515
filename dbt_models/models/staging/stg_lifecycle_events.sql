with source as (
    select * from {{ source('warehouse', 'lifecycle_events') }}
),

current_events as (
    select event_id from {{ source('warehouse', 'model_lifecycle_events_current') }}
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
        -- "current event" has one definition, the warehouse's (lifecycle_events_as_of in
        -- warehouse/semantic/20_as_of.sql): not superseded by a changed date, and from the
        -- best-ranked source of its (provider, model, event, scope). Read it, never re-derive it.
        event_id in (select event_id from current_events) as is_current
    from source
)

select * from renamed
