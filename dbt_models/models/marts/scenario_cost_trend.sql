-- Daily cost of each scenario (and cost layer): the cheapest available route that day, with
-- day-over-day and 30-day changes (30-day: against the latest day at least 30 days earlier).
with cheapest as (
    select
        as_of,
        scenario,
        layer,
        -- on a cost tie, route, low and high all come from the same row (the first route by name)
        first(route order by usd_mid, route)    as cheapest_route,
        min(usd_mid)                            as usd_mid,
        first(usd_low order by usd_mid, route)  as usd_low,
        first(usd_high order by usd_mid, route) as usd_high,
        count(*)                  as available_routes
    from {{ ref('stg_scenario_costs') }}
    where available and usd_mid is not null
    group by as_of, scenario, layer
),

with_prev as (
    select *,
        lag(usd_mid) over w        as prev_usd_mid,
        lag(as_of) over w          as prev_as_of,
        lag(cheapest_route) over w as prev_route
    from cheapest
    window w as (partition by scenario, layer order by as_of)
)

select
    t.as_of,
    t.scenario,
    t.layer,
    t.cheapest_route,
    t.usd_low,
    t.usd_mid,
    t.usd_high,
    t.available_routes,
    t.prev_as_of,
    t.usd_mid - t.prev_usd_mid                                        as dod_change_usd,
    round(100.0 * (t.usd_mid - t.prev_usd_mid) / nullif(t.prev_usd_mid, 0), 4) as dod_change_pct,
    t.cheapest_route is distinct from t.prev_route and t.prev_route is not null as route_changed,
    m.as_of                                                           as as_of_30d_ago,
    t.usd_mid - m.usd_mid                                             as change_30d_usd,
    round(100.0 * (t.usd_mid - m.usd_mid) / nullif(m.usd_mid, 0), 4)  as change_30d_pct
from with_prev t
asof left join cheapest m
  on t.scenario = m.scenario
 and t.layer = m.layer
 and t.as_of - interval 30 day >= m.as_of
