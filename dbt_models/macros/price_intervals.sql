{#-
  SCD2 price intervals derived from an append-only observation log (gaps-and-islands).

  One row per offering per run of unchanged price: valid_from is the first observation at that
  price, valid_to the observation time of the next different price. When the offering is last
  seen at that price and later loads of its `batch_col` group (the provider or collector) no
  longer list it, valid_to is the first such load (it vanished); otherwise valid_to is NULL
  (still current).

  `load_filter` (SQL over the relation's columns) says which rows come from a load of the whole
  group. Rows that do not (e.g. curated-sheet rows, which carry each row's own as_of date as
  observed_at) neither vanish others nor vanish: their interval ends only at a new price.
-#}
{% macro price_intervals(relation, price_col, batch_col, attrs, load_filter='true') %}
with obs as (
    select offering_id, {{ batch_col }}, observed_at, {{ price_col }} as price,
           {{ attrs | join(', ') }},
           ({{ load_filter }}) as is_load
    from {{ relation }}
),

marked as (
    select *,
        case when lag(price) over w is distinct from price then 1 else 0 end as is_change
    from obs
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
        bool_and(is_load)           as from_loads
    from numbered
    group by offering_id, interval_no
),

with_next as (
    select *,
        lead(valid_from) over (partition by offering_id order by interval_no) as next_valid_from
    from intervals
),

batches as (
    select distinct {{ batch_col }}, observed_at from obs where is_load
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
    coalesce(i.next_valid_from, v.gone_at) is null as is_current
from with_next i
left join vanished v using (offering_id, interval_no)
{% endmacro %}
