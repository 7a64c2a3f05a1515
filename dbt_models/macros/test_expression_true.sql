{#- Generic test: every row satisfies `expression` (rows where it is false are returned). -#}
{% test expression_true(model, expression, column_name=none) %}
select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}
