{#- on-run-end: keep every node's result (models, tests, unit tests) in meta.dbt_results, so a
    pack can refuse to render from inputs whose checks failed, and its manifest can cite them. -#}
{% macro record_results(results) %}
  {% if execute %}
    {% do run_query("create schema if not exists meta") %}
    {% do run_query("create table if not exists meta.dbt_results (invocation_id varchar, unique_id varchar,
        resource_type varchar, name varchar, status varchar, failures bigint, depends_on varchar,
        message varchar, recorded_at timestamp)") %}
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
