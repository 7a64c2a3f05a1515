-- The SCD2 mart and the warehouse agree on which GPU offerings are current: an offering's last
-- interval is open (valid_to NULL) exactly when gpu_prices_latest says it was in its feed's latest
-- load. Returns the offerings where they disagree.
with last_interval as (
    select offering_id, is_current
    from {{ ref('gpu_price_intervals') }}
    qualify row_number() over (partition by offering_id order by valid_from desc) = 1
),

latest as (
    select provider || ':' || offering_key as offering_id, is_current
    from {{ source('warehouse', 'gpu_prices_latest') }}
)

select coalesce(i.offering_id, l.offering_id) as offering_id,
       i.is_current as interval_current, l.is_current as view_current
from last_interval i
full join latest l using (offering_id)
where i.is_current is distinct from l.is_current
