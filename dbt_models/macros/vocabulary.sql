{#-
  The vocabularies (tiers, methods, price kinds, lifecycle events, fetch outcomes, source names)
  are defined once, in Python, and reach dbt as vars: drift/dbt_runner.py (`dbt_vars`) passes
  them with `--vars` on every dbt command that `pricewatch dbt ...` and the daily run start.
  Adding a source or a tier in Python therefore never touches this project.

  vocabulary(name): the var's list. A dbt started without the vars (plain `dbt build`) stops at
  parse time with a message that says so, instead of testing against an empty or stale list.
-#}
{% macro vocabulary(name) %}
    {%- set values = var(name, none) -%}
    {%- if values is none or values is string or values | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "dbt var '" ~ name ~ "' is missing: pricewatch's vocabularies come from Python "
            ~ "(drift/dbt_runner.py dbt_vars). Run dbt as `pricewatch dbt " ~ "<command>`, "
            ~ "which passes them with --vars.") }}
    {%- endif -%}
    {{ return(values) }}
{% endmacro %}


{#- sql_list(values): a SQL list literal, ('a', 'b'), for `x in {{ sql_list(...) }}`. -#}
{% macro sql_list(values) -%}
    ({%- for v in values -%}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
