{#- meta.dbt_results keeps every node's result (models, tests, unit tests), so a pack can refuse to
    render from inputs whose checks failed, and its manifest can cite them. Packs read it through
    returns.rpt_check_results. The table is made by the on-run-start hook (ensure_dbt_results), so
    the views over it build even on a warehouse's first build, and filled by the on-run-end hook
    (record_results). -#}

{% macro dbt_results_ddl() -%}
    create table if not exists meta.dbt_results (invocation_id varchar, unique_id varchar,
        resource_type varchar, name varchar, status varchar, failures bigint, depends_on varchar,
        message varchar, recorded_at timestamp)
{%- endmacro %}

{#- on-run-start: the one definition of meta.dbt_results, made if it is not there yet. -#}
{% macro ensure_dbt_results() %}
  {% if execute %}
    {% do run_query("create schema if not exists meta") %}
    {% do run_query(dbt_results_ddl()) %}
  {% endif %}
{% endmacro %}

{#- on-run-end: one row per node of this invocation. -#}
{% macro record_results(results) %}
  {% if execute %}
    {% do ensure_dbt_results() %}
    {% set rows = [] %}
    {% for res in results %}
      {% set depends = res.node.depends_on.nodes | join(',') if res.node.depends_on is defined else '' %}
      {% set message = (res.message or '') | string | replace("'", "''") %}
      {% do rows.append("('" ~ invocation_id ~ "', '" ~ res.node.unique_id ~ "', '" ~ res.node.resource_type ~ "', '"
          ~ res.node.name ~ "', '" ~ res.status ~ "', " ~ (res.failures or 0) ~ ", '" ~ depends ~ "', '"
          ~ message[:500] ~ "', now())") %}
    {% endfor %}
    {% if rows %}
      {% do run_query("insert into meta.dbt_results values " ~ rows | join(', ')) %}
    {% endif %}
  {% endif %}
{% endmacro %}
