-- Scenario costs: the one cheapest rule, and the cheapest route's day-over-day, 7- and 30-day
-- change (docs/cost_engine.md, "Cheapest route and its change"). The cost engine, the report,
-- the alerts, `pricewatch scenarios`/`estimate` and the dbt mart marts.scenario_cost_trend all
-- read these; nothing else decides which route is the cheapest.
--
-- Freshness is decided once, by the cost engine, when it prices a route (cost_engine/policy.yaml:
-- a price is usable when seen within its source kind's maximum age): `available` is true only for
-- a route whose every price is usable, that is priced, and that no lifecycle event stops. A route
-- on stale prices keeps its cost (shown as stale) with available = false.

-- scenario_cheapest_of(rel): for rows shaped like scenario_costs in the table or view named `rel`,
-- one row per (as_of, scenario, layer): the scenario's cheapest route that day and that route's
-- cost of the layer. THE cheapest rule: among the routes whose total row is available with a mid
-- estimate, the lowest total mid; on a tie, the first route by name. A day with no usable route
-- gives one 'total' row with a NULL route and cost.
CREATE OR REPLACE MACRO scenario_cheapest_of(rel) AS TABLE
WITH costs AS (
    SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available,
           CAST(inputs AS JSON) AS inputs
    FROM query_table(rel)
), totals AS (
    SELECT as_of, scenario,
           arg_min(route, (usd_mid, route)) FILTER (WHERE available AND usd_mid IS NOT NULL) AS route,
           count(*) FILTER (WHERE available AND usd_mid IS NOT NULL) AS available_routes,
           count(*) AS routes
    FROM costs WHERE layer = 'total'
    GROUP BY as_of, scenario
), best AS (
    SELECT t.*, c.inputs AS total_inputs
    FROM totals t
    LEFT JOIN costs c ON c.as_of = t.as_of AND c.scenario = t.scenario AND c.route = t.route AND c.layer = 'total'
)
SELECT b.as_of, b.scenario, coalesce(c.layer, 'total') AS layer, b.route AS cheapest_route,
       c.usd_low, c.usd_mid, c.usd_high, b.available_routes, b.routes,
       TRY_CAST(b.total_inputs ->> '$.summary.usd_per_hour' AS DOUBLE) AS usd_per_hour,
       TRY_CAST(b.total_inputs ->> '$.summary.effective_usd_per_gpu_hour' AS DOUBLE) AS effective_usd_per_gpu_hour,
       b.total_inputs ->> '$.summary.basis' AS basis,
       b.total_inputs ->> '$.summary.observed_at' AS observed_at
FROM best b
LEFT JOIN costs c ON c.as_of = b.as_of AND c.scenario = b.scenario AND c.route = b.route;

-- scenario_cost_trend_of(rel): scenario_cheapest_of(rel) with the change of the cheapest cost
-- against the previous stored day, and against the latest stored day at least 7 and 30 days earlier.
CREATE OR REPLACE MACRO scenario_cost_trend_of(rel) AS TABLE
WITH cheapest AS (
    SELECT * FROM scenario_cheapest_of(rel)
), with_prev AS (
    SELECT *,
           lag(usd_mid) OVER w        AS prev_usd_mid,
           lag(as_of) OVER w          AS prev_as_of,
           lag(cheapest_route) OVER w AS prev_route
    FROM cheapest
    WINDOW w AS (PARTITION BY scenario, layer ORDER BY as_of)
)
SELECT t.as_of, t.scenario, t.layer, t.cheapest_route, t.usd_low, t.usd_mid, t.usd_high,
       t.available_routes, t.routes, t.usd_per_hour, t.effective_usd_per_gpu_hour, t.basis, t.observed_at,
       t.prev_as_of,
       t.usd_mid - t.prev_usd_mid                                           AS dod_change_usd,
       round(100.0 * (t.usd_mid - t.prev_usd_mid) / nullif(t.prev_usd_mid, 0), 4) AS dod_change_pct,
       t.cheapest_route IS DISTINCT FROM t.prev_route AND t.prev_route IS NOT NULL AS route_changed,
       w.as_of                                                              AS as_of_7d_ago,
       w.cheapest_route                                                     AS route_7d_ago,
       w.usd_mid                                                            AS usd_mid_7d_ago,
       t.usd_mid - w.usd_mid                                                AS change_7d_usd,
       round(100.0 * (t.usd_mid - w.usd_mid) / nullif(w.usd_mid, 0), 4)    AS change_7d_pct,
       m.as_of                                                              AS as_of_30d_ago,
       m.cheapest_route                                                     AS route_30d_ago,
       m.usd_mid                                                            AS usd_mid_30d_ago,
       t.usd_mid - m.usd_mid                                                AS change_30d_usd,
       round(100.0 * (t.usd_mid - m.usd_mid) / nullif(m.usd_mid, 0), 4)    AS change_30d_pct
FROM with_prev t
ASOF LEFT JOIN cheapest w
  ON t.scenario = w.scenario AND t.layer = w.layer AND t.as_of - INTERVAL 7 DAY >= w.as_of
ASOF LEFT JOIN cheapest m
  ON t.scenario = m.scenario AND t.layer = m.layer AND t.as_of - INTERVAL 30 DAY >= m.as_of;

-- The stored history: one row per (as_of, scenario, layer). The documented "cheapest route per
-- scenario" query is `SELECT * FROM scenario_cost_trend WHERE layer = 'total'`.
CREATE OR REPLACE VIEW scenario_cost_trend AS
SELECT * FROM scenario_cost_trend_of('scenario_costs');
