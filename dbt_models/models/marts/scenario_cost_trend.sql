-- Daily cheapest usable route per scenario and cost layer, with day-over-day, 7- and 30-day
-- changes. One home: the warehouse view scenario_cost_trend (warehouse/semantic/50_costs.sql,
-- the scenario_cost_trend_of macro) holds the cheapest rule and the change arithmetic; this mart
-- only materialises it for dbt's lineage and tests. No second formula here.
select * from {{ source('warehouse', 'scenario_cost_trend') }}
