{#- Tables and views are built in place. Refreshes build into a copy of the warehouse file that is
    swapped in only when the whole build passed (dagster_project/warehouse.py), so readers never see
    a half-built table; dbt-duckdb's own materializations also build each relation under a
    temporary name, rename the old one aside, rename and drop it, which costs several statements and
    catalogue queries per model for nothing here. -#}

{% materialization table, adapter="duckdb" %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- if existing_relation is not none -%}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif -%}
  {% call statement('main') -%}
    {{ create_table_as(False, target_relation, compiled_code) }}
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% materialization view, adapter="duckdb" %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- if existing_relation is not none and not existing_relation.is_view -%}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif -%}
  {% call statement('main') -%}
    create or replace view {{ target_relation }} as (
      {{ compiled_code }}
    );
  {%- endcall %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
