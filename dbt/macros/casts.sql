{#- Casts used by staging models, so every model reads money and dates the same way. -#}

{% macro to_money(column) -%}
    cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{% macro to_date(column) -%}
    coalesce(try_cast({{ column }} as date), cast(try_strptime({{ column }}, '%d/%m/%Y') as date))
{%- endmacro %}

{% macro to_uk_date(column) -%}
    cast(strptime({{ column }}, '%d/%m/%Y') as date)
{%- endmacro %}

{% macro to_flag(column) -%}
    case lower({{ column }}) when 'yes' then true when 'true' then true when 'no' then false when 'false' then false end
{%- endmacro %}

{% macro provenance() -%}
    _source_file, _source_sha256, _source_locator, _loaded_at, _load_id
{%- endmacro %}
