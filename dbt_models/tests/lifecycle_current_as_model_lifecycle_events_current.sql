-- stg_lifecycle_events.is_current marks exactly the events of the warehouse view
-- model_lifecycle_events_current (lifecycle_events_as_of with no cutoff). Returns the events where
-- the two disagree.
select coalesce(s.event_id, c.event_id) as event_id, s.is_current, c.event_id is not null as in_view
from {{ ref('stg_lifecycle_events') }} s
full join {{ source('warehouse', 'model_lifecycle_events_current') }} c using (event_id)
where coalesce(s.is_current, false) is distinct from (c.event_id is not null)
