{#- Financial years run April to March; labels like 2024-25, quarters 2024-25-Q2. -#}

{% macro financial_year(date_expr) -%}
    (case when month({{ date_expr }}) >= 4 then year({{ date_expr }}) else year({{ date_expr }}) - 1 end)::varchar
    || '-' || lpad((((case when month({{ date_expr }}) >= 4 then year({{ date_expr }}) else year({{ date_expr }}) - 1 end) + 1) % 100)::varchar, 2, '0')
{%- endmacro %}

{% macro fy_start(fy_label) -%}
    make_date(cast(left({{ fy_label }}, 4) as integer), 4, 1)
{%- endmacro %}

{% macro fy_end(fy_label) -%}
    make_date(cast(left({{ fy_label }}, 4) as integer) + 1, 3, 31)
{%- endmacro %}

{% macro quarter_start(quarter_label) -%}
    (make_date(cast(left({{ quarter_label }}, 4) as integer), 4, 1)
        + to_months(3 * (cast(right({{ quarter_label }}, 1) as integer) - 1)))::date
{%- endmacro %}

{% macro quarter_end(quarter_label) -%}
    ({{ quarter_start(quarter_label) }} + to_months(3) - interval 1 day)::date
{%- endmacro %}

{#- Months of [start, end] that fall inside financial year fy (whole months; agreements run month to month). -#}
{% macro months_in_year(start_date, end_date, fy_label) -%}
    greatest(0, datediff('month', greatest({{ start_date }}, {{ fy_start(fy_label) }}),
                                  least({{ end_date }}, {{ fy_end(fy_label) }}) + interval 1 day))
{%- endmacro %}

{#- The rows of a raw-derived model that came from its most recently loaded file. -#}
{% macro latest_file(relation) -%}
    select * from {{ relation }}
    qualify _source_sha256 = first_value(_source_sha256) over (order by _loaded_at desc, _source_file desc)
{%- endmacro %}

{% macro previous_financial_year(fy_label) -%}
    (cast(cast(left({{ fy_label }}, 4) as integer) - 1 as varchar) || '-' || substr({{ fy_label }}, 3, 2))
{%- endmacro %}

{#- A provider's quarterly return is due 30 days after its quarter ends (overdue after that day). -#}
{% macro return_due_date(quarter_end) -%}
    cast({{ quarter_end }} + interval 30 day as date)
{%- endmacro %}

{#- The reporting date: the dbt var as_of (the tenant's reporting date) or today. -#}
{% macro as_of_date() -%}
    {{ "cast('" ~ var('as_of') ~ "' as date)" if var('as_of', none) else "current_date" }}
{%- endmacro %}
