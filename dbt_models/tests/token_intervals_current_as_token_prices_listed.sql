-- The SCD2 token mart and the warehouse agree on which price lines are current: a line's last
-- interval is open (valid_to NULL) exactly when token_prices_listed (token_prices_as_of with no
-- cutoff) lists it. Returns the lines where they disagree.
with last_interval as (
    select offering_id, is_current
    from {{ ref('token_price_intervals') }}
    qualify row_number() over (partition by offering_id order by valid_from desc) = 1
),

listed as (
    select distinct source || ':' || provider || '|' || model || '|' || method || '|' || price_kind as offering_id
    from {{ source('warehouse', 'token_prices_listed') }}
)

select i.offering_id, i.is_current as interval_current, l.offering_id is not null as listed
from last_interval i
left join listed l using (offering_id)
where i.is_current is distinct from (l.offering_id is not null)
