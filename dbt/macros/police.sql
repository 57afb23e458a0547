{#- The columns data.police.uk's street-level crime and outcome files share, typed the same way in
    both staging models: a blank Crime ID or LSOA becomes null, and the month (2024-06) the first
    day of it, named month_as. -#}
{% macro police_record_columns(month_as) -%}
    nullif(crime_id, '') as crime_id,
    cast(month || '-01' as date) as {{ month_as }},
    reported_by,
    falls_within,
    cast(longitude as double) as longitude,
    cast(latitude as double) as latitude,
    location,
    nullif(lsoa_code, '') as lsoa_code,
    nullif(lsoa_name, '') as lsoa_name
{%- endmacro %}
