{#- The pieces a pack's contributions are made of (rpt_<pack>__contributions): one row per source
    item and figure it adds to, with where it came from. A pack's streams are those whose
    reported_in (tenant.yml) names the pack; no stream id is written here. -#}

{% macro pack_streams(pack) -%}
    select * from {{ ref('int_funding_streams_current') }} where reported_in = '{{ pack }}'
{%- endmacro %}

{#- Partners' match funding for the pack's streams: the streams whose match_funding_for names one. -#}
{% macro match_funding_streams(pack) -%}
    select * from {{ ref('int_funding_streams_current') }}
    where match_funding_for in (select stream_id from ({{ pack_streams(pack) }}))
{%- endmacro %}

{% macro pack_agreements(pack) -%}
    select distinct funding.agreement_ref
    from {{ ref('int_agreement_funding_current') }} as funding
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
{%- endmacro %}

{#- Ledger-line parts allocated to the pack's streams (or, match_funding=true, to the partners'
    match-funding streams for them): each adds to spend_in_period when posted in the period and to
    spend_year_to_date when posted from the year's start to the period's end. -#}
{% macro ledger_contributions(pack, period_type, match_funding=false) -%}
    select
        parts.period,
        fields.field,
        'ledger line part' as source_kind,
        cast(parts.allocated_amount as decimal(18, 2)) as amount,
        parts.transaction_id,
        parts.posting_date,
        parts.journal_type,
        cast(parts.line_amount as decimal(18, 2)) as line_amount,
        parts.stream_id,
        parts.agreement_ref,
        agreements.provider_name,
        agreements.service_name,
        parts.plan_id,
        priorities.plan_title,
        parts.priority_id,
        priorities.priority_name,
        parts.vru_category,
        parts.source_file,
        parts.source_sha256,
        parts.source_locator
    from {{ ref('int_ledger_parts_by_period') }} as parts
    join ({{ match_funding_streams(pack) if match_funding else pack_streams(pack) }}) as streams using (stream_id)
    left join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
    left join {{ ref('int_plan_priorities_current') }} as priorities using (plan_id, priority_id)
    cross join (values ('spend_in_period'), ('spend_year_to_date')) as fields(field)
    where parts.period_type = '{{ period_type }}' and (parts.in_period or fields.field = 'spend_year_to_date')
{%- endmacro %}

{#- The allocation letter of each of the pack's streams, for every period of its financial year. -#}
{% macro allocation_contributions(pack, period_type) -%}
    select
        periods.period,
        'allocation' as field,
        'funding allocation letter' as source_kind,
        cast(letters.allocation as decimal(18, 2)) as amount,
        letters.stream_id,
        'award ' || coalesce(letters.award_reference, '(no reference)') as detail,
        letters.source_file,
        letters.source_sha256,
        letters.source_locator
    from {{ ref('int_funding_allocations_current') }} as letters
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
    join {{ ref('int_reporting_periods') }} as periods
        on periods.financial_year = letters.financial_year and periods.period_type = '{{ period_type }}'
{%- endmacro %}

{#- What each agreement commits from the pack's streams in the period's financial year. -#}
{% macro commitment_contributions(pack, period_type) -%}
    select
        periods.period,
        'committed' as field,
        'agreement commitment' as source_kind,
        commitments.committed as amount,
        commitments.stream_id,
        commitments.agreement_ref,
        '£' || commitments.annual_value || ' a year x share ' || commitments.share || ' x '
            || commitments.months_in_year || ' months / 12' as detail,
        commitments.register_file as source_file,
        commitments.register_sha256 as source_sha256,
        commitments.register_locator as source_locator
    from {{ ref('int_agreement_commitments_by_year') }} as commitments
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
    join {{ ref('int_reporting_periods') }} as periods
        on periods.financial_year = commitments.financial_year and periods.period_type = '{{ period_type }}'
{%- endmacro %}

{#- Cells of the current provider returns of services the pack's streams fund, in the period:
    columns maps a column header of the sheet to the figure its cells add to. People are counted
    from int_return_people_counted (people=true), each person once in the period. -#}
{% macro return_cell_contributions(pack, period_type, sheet, columns, people=false) -%}
    select
        cells.period,
        case cells.column_label
            {%- for header, field in columns.items() %} when '{{ header }}' then '{{ field }}'{% endfor %}
        end as field,
        'provider return cell' as source_kind,
        cast(cells.value_number as decimal(18, 2)) as amount,
        cells.agreement_ref,
        cells.quarter,
        cells.row_group,
        cells.row_label,
        cells.column_label,
        concat_ws(' / ', cells.row_group, cells.row_label) || ', ' || cells.column_label
            {%- if people %} || ' (' || cells.counted_as || ')'{% endif %} as detail,
        cells.source_file,
        cells.return_file_sha256 as source_sha256,
        cells.sheet || '!' || cells.cell as source_locator
    from {{ ref('int_return_people_counted' if people else 'int_return_cells_by_period') }} as cells
    where cells.period_type = '{{ period_type }}' and cells.sheet = '{{ sheet }}'
      and cells.column_label in ({% for header in columns %}'{{ header }}'{{ ', ' if not loop.last }}{% endfor %})
      and cells.value_number is not null
      and cells.agreement_ref in ({{ pack_agreements(pack) }})
{%- endmacro %}


{#- The adviser posts (ISVA, IDVA) of agreements the pack's streams fund, active in the period: each
    post's FTE times the stream's share of the agreement adds to funded_fte. -#}
{% macro post_contributions(pack, period_type) -%}
    select
        periods.period,
        'funded_fte' as field,
        'agreement register row' as source_kind,
        cast(round(posts.fte * funding.share, 2) as decimal(18, 2)) as amount,
        funding.stream_id,
        posts.agreement_ref,
        posts.post_type as row_label,
        agreements.provider_name,
        agreements.service_name,
        posts.post_type || ' ' || posts.fte || ' FTE x share ' || funding.share || ' from ' || funding.stream_id
            as detail,
        posts.register_file as source_file,
        posts.register_sha256 as source_sha256,
        posts.register_locator as source_locator
    from {{ ref('int_agreement_posts_current') }} as posts
    join {{ ref('int_agreement_funding_current') }} as funding using (agreement_ref)
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
    join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
    join {{ ref('int_reporting_periods') }} as periods
        on periods.period_type = '{{ period_type }}'
       and agreements.start_date <= periods.period_end and agreements.end_date >= periods.period_start
{%- endmacro %}

{#- What each agreement paid from the pack's streams is forecast to cost after the period
    (int_agreement_forecasts: its value committed in the year less what it has been paid so far),
    and the run rate of spend outside agreements:
    each ledger-line part booked to the stream with no agreement, times the months left in the
    year over the months gone (in pence, half away from zero). Both add to forecast_remaining. -#}
{% macro forecast_contributions(pack, period_type) -%}
    select
        forecasts.period,
        'forecast_remaining' as field,
        'agreement forecast' as source_kind,
        forecasts.forecast_remaining as amount,
        forecasts.stream_id,
        forecasts.agreement_ref,
        agreements.provider_name,
        agreements.service_name,
        forecasts.forecast_method || ': ' || case forecasts.forecast_method
            when 'value still to pay' then '£' || forecasts.committed_in_year || ' committed this year ('
                || forecasts.months_gone + forecasts.months_left || ' months of its term) - £'
                || forecasts.spend_to_date || ' paid so far'
            when 'paid in full' then '£' || forecasts.spend_to_date || ' paid so far, its £'
                || forecasts.committed_in_year || ' committed this year'
            else 'no month of the year is left'
        end || ' = £' || forecasts.agreement_forecast_remaining || ', share ' || forecasts.share
            || ' to ' || forecasts.stream_id as detail,
        forecasts.register_file as source_file,
        forecasts.register_sha256 as source_sha256,
        forecasts.register_locator as source_locator
    from {{ ref('int_agreement_forecasts') }} as forecasts
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
    left join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
    where forecasts.period_type = '{{ period_type }}'
    union all by name
    select
        parts.period,
        'forecast_remaining' as field,
        'run rate of spend outside agreements' as source_kind,
        cast(cast(sign(pence) * ((abs(pence) * 2 + months_gone) // (2 * months_gone)) as decimal(20, 0)) * 0.01
             as decimal(18, 2)) as amount,
        parts.transaction_id,
        parts.posting_date,
        parts.journal_type,
        cast(parts.line_amount as decimal(18, 2)) as line_amount,
        parts.stream_id,
        '£' || parts.allocated_amount || ' with no agreement / ' || months_gone || ' months gone x '
            || months_left || ' months left in the year' as detail,
        parts.source_file,
        parts.source_sha256,
        parts.source_locator
    from (
        select
            parts.*,
            cast(round(parts.allocated_amount * 100) as hugeint) * periods.months_remaining_in_year as pence,
            datediff('month', periods.year_start, periods.period_end + interval 1 day) as months_gone,
            periods.months_remaining_in_year as months_left
        from {{ ref('int_ledger_parts_by_period') }} as parts
        join {{ ref('int_reporting_periods') }} as periods using (period)
        where parts.period_type = '{{ period_type }}'
          and parts.transaction_id in (select transaction_id from {{ ref('int_ledger_lines_matched') }}
                                       where not is_matched)
    ) as parts
    join ({{ pack_streams(pack) }}) as streams using (stream_id)
{%- endmacro %}

{#- One section of a pack's contributions (`contributions`, an rpt_<pack>__contributions model) as its
    figures: per period and key, each field the sum of its contributions. `keys` maps each key column
    to the contribution column it is (row_key, row_label, agreement_ref). -#}
{% macro section_figures(contributions, section, keys, fields, having=none) -%}
    select period,
        {%- for name, column in keys.items() %} {{ column }}{{ ' as ' ~ name if name != column }},{% endfor %}
        {%- for field in fields %}
           sum(amount) filter (where field = '{{ field }}') as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(contributions) }}
    where section = '{{ section }}'
    group by all
    {%- if having %}
    having {{ having }}
    {%- endif %}
{%- endmacro %}
