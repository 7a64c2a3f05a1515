{#-
  Generic test: for every value of `partition_by` (one column or a list), the half-open intervals
  [valid_from, valid_to) never overlap. A NULL valid_to means "still current" (open ended).
  Fails with the pairs of rows that overlap.
-#}
{% test no_overlapping_intervals(model, partition_by, valid_from='valid_from', valid_to='valid_to') %}
{%- set keys = partition_by if partition_by is not string else [partition_by] -%}
with ordered as (
    select
        {{ keys | join(', ') }},
        {{ valid_from }} as _from,
        {{ valid_to }} as _to,
        lead({{ valid_from }}) over (
            partition by {{ keys | join(', ') }} order by {{ valid_from }}
        ) as _next_from
    from {{ model }}
)
select *
from ordered
where _next_from is not null
  and (_to is null or _to > _next_from)
{% endtest %}
