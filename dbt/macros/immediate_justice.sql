{#- The Immediate Justice sheet of the provider return (template PQR-2025.1, agreements of service
    category immediate_justice): its disposal-route rows and its columns, as
    dagster_project/returns/template.py writes them (tests/test_provider_returns.py holds the two
    to the same texts). -#}

{% macro ij_sheet() %}'Immediate Justice'{% endmacro %}

{#- The rows the pack's measures section always shows, in the template's order. -#}
{% macro ij_disposal_routes() -%}
    select * from (values
        ('Community resolution', 1),
        ('Outcome 22 (deferred prosecution)', 2),
        ('Conditional caution', 3)
    ) as routes(disposal_route, route_order)
{%- endmacro %}

{#- Column header of the sheet -> the figure of the measures section its cells add to. -#}
{% macro ij_measure_columns() -%}
    {{ return({
        'Referrals received': 'referrals',
        'Started within 48 hours': 'started_within_48_hours',
        'Started after 48 hours': 'started_after_48_hours',
        'Completed': 'completed',
        'Did not complete': 'not_completed',
        'Adults (18 and over)': 'adults',
        'Children (under 18)': 'children',
        'Hours of reparation delivered': 'hours_of_reparation',
        'Victims consulted on the reparation': 'victims_consulted',
        'Victims who took part in or were offered restorative contact': 'victims_restorative_contact',
    }) }}
{%- endmacro %}

{#- The returns (agreement, quarter) that have an Immediate Justice sheet: their participants and hours
    come from it; a return without one (template PQR-2024.2) gives them from Activity and KPIs. -#}
{% macro ij_returns_with_sheet() -%}
    select distinct agreement_ref, quarter
    from {{ ref('int_return_cells_by_period') }}
    where sheet = {{ ij_sheet() }}
{%- endmacro %}
