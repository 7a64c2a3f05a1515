{#-
  SCD2 price intervals derived from an append-only observation log (gaps-and-islands).

  One row per offering per run of unchanged price: valid_from is the first observation at that
  price, valid_to the observation time of the next different price. When the offering is last
  seen at that price and later loads of its `batch_col` group no longer list it, valid_to is the
  first such load (it vanished); otherwise valid_to is NULL (still current).

  The vanishing rule is not this macro's own: it is the warehouse's, and the caller passes the
  grouping that makes the two agree. An offering is current while it is in its group's latest
  load, exactly as
    * GPU: gpu_prices_latest.is_current and gpu_offerings_as_of (warehouse/semantic/10_history.sql,
      20_as_of.sql): the group is the FEED, one collector and, for a multi-cloud catalogue, one
      catalogue folder: pass `feed_id` (stg_gpu_observations: source || ':' || catalog). Another
      feed's load of the same provider says nothing about the offering;
    * tokens: token_prices_as_of / token_prices_listed (20_as_of.sql, 85_listings.sql): the group
      is the collector, `source`, and rows of a dated source (registry DATED_SOURCES, the curated
      sheet) are not loads.
  So the latest interval of an offering is open (valid_to NULL) exactly when the view calls it
  current; tests/dbt checks the two agree.

  `load_filter` (SQL over the relation's columns) says which rows come from a load of the whole
  group. Rows that do not (a dated source's rows, which carry each row's own as_of date as
  observed_at) neither vanish others nor vanish: their interval ends only at a new price.

  Incremental (the model is `materialized='incremental'`, `unique_key='interval_id'`,
  `incremental_strategy='delete+insert'`, and runs `price_intervals_reset_late` as pre-hook):
  only observations with a source_fetch_id above the target's `last_fetch_id` are read. A new
  load can change only the last interval of each offering of its group, so that interval is
  fed back as a seed row ahead of the new observations and the islands are formed again from
  there. A group whose new rows are not newer than everything already built for it (a replay
  of older snapshots, a curated-sheet row with an older date) is deleted by the pre-hook and
  built whole from its full history, as is a group new to the target. `dbt build --full-refresh`
  builds everything whole.
-#}

{% macro price_intervals_obs(relation, price_col, batch_col, attrs, load_filter) %}
    select offering_id, {{ batch_col }}, observed_at, {{ price_col }} as price,
           {{ attrs | join(', ') }},
           ({{ load_filter }}) as is_load, source_fetch_id
    from {{ relation }}
{% endmacro %}


{#- The whole computation over the CTE `obs_name` (columns of price_intervals_obs). -#}
{% macro price_intervals_over(obs_name, batch_col, attrs) %}
with marked as (
    select *,
        case when lag(price) over w is distinct from price then 1 else 0 end as is_change
    from {{ obs_name }}
    window w as (partition by offering_id order by observed_at)
),

numbered as (
    select *,
        sum(is_change) over (partition by offering_id order by observed_at
                             rows between unbounded preceding and current row) as interval_no
    from marked
),

intervals as (
    select
        offering_id,
        interval_no,
        any_value({{ batch_col }})  as {{ batch_col }},
        {%- for a in attrs %}
        arg_max({{ a }}, observed_at) as {{ a }},
        {%- endfor %}
        any_value(price)            as price,
        min(observed_at)            as valid_from,
        max(observed_at)            as last_observed_at,
        count(*)                    as n_observations,
        bool_and(is_load)           as from_loads,
        max(source_fetch_id)        as last_fetch_id
    from numbered
    group by offering_id, interval_no
),

with_next as (
    select *,
        lead(valid_from) over (partition by offering_id order by interval_no) as next_valid_from
    from intervals
),

batches as (
    select distinct {{ batch_col }}, observed_at from {{ obs_name }} where is_load
),

vanished as (
    select i.offering_id, i.interval_no, min(b.observed_at) as gone_at
    from with_next i
    join batches b
      on b.{{ batch_col }} = i.{{ batch_col }} and b.observed_at > i.last_observed_at
    where i.next_valid_from is null and i.from_loads
    group by i.offering_id, i.interval_no
)

select
    md5(i.offering_id || '|' || cast(i.valid_from as varchar)) as interval_id,
    i.offering_id,
    i.{{ batch_col }},
    {%- for a in attrs %}
    i.{{ a }},
    {%- endfor %}
    i.price,
    i.valid_from,
    coalesce(i.next_valid_from, v.gone_at) as valid_to,
    i.last_observed_at,
    i.n_observations,
    coalesce(i.next_valid_from, v.gone_at) is null as is_current,
    i.from_loads,
    i.last_fetch_id
from with_next i
left join vanished v using (offering_id, interval_no)
{% endmacro %}


{#- Pre-hook of an incremental intervals model: drop the groups whose new rows are not newer
    than what is built for them, so the model builds them whole again. -#}
{% macro price_intervals_reset_late(relation, batch_col) %}
{% if is_incremental() %}
delete from {{ this }} where {{ batch_col }} in (
    select n.{{ batch_col }}
    from {{ relation }} n
    join (select {{ batch_col }}, max(last_observed_at) as built_until from {{ this }} group by all) b
      using ({{ batch_col }})
    where n.source_fetch_id > (select coalesce(max(last_fetch_id), -1) from {{ this }})
      and n.observed_at <= b.built_until
)
{% endif %}
{% endmacro %}


{% macro price_intervals(relation, price_col, batch_col, attrs, load_filter='true') %}
{% if not is_incremental() %}
with obs as (
    {{ price_intervals_obs(relation, price_col, batch_col, attrs, load_filter) }}
)
select * from ({{ price_intervals_over('obs', batch_col, attrs) }})
{% else %}
with obs as (
    {{ price_intervals_obs(relation, price_col, batch_col, attrs, load_filter) }}
),

new_obs as (
    select * from obs where source_fetch_id > (select coalesce(max(last_fetch_id), -1) from {{ this }})
),

built_groups as (
    select distinct {{ batch_col }} from {{ this }}
),

-- groups new to the target (or emptied by the pre-hook): their whole history
whole_obs as (
    select * from obs
    where {{ batch_col }} in (select {{ batch_col }} from new_obs)
      and {{ batch_col }} not in (select {{ batch_col }} from built_groups)
),

whole as (
    {{ price_intervals_over('whole_obs', batch_col, attrs) }}
),

-- groups already built: the last interval of each of their offerings, then the new observations
seeds as (
    select * from {{ this }}
    where {{ batch_col }} in (select {{ batch_col }} from new_obs)
    qualify row_number() over (partition by offering_id order by valid_from desc) = 1
),

steps as (
    select offering_id, {{ batch_col }}, last_observed_at as observed_at, price,
           {{ attrs | join(', ') }},
           from_loads as is_load, valid_from as first_at, last_observed_at as last_at,
           n_observations as n, last_fetch_id as fetch_id, valid_to as seed_valid_to, true as is_seed
    from seeds
    union all
    select offering_id, {{ batch_col }}, observed_at, price,
           {{ attrs | join(', ') }},
           is_load, observed_at, observed_at, 1, source_fetch_id, null, false
    from new_obs
    where {{ batch_col }} in (select {{ batch_col }} from built_groups)
),

marked as (
    select *,
        case when lag(price) over w is distinct from price then 1 else 0 end as is_change
    from steps
    window w as (partition by offering_id order by observed_at, is_seed desc)
),

numbered as (
    select *,
        sum(is_change) over (partition by offering_id order by observed_at, is_seed desc
                             rows between unbounded preceding and current row) as interval_no
    from marked
),

merged as (
    select
        offering_id,
        interval_no,
        any_value({{ batch_col }})  as {{ batch_col }},
        {%- for a in attrs %}
        arg_max({{ a }}, last_at)   as {{ a }},
        {%- endfor %}
        any_value(price)            as price,
        min(first_at)               as valid_from,
        max(last_at)                as last_observed_at,
        cast(sum(n) as bigint)      as n_observations,
        bool_and(is_load)           as from_loads,
        max(fetch_id)               as last_fetch_id,
        max(seed_valid_to)          as seed_valid_to,
        -- the seed's interval with nothing newer: its earlier vanishing still stands
        coalesce(max(last_at) = max(last_at) filter (where is_seed), false) as unextended
    from numbered
    group by offering_id, interval_no
),

with_next as (
    select *,
        lead(valid_from) over (partition by offering_id order by interval_no) as next_valid_from
    from merged
),

new_batches as (
    select distinct {{ batch_col }}, observed_at from new_obs where is_load
),

vanished as (
    select i.offering_id, i.interval_no, min(b.observed_at) as gone_at
    from with_next i
    join new_batches b
      on b.{{ batch_col }} = i.{{ batch_col }} and b.observed_at > i.last_observed_at
    where i.next_valid_from is null and i.from_loads
    group by i.offering_id, i.interval_no
),

continued as (
    select
        md5(i.offering_id || '|' || cast(i.valid_from as varchar)) as interval_id,
        i.offering_id,
        i.{{ batch_col }},
        {%- for a in attrs %}
        i.{{ a }},
        {%- endfor %}
        i.price,
        i.valid_from,
        coalesce(i.next_valid_from, least(case when i.unextended then i.seed_valid_to end, v.gone_at)) as valid_to,
        i.last_observed_at,
        i.n_observations,
        coalesce(i.next_valid_from, least(case when i.unextended then i.seed_valid_to end, v.gone_at)) is null
            as is_current,
        i.from_loads,
        i.last_fetch_id
    from with_next i
    left join vanished v using (offering_id, interval_no)
)

select * from whole
union all
select * from continued
{% endif %}
{% endmacro %}
