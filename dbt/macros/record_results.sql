{#- meta.dbt_results keeps every node's result (models, tests, unit tests), so a pack can refuse to
    render from inputs whose checks failed, and its manifest can cite them. Packs read it through
    returns.rpt_check_results. The table is made, with the rest of the meta schema, by
    dagster_project/meta.py (ensure_meta) on every copy dbt builds into, before dbt starts; this
    on-run-end hook only fills it. -#}

{#- on-run-end: one row per node of this invocation. -#}
{% macro record_results(results) %}
  {% if execute %}
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
