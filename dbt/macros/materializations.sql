{#- Tables and views are built in place. Refreshes build into a copy of the warehouse file that is
    swapped in only when the whole build passed (dagster_project/warehouse.py), so readers never see
    a half-built table; dbt-duckdb's own materializations also build each relation under a
    temporary name, rename the old one aside, rename and drop it, which costs several statements and
    catalogue queries per model for nothing here. -#}

{% materialization table, adapter="duckdb" %}
  {%- set existing = load_cached_relation(this) -%}
  {%- set target = this.incorporate(type='table') -%}
  {{ return(build_in_place(target, existing, create_table_as(False, target, compiled_code))) }}
{% endmaterialization %}

{% materialization view, adapter="duckdb" %}
  {%- set existing = load_cached_relation(this) -%}
  {%- set target = this.incorporate(type='view') -%}
  {%- set in_the_way = existing if existing is not none and not existing.is_view else none -%}
  {%- if config.get('contract').enforced -%}
    {{ get_assert_columns_equivalent(compiled_code) }}
  {%- endif -%}
  {{ return(build_in_place(target, in_the_way, "create or replace view " ~ target ~ " as (\n" ~ compiled_code ~ "\n);")) }}
{% endmaterialization %}

{#- Drop what is in the way (a table where a view goes, or the table being rebuilt), run the
    statement that builds ``target``, with the model's hooks around it, and commit. -#}
{% macro build_in_place(target, in_the_way, build_sql) %}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- if in_the_way is not none -%}
    {{ adapter.drop_relation(in_the_way) }}
  {%- endif -%}
  {% call statement('main') -%}
    {{ build_sql }}
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target]}) }}
{% endmacro %}
